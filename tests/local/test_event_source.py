"""The local SQS event source runs as many invocations at once as the mapping's maximum concurrency.

Lambda's SQS poller scales up to the mapping's maximum concurrency, each invocation in an
environment of its own (docs/aws-fidelity.md); a local event source that ran one at a time would
hide what a consumer does under that concurrency (SES throttling a burst of reminders).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from cartflow import pacing
from cartlocal.lambda_runtime.pool import WorkerPool
from cartlocal.local_aws.provision import Stack
from cartlocal.pollers.event_source import QueueEventSource
from cartlocal.pollers.loops import Loop
from cartlocal.timeline import Timeline
from cartlocal.timing import TimeScale
from tests.helpers.scratch_function import scratch_config

QUEUE, RATE = "reminders", 14
# Long next to receiving a batch from moto, so invocations started together overlap.
HANDLER_SECONDS = 1.5
# A time-out for something that must happen, generous for a loaded machine; not a budget.
DRAINED_TIMEOUT_SECONDS = 60.0


@pytest.fixture
def consumer(tmp_path: Path) -> Iterator[WorkerPool]:
    """A consumer that stays HANDLER_SECONDS in each invocation and says when, and in which process."""
    source = (
        "import os, time\n"
        "def handler(event, context):\n"
        "    started = time.monotonic()\n"
        f"    time.sleep({HANDLER_SECONDS})\n"
        "    return {'pid': os.getpid(), 'started': started, 'ended': time.monotonic()}\n"
    )
    environment = {pacing.rate_setting(QUEUE): str(RATE)}
    config = scratch_config(tmp_path, "consumer", source, timeout_seconds=10, environment=environment)
    pool = WorkerPool(config, log=lambda line: None, function_log=lambda line: None)
    yield pool
    pool.stop()


def peak_overlap(spans: list[tuple[float, float]]) -> int:
    """The most spans under way at one moment."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_a_backlog_runs_maximum_concurrency_invocations_at_once_each_in_its_own_environment(
    shared_stack: Stack, consumer: WorkerPool
) -> None:
    sqs, url = boto3.client("sqs"), shared_stack.queue_urls[QUEUE]
    mapping = pacing.event_source(QUEUE, RATE)
    messages = 2 * mapping.maximum_concurrency * mapping.batch_size
    for first in range(0, messages, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(n), "MessageBody": json.dumps({"n": n})} for n in range(first, first + 10)],
        )
    errors: list[str] = []
    source = QueueEventSource(
        QUEUE, consumer, sqs, url, scale=TimeScale(1 / 120), timeline=Timeline(), on_error=errors.append
    )
    loop = Loop("sqs→consumer", source.step, errors.append)
    loop.start()
    try:
        deadline = time.monotonic() + DRAINED_TIMEOUT_SECONDS
        while sum(len(json.loads(event)["Records"]) for event in consumer.handed_out) < messages:
            assert time.monotonic() < deadline, f"{len(consumer.results)} invocations so far"
            time.sleep(0.1)
        while len(consumer.results) < len(consumer.handed_out):
            assert time.monotonic() < deadline, "an invocation never ended"
            time.sleep(0.1)
    finally:
        loop.stop()
        loop.join()
        source.close()

    assert errors == []
    assert all(result.ok for result in consumer.results)
    spans = [(result.payload["started"], result.payload["ended"]) for result in consumer.results]
    assert peak_overlap(spans) == mapping.maximum_concurrency
    assert len({result.payload["pid"] for result in consumer.results}) == mapping.maximum_concurrency
