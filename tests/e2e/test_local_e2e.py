"""End to end: the local stack (built zips under awslambdaric, moto, the local API) over HTTP.

One stack serves the whole module (starting it and the functions' cold starts dominate the
cost), and the demo journey runs once on it, whichever test needs it first; the failure paths
use other users so they cannot disturb it, in any order. Everything a function was handed by
the Runtime API is checked against Powertools' own EventBridge/SQS models when the stack stops,
so every event these tests caused is checked as AWS-shaped.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsModel

from cartflow import contract
from cartlocal.journey import DELAY_SECONDS, Expectation, Journey, wait_for
from cartlocal.lambda_runtime.worker import FunctionConfig, Worker
from cartlocal.local_stack import LocalStack, Options
from tests.helpers.events import cart_detail, valid_detail
from tests.helpers.paths import ROOT
from tests.helpers.scratch_function import scratch_config

pytestmark = pytest.mark.e2e

# Nothing fires unless the journey fires it (Fire now): see cartlocal.journey.
# Retry back-off and visibility timeouts become ~1 s each (SQS counts whole seconds).
TIME_SCALE = 1 / 360
FAILURE_PATH_SECONDS = 30.0


@pytest.fixture(scope="module")
def local(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    options = Options(
        dist=built_dist,
        workdir=tmp_path_factory.mktemp("local"),
        name="cartflow-e2e",
        reminder_delay_seconds=DELAY_SECONDS,
        time_scale=TIME_SCALE,
    )
    with LocalStack(options) as running:
        yield running
        assert_handed_out_events_are_aws_shaped(running)


@pytest.fixture(scope="module")
def journey(local: LocalStack) -> list[Expectation]:
    """The demo journey, run once on the module's stack: it drives every function."""
    return Journey(local, DELAY_SECONDS).run()


def assert_handed_out_events_are_aws_shaped(local: LocalStack) -> None:
    sqs_consumers = {queue["consumer"] for queue in contract.stack()["queues"].values()}
    for name, worker in local.workers.items():
        for raw in worker.handed_out:
            if name in sqs_consumers:
                event = SqsModel.model_validate_json(raw)
                for record in event.Records:
                    assert isinstance(record.body, str)
                    EventBridgeModel.model_validate_json(record.body)
            else:
                EventBridgeModel.model_validate_json(raw)


