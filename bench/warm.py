"""Row 2 and row 5 (after N invocations): each function warm under the local runtime.

The real zips run under awslambdaric against the local Runtime API and moto (cartlocal), and
each function handles ``invocations`` distinct events in a row: ItemAddedToCart creating a
schedule, ItemRemovedFromCart deleting it again, an SQS batch of one CartReminderDue emailing
and announcing once. The anchor is a handler that returns at once, in the same runtime: what
is left of a duration above it is the function's own work. Memory is read from the worker
process itself (/proc: VmRSS now, VmHWM the peak) after the first invocation and after the last.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats import Summary, ratio
from cartflow import timestamps
from cartlocal.lambda_runtime import artifacts
from cartlocal.lambda_runtime.pool import WorkerPool
from cartlocal.lambda_runtime.worker import FunctionConfig
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from cartlocal.local_stack import LocalStack, Options
from cartlocal.timeline import Timeline

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "events"
# Order matters: cancel_reminders removes what schedule_reminder created.
FUNCTIONS = ("schedule_reminder", "cancel_reminders", "send_reminder")
ANCHOR = "noop"
ANCHOR_HANDLER = "def handler(event, context):\n    return {}\n"


def _example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return loaded


def _envelope(name: str, number: int, **detail: Any) -> dict[str, Any]:
    """An example EventBridge event, made unique for invocation ``number``."""
    event = _example(name)
    event["id"] = str(uuid.uuid4())
    event["time"] = timestamps.now()
    event["detail"] |= {"product": f"sku-{number}", "request_id": str(uuid.uuid4()), **detail}
    return event


def item_added(number: int) -> dict[str, Any]:
    return _envelope("item_added.json", number, occurred_at=timestamps.now())


def item_removed(number: int) -> dict[str, Any]:
    return _envelope("item_removed.json", number, occurred_at=timestamps.now())


def reminder_due(number: int) -> dict[str, Any]:
    """One SQS record of CartReminderDue with a fresh reminder_id: each one is emailed."""
    event = _example("reminder_due_sqs.json")
    record = event["Records"][0]
    body = json.loads(record["body"])
    body["id"] = str(uuid.uuid4())
    body["detail"] |= {"product": f"sku-{number}", "reminder_id": uuid.uuid4().hex, "request_id": str(uuid.uuid4())}
    record |= {"messageId": str(uuid.uuid4()), "body": json.dumps(body)}
    return event


EVENTS: dict[str, Callable[[int], dict[str, Any]]] = {
    "schedule_reminder": item_added,
    "cancel_reminders": item_removed,
    "send_reminder": reminder_due,
    ANCHOR: item_added,
}


def process_memory(worker: WorkerPool) -> dict[str, float]:
    """Current and peak resident memory (MiB) of the runtime process of the function's one environment."""
    (environment,) = worker.environments
    process = environment._process  # cartlocal exposes no pid; the bench only reads /proc with it
    assert process is not None, f"{worker.config.name}: no running environment"
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{process.pid}/status").read_text(encoding="utf-8").splitlines()
    )
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def run_batch(worker: WorkerPool, invocations: int, drain: Callable[[], object]) -> dict[str, Any]:
    """Invoke ``invocations`` times; durations of every warm invocation, memory after first and last.

    ``drain`` runs after each invocation, outside its duration: what the functions put on the bus
    lands in the bus tap's queue, and moto's SQS slows down as a queue grows.
    """
    make_event = EVENTS[worker.config.name]
    first = worker.invoke(make_event(0))
    drain()
    if not first.ok:
        raise SystemExit(f"{worker.config.name}: first invocation failed: {first.error}")
    after_first = process_memory(worker)
    durations = []
    for number in range(1, invocations + 1):
        result = worker.invoke(make_event(number))
        drain()
        if not result.ok or result.init_ms is not None:
            raise SystemExit(f"{worker.config.name}: invocation {number} failed or cold: {result.error}")
        durations.append(result.duration_ms)
    return {
        "invocations": invocations,
        "init_ms": first.init_ms,
        # Work deferred from init (lazy imports, model builds) shows up here, not in the init.
        "first_ms": first.duration_ms,
        "duration_ms": Summary.of(durations).as_dict(),
        "memory_mib_after_first": after_first,
        "memory_mib_after_last": process_memory(worker),
    }


def anchor_worker(scratch: Path) -> WorkerPool:
    """A function that returns at once, run by the same runtime client and Runtime API."""
    task_root = scratch / ANCHOR
    task_root.mkdir()
    (task_root / "app.py").write_text(ANCHOR_HANDLER, encoding="utf-8")
    config = FunctionConfig(
        name=ANCHOR,
        handler="app.handler",
        task_root=task_root,
        sdk_dir=artifacts.runtime_sdk(scratch / "sdk"),
        timeout_seconds=10,
        memory_mb=128,
        environment={"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION},
        function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{ANCHOR}",
    )
    return WorkerPool(config, lambda line: None, lambda line: None)


def measure(dist: Path, invocations: int) -> dict[str, Any]:
    """Each function's warm durations and memory, and the anchor's, from one local stack."""
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as name, open(os.devnull, "w") as quiet:
        scratch = Path(name)
        options = Options(dist=dist, workdir=scratch / "local", name="bench-warm", event_sources=False)
        with LocalStack(options, Timeline(stream=quiet)) as local:
            assert local.tap is not None
            tap = local.tap
            for function in FUNCTIONS:
                report[function] = run_batch(local.workers[function], invocations, lambda: tap.step(wait_seconds=0))
        anchor = anchor_worker(scratch)
        try:
            anchor_batch = run_batch(anchor, invocations, lambda: None)
        finally:
            anchor.stop()
    for row in report.values():
        row["ratio_median"] = ratio(row["duration_ms"]["median"], anchor_batch["duration_ms"]["median"])
    report[ANCHOR] = anchor_batch
    return report