def put_event(local: LocalStack, source: str, detail_type: str, detail: dict[str, Any]) -> None:
    assert local.stack is not None
    answer = local.client("events").put_events(
        Entries=[
            {
                "EventBusName": local.stack.settings["EVENT_BUS_ARN"],
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0


def queue_bodies(local: LocalStack, url: str) -> list[dict[str, Any]]:
    """Bodies of the messages in ``url``, received without deleting (they become visible again)."""
    messages = local.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def test_demo_journey_holds_every_expectation(journey: list[Expectation]) -> None:
    failed = [f"{e.description}: {e.observed}" for e in journey if not e.held]
    assert failed == []
    assert len(journey) == 7


def test_a_crashing_function_is_retried_then_its_event_dead_lettered(local: LocalStack) -> None:
    assert local.stack is not None
    retries = contract.function_spec("schedule_reminder")["maximum_retry_attempts"]
    request_id = str(uuid.uuid4())
    # Passes the rule's pattern but not the function's model: schedule_reminder raises every time.
    detail = cart_detail("ItemAddedToCart", user="crash", quantity=0, request_id=request_id)
    put_event(local, "cartflow.cart", "ItemAddedToCart", detail)

    dlq = local.stack.dlq_urls["async_failures"]
    records: list[dict[str, Any]] = []

    def dead_lettered() -> bool:
        records[:] = [r for r in queue_bodies(local, dlq) if r["requestPayload"]["detail"]["request_id"] == request_id]
        return bool(records)

    assert wait_for(dead_lettered, FAILURE_PATH_SECONDS)
    [record] = records
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == retries + 1
    assert record["responsePayload"]["errorType"] == "InvalidEventError"
    assert "quantity" in record["responsePayload"]["errorMessage"]
    attempts = [
        r for r in local.workers["schedule_reminder"].results if r.error and "quantity" in r.error["errorMessage"]
    ]
    assert len(attempts) == retries + 1


def test_a_message_the_consumer_rejects_reaches_the_queue_dlq(local: LocalStack) -> None:
    assert local.stack is not None
    reminder_id = uuid.uuid4().hex
    # Matches the reminder_due rule (scheduled_event true) but lacks fields send_reminder requires.
    detail = {"user": "reject", "product": "sku-1", "scheduled_event": True, "reminder_id": reminder_id}
    put_event(local, "cartflow.reminders", "CartReminderDue", detail)

    dlq = local.stack.dlq_urls["reminders"]

    def dead_lettered() -> bool:
        return any(body["detail"].get("reminder_id") == reminder_id for body in queue_bodies(local, dlq))

    assert wait_for(dead_lettered, FAILURE_PATH_SECONDS)
    max_receives = contract.stack()["queues"]["reminders"]["max_receive_count"]
    handed = [json.loads(event) for event in local.workers["send_reminder"].handed_out if reminder_id.encode() in event]
    assert len(handed) == max_receives
    assert local.outbox is not None
    assert not any(reminder_id in path.read_text(encoding="utf-8") for path in local.outbox.files)


def ses_events_tap(local: LocalStack) -> str:
    """A queue that receives every SES event reaching the stack's bus."""
    assert local.stack is not None
    events, sqs = local.client("events"), local.client("sqs")
    url: str = sqs.create_queue(QueueName="cartflow-e2e-ses-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = local.stack.settings["EVENT_BUS_ARN"]
    events.put_rule(Name="cartflow-e2e-ses-events", EventBusName=bus, EventPattern=json.dumps({"source": ["aws.ses"]}))
    events.put_targets(Rule="cartflow-e2e-ses-events", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
    return url


def test_a_hard_bounce_suppresses_the_recipient_whose_next_reminder_is_accepted_but_never_delivered(
    local: LocalStack,
) -> None:
    assert local.stack is not None
    assert local.outbox is not None
    tap, sqs = ses_events_tap(local), local.client("sqs")
    address = f"gone-{uuid.uuid4().hex[:8]}@mailbox.invalid"
    bounces: list[dict[str, Any]] = []

    def remind(product: str) -> str:
        detail = {**valid_detail("CartReminderDue"), "user": "bouncer", "product": product, "email": address}
        put_event(local, "cartflow.reminders", "CartReminderDue", detail)
        return str(detail["reminder_id"])

    def bounced(count: int) -> bool:
        for message in sqs.receive_message(QueueUrl=tap, MaxNumberOfMessages=10).get("Messages", []):
            bounces.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=tap, ReceiptHandle=message["ReceiptHandle"])
        return len(bounces) >= count

    first = remind("sku-1")
    assert wait_for(partial(bounced, 1), FAILURE_PATH_SECONDS)
    assert address in local.outbox.mailboxes.suppressed
    second = remind("sku-2")
    assert wait_for(partial(bounced, 2), FAILURE_PATH_SECONDS)

    assert [(event["source"], event["detail-type"]) for event in bounces] == [("aws.ses", "Email Bounced")] * 2
    assert [event["detail"]["bounce"]["bounceSubType"] for event in bounces] == ["General", "OnAccountSuppressionList"]
    configuration_set = local.stack.settings["SES_CONFIGURATION_SET"]
    for event in bounces:
        assert event["detail"]["eventType"] == "Bounce"
        assert event["detail"]["bounce"]["bounceType"] == "Permanent"
        assert [r["emailAddress"] for r in event["detail"]["bounce"]["bouncedRecipients"]] == [address]
        assert event["detail"]["mail"]["tags"]["ses:configuration-set"] == [configuration_set]
    # SES accepted both sends (each reminder was announced as sent) and delivered neither.
    tap_events = local.tap.events if local.tap is not None else []

    def announced() -> bool:
        sent = {e["detail"]["reminder_id"] for e in tap_events if e["detail-type"] == "CartReminderSent"}
        return {first, second} <= sent

    assert wait_for(announced, FAILURE_PATH_SECONDS)
    assert not any(address in path.read_text(encoding="utf-8") for path in local.outbox.files)


def test_a_schedule_whose_target_keeps_failing_is_dead_lettered_then_deleted(local: LocalStack) -> None:
    assert local.stack is not None
    settings = local.stack.settings
    scheduler = local.client("scheduler")
    name = f"e2e-{uuid.uuid4().hex[:12]}"
    missing_bus = settings["EVENT_BUS_ARN"].replace("event-bus/", "event-bus/no-such-")
    scheduler.create_schedule(
        Name=name,
        GroupName=settings["SCHEDULE_GROUP"],
        ScheduleExpression=f"at({datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": missing_bus,
            "RoleArn": settings["SCHEDULER_ROLE_ARN"],
            "Input": json.dumps({"schedule": name}),
            "EventBridgeParameters": {"DetailType": "CartReminderDue", "Source": "cartflow.reminders"},
            "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": settings["SCHEDULER_DLQ_ARN"]},
        },
    )
    dlq = local.stack.dlq_urls["scheduler"]
    sqs = local.client("sqs")
    found: list[dict[str, Any]] = []

    def dead_lettered() -> bool:
        messages = sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        found[:] = [m for m in messages if json.loads(m["Body"]) == {"schedule": name}]
        return bool(found)

    assert wait_for(dead_lettered, FAILURE_PATH_SECONDS)
    attributes = {key: value["StringValue"] for key, value in found[0]["MessageAttributes"].items()}
    assert attributes["RETRY_ATTEMPTS"] == "1"
    assert attributes["TARGET_ARN"] == missing_bus
    assert attributes["SCHEDULE_ARN"].endswith(f"/{name}")
    assert wait_for(lambda: name not in _schedule_names(local), FAILURE_PATH_SECONDS)


def _schedule_names(local: LocalStack) -> list[str]:
    assert local.stack is not None
    listed = local.client("scheduler").list_schedules(GroupName=local.stack.settings["SCHEDULE_GROUP"])
    return [item["Name"] for item in listed["Schedules"]]


def test_every_event_a_function_received_is_what_aws_sends(local: LocalStack, journey: list[Expectation]) -> None:
    """The journey drives every function; what the other tests caused is checked when the stack stops."""
    for name, worker in local.workers.items():
        assert worker.handed_out, f"{name} received nothing"
    assert_handed_out_events_are_aws_shaped(local)


# AWS calls each function makes on the journey, as the X-Ray SDK names them: (endpoint prefix, operation).
TRACED_CALLS = {
    "schedule_reminder": {("dynamodb", "GetItem"), ("scheduler", "CreateSchedule")},
    "cancel_reminders": {("dynamodb", "UpdateItem"), ("scheduler", "GetSchedule"), ("scheduler", "DeleteSchedule")},
    "send_reminder": {("dynamodb", "PutItem"), ("email", "SendEmail"), ("events", "PutEvents")},
}


def traced_calls(local: LocalStack, name: str) -> set[tuple[str, str]]:
    """The AWS calls traced under the handler subsegment of each of ``name``'s answered invocations.

    Each handler subsegment must hang from the function segment Lambda named (Parent) in that
    invocation's trace header; an invocation without one yields nothing, so its calls are missing.
    """
    assert local.xray is not None
    entities = local.xray.subsegments()
    calls: set[tuple[str, str]] = set()
    for result in local.workers[name].results:
        if not result.ok:
            continue
        parent = dict(part.split("=", 1) for part in result.trace_header.split(";"))["Parent"]
        handlers = [e["id"] for e in entities if e["parent_id"] == parent and e["name"] == "## handler"]
        aws = [e for e in entities if e["parent_id"] in handlers and e["namespace"] == "aws"]
        calls |= {(e["name"], e["aws"]["operation"]) for e in aws}
    return calls


def test_each_function_traces_its_aws_calls_under_the_segment_lambda_names(
    local: LocalStack, journey: list[Expectation]
) -> None:
    """Active tracing, as deployed: the SDK in each function reports its boto3 calls to the daemon."""
    for name, expected in TRACED_CALLS.items():
        assert wait_for(partial(traced_all, local, name, expected), 5.0), (name, traced_calls(local, name))


def traced_all(local: LocalStack, name: str, expected: set[tuple[str, str]]) -> bool:
    return expected <= traced_calls(local, name)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cartlocal.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_demo_with_the_http_api_holds_what_the_http_api_really_does(built_dist: Path, tmp_path: Path) -> None:
    """`make demo API=http`: PutEvents' answers, bad input rejected by its consumer, the REST journey's reminders."""
    ran = run_cli("--workdir", str(tmp_path), "--time-scale", str(TIME_SCALE), "demo", "--api", "http")

    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "8/8 expectations held" in ran.stderr


def test_invoke_prints_the_result_last_and_side_effects_on_stderr(built_dist: Path, tmp_path: Path) -> None:
    ran = run_cli("--workdir", str(tmp_path), "invoke", "schedule_reminder", "examples/events/item_added.json")

    assert ran.returncode == 0, ran.stderr[-2000:]
    assert json.loads(ran.stdout.splitlines()[-1])["outcome"] == "created"
    assert "Init Duration" in ran.stderr
    assert "schedule cart-" in ran.stderr


def test_invoke_exits_non_zero_with_the_error_when_the_function_raises(built_dist: Path, tmp_path: Path) -> None:
    ran = run_cli("--workdir", str(tmp_path), "invoke", "schedule_reminder", "examples/events/item_added_invalid.json")

    assert ran.returncode == 1
    assert json.loads(ran.stdout.splitlines()[-1])["errorType"] == "InvalidEventError"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("invoke", "schedule_reminder", "pyproject.toml"), "pyproject.toml: not a JSON event"),
        (("invoke", "no_such_function", "examples/events/item_added.json"), "'no_such_function' is not declared"),
        (("--dist", "no-such-dist", "invoke", "send_reminder", "examples/events/item_added.json"), "make package"),
    ],
)
def test_bad_input_is_one_error_line(args: tuple[str, ...], message: str) -> None:
    ran = run_cli(*args)

    assert ran.returncode == 2
    assert ran.stderr.startswith("error: ")
    assert message in ran.stderr
    assert len(ran.stderr.splitlines()) == 1


def test_a_port_in_use_is_one_error_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = run_cli("--moto-port", str(port), "invoke", "send_reminder", "examples/events/item_added.json")

    assert ran.returncode == 2
    assert ran.stderr == (
        f"error: port {port} on 127.0.0.1 is in use (AWS endpoint (moto)); set MOTO_PORT=<free port>, "
        f"e.g. make local MOTO_PORT={port + 1}\n"
    )


@pytest.fixture
def scratch_function(tmp_path: Path) -> Iterator[Worker]:
    """A one-file function with a 1 s timeout, to drive the runtime's own fault handling."""
    source = (
        "import os, time\n"
        "if os.environ.get('BREAK_INIT'):\n"
        "    raise RuntimeError('broken at import')\n"
        "def handler(event, context):\n"
        "    if 'exit' in event:\n"
        "        os._exit(event['exit'])\n"
        "    time.sleep(event['sleep'])\n"
        "    return {'remaining_ms': context.get_remaining_time_in_millis()}\n"
    )
    config = scratch_config(tmp_path, "scratch", source, timeout_seconds=1)
    worker = Worker(config, log=lambda line: None, function_log=lambda line: None)
    yield worker
    worker.stop()


def test_a_function_past_its_timeout_is_killed_and_the_next_invocation_starts_cold(scratch_function: Worker) -> None:
    warm = scratch_function.invoke({"sleep": 0})
    timed_out = scratch_function.invoke({"sleep": 30})
    again = scratch_function.invoke({"sleep": 0})

    assert warm.ok
    assert 0 < warm.payload["remaining_ms"] <= 1000
    assert timed_out.error == {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 1.00 seconds"}
    assert again.ok
    assert again.init_ms is not None


def test_a_runtime_that_dies_mid_invocation_fails_it_and_restarts(scratch_function: Worker) -> None:
    died = scratch_function.invoke({"exit": 3})
    again = scratch_function.invoke({"sleep": 0})

    assert died.error is not None
    assert died.error["errorType"] == "Runtime.ExitError"
    assert died.error["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert again.ok
    assert again.init_ms is not None


def test_an_init_error_fails_each_invocation_instead_of_hanging(scratch_function: Worker) -> None:
    config = scratch_function.config
    broken = Worker(
        FunctionConfig(**{**config.__dict__, "environment": {"BREAK_INIT": "1"}}), lambda line: None, lambda line: None
    )
    try:
        results = [broken.invoke({"sleep": 0}) for _ in range(2)]
    finally:
        broken.stop()

    assert [result.error["errorMessage"] if result.error else None for result in results] == ["broken at import"] * 2
