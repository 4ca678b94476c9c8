"""The two tools the scenarios rely on, against a moto server: the fault proxy and the redrive.

The proxy must produce what botocore parses into each service's modelled errors (otherwise the
scenarios would test a fault AWS never raises) and hold each operation to a rate of its own; the
redrive must move exactly what a DLQ held, with message attributes, to the queue that DLQ serves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from cartflow import contract
from cartlocal.local_aws import fault_proxy as faults
from cartlocal.local_aws.endpoint import CREDENTIALS, MotoEndpoint
from cartlocal.local_aws.fault_proxy import FaultProxy
from cartlocal.local_aws.provision import REGION
from cartops import redrive

SENDER = "sender@cartflow.example"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoEndpoint]:
    endpoint = MotoEndpoint(0)
    yield endpoint
    endpoint.stop()


@pytest.fixture
def proxy(moto: MotoEndpoint) -> Iterator[FaultProxy]:
    running = FaultProxy(moto.url)
    running.start()
    yield running
    running.stop()


def through(proxy: FaultProxy, service: str, attempts: int = 1) -> Any:
    """A client of ``service`` that reaches moto through ``proxy``, making ``attempts`` requests per call at most."""
    session = boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    retries: Any = {"mode": "standard", "total_max_attempts": attempts}
    return session.client(service, endpoint_url=proxy.url, config=Config(retries=retries))  # type: ignore[call-overload]


def ses_through(proxy: FaultProxy) -> Any:
    """An SESv2 client that reaches moto through ``proxy`` and does not retry (one request per call)."""
    return through(proxy, "sesv2")


def send(ses: Any, recipient: str) -> Any:
    return ses.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [recipient]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )


def test_the_proxy_forwards_and_injects_the_errors_botocore_models(moto: MotoEndpoint, proxy: FaultProxy) -> None:
    moto.client("sesv2").create_email_identity(EmailIdentity=SENDER)
    ses = ses_through(proxy)

    assert send(ses, "a@example.com")["MessageId"]
    proxy.inject(faults.throttled())
    with pytest.raises(ses.exceptions.TooManyRequestsException):
        send(ses, "a@example.com")
    proxy.inject(faults.rejected(b"b@example.com"))
    assert send(ses, "a@example.com")["MessageId"]  # the fault only matches b's request
    with pytest.raises(ses.exceptions.MessageRejected):
        send(ses, "b@example.com")
    proxy.inject()
    assert send(ses, "b@example.com")["MessageId"]

    assert proxy.forwarded == 3
    assert proxy.injected == {"TooManyRequestsException": 1, "MessageRejected": 1}


def test_the_proxy_enforces_a_send_rate_with_ses_throttling_answer(moto: MotoEndpoint, proxy: FaultProxy) -> None:
    moto.client("sesv2").create_email_identity(EmailIdentity=SENDER)
    ses = ses_through(proxy)
    now = [0.0]
    proxy.limit(faults.ses_send_rate(2, clock=lambda: now[0]))

    assert send(ses, "a@example.com")["MessageId"]
    assert send(ses, "a@example.com")["MessageId"]  # a second's worth of sends passes at once
    with pytest.raises(ses.exceptions.TooManyRequestsException):
        send(ses, "a@example.com")
    now[0] += 0.5  # half a second refills one send at 2 per second
    assert send(ses, "a@example.com")["MessageId"]
    assert ses.get_email_identity(EmailIdentity=SENDER)["IdentityType"] == "EMAIL_ADDRESS"  # not metered
    proxy.limit(None)
    assert send(ses, "a@example.com")["MessageId"]

    assert proxy.injected == {"TooManyRequestsException": 1}


GROUP = "quota-group"


def schedule(scheduler: Any, name: str) -> Any:
    return scheduler.create_schedule(
        Name=name,
        GroupName=GROUP,
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": f"arn:aws:sqs:{REGION}:123456789012:q", "RoleArn": "arn:aws:iam::123456789012:role/r"},
    )


def test_each_scheduler_operation_has_its_own_rate_and_scheduler_s_throttling_answer(
    moto: MotoEndpoint, proxy: FaultProxy
) -> None:
    moto.client("scheduler").create_schedule_group(Name=GROUP)
    scheduler = through(proxy, "scheduler")
    now = [0.0]
    create, listing = (
        faults.throttle("scheduler", name, 1, lambda: now[0]) for name in ("CreateSchedule", "ListSchedules")
    )
    proxy.limit(create, listing)

    assert schedule(scheduler, "a")["ScheduleArn"]
    with pytest.raises(scheduler.exceptions.ThrottlingException) as throttled:
        schedule(scheduler, "b")
    assert scheduler.list_schedules(GroupName=GROUP)["Schedules"]  # its own bucket, still full
    with pytest.raises(scheduler.exceptions.ThrottlingException):
        scheduler.list_schedules(GroupName=GROUP)
    assert scheduler.get_schedule(Name="a", GroupName=GROUP)["Name"] == "a"  # not held
    scheduler.delete_schedule(Name="a", GroupName=GROUP)
    now[0] += 1
    assert schedule(scheduler, "b")["ScheduleArn"]

    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert (create.requests, create.throttled, listing.requests, listing.throttled) == (3, 1, 2, 1)
    assert proxy.injected == {"ThrottlingException": 2}


def test_botocore_retries_a_throttled_scheduler_call_as_throttling(moto: MotoEndpoint, proxy: FaultProxy) -> None:
    moto.client("scheduler").create_schedule_group(Name=GROUP)
    scheduler = through(proxy, "scheduler", attempts=3)
    proxy.limit(faults.throttle("scheduler", "GetSchedule", 1, lambda: 0.0))
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name="none", GroupName=GROUP)

    with pytest.raises(scheduler.exceptions.ThrottlingException) as throttled:
        scheduler.get_schedule(Name="none", GroupName=GROUP)

    assert throttled.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert proxy.injected == {"ThrottlingException": 3}


def test_put_events_is_held_to_its_rate_with_eventbridge_s_throttling_answer(
    moto: MotoEndpoint, proxy: FaultProxy
) -> None:
    events = through(proxy, "events", attempts=2)
    entry = {"Source": "cartflow.cart", "DetailType": "ItemAddedToCart", "Detail": "{}"}
    proxy.limit(faults.throttle("events", "PutEvents", 1, lambda: 0.0))

    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    assert events.list_event_buses()["EventBuses"]  # another operation of the same endpoint: not held
    with pytest.raises(events.exceptions.ThrottlingException) as throttled:
        events.put_events(Entries=[entry])

    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert throttled.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert proxy.injected == {"ThrottlingException": 2}


def test_a_rate_below_one_a_second_lets_one_request_through_per_period() -> None:
    now = [0.0]
    quota = faults.throttle("scheduler", "ListSchedules", 0.5, lambda: now[0])

    admitted = [quota.admits(), quota.admits()]
    now[0] += 1.0
    admitted.append(quota.admits())
    now[0] += 1.0
    admitted.append(quota.admits())

    assert admitted == [True, False, False, True]


def test_a_stalled_request_fails_after_the_delay_without_reaching_moto(proxy: FaultProxy) -> None:
    ses = ses_through(proxy)
    proxy.inject(faults.stalled(0.2))
    with pytest.raises(ses.exceptions.ClientError, match="InternalFailure"):
        send(ses, "c@example.com")
    assert proxy.forwarded == 0


def queues(moto: MotoEndpoint, name: str) -> tuple[str, str]:
    sqs = moto.client("sqs")
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 1})
    source = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    return source, dlq


def test_copy_redrive_moves_every_dead_letter_with_its_attributes_to_the_source(moto: MotoEndpoint) -> None:
    sqs = moto.client("sqs")
    source, dlq = queues(moto, "redrive-copy")
    attributes = {"origin": {"DataType": "String", "StringValue": "test"}}
    for index in range(13):  # more than one receive batch
        sqs.send_message(QueueUrl=dlq, MessageBody=f"m{index}", MessageAttributes=attributes)

    done = redrive.redrive(sqs, "redrive-copy-dlq")

    assert (done.moved, done.destination, done.method) == (13, source, "copy")
    moved = []
    while batch := sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", []
    ):
        for message in batch:
            moved.append(message)
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(message["Body"] for message in moved) == sorted(f"m{index}" for index in range(13))
    assert all(message["MessageAttributes"]["origin"]["StringValue"] == "test" for message in moved)
    assert sqs.receive_message(QueueUrl=dlq).get("Messages", []) == []


def test_redrive_refuses_a_queue_that_is_no_queue_s_dlq(moto: MotoEndpoint, capsys: pytest.CaptureFixture[str]) -> None:
    moto.client("sqs").create_queue(QueueName="redrive-orphan")

    assert redrive.main(["redrive-orphan", "--endpoint-url", moto.url]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ")
    assert "is the dead-letter queue of 0 queues" in error


def test_bus_redrive_puts_each_on_failure_record_s_event_back_on_the_bus(moto: MotoEndpoint) -> None:
    sqs, events = moto.client("sqs"), moto.client("events")
    bus = events.create_event_bus(Name="redrive-bus")["EventBusArn"]
    target = sqs.create_queue(QueueName="redrive-target")["QueueUrl"]
    target_arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["cartflow.cart"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": target_arn}])
    failures = sqs.create_queue(QueueName="redrive-failures")["QueueUrl"]
    detail = {"user": "ada", "request_id": "r-1"}
    event = {"source": "cartflow.cart", "detail-type": "ItemAddedToCart", "detail": detail}
    sqs.send_message(QueueUrl=failures, MessageBody=json.dumps({"requestPayload": event}))

    done = redrive.redrive(sqs, "redrive-failures", bus=bus, events=events)

    assert (done.moved, done.destination, done.method) == (1, bus, "put-events")
    [routed] = sqs.receive_message(QueueUrl=target).get("Messages", [])
    assert json.loads(routed["Body"])["detail"] == detail
    assert sqs.receive_message(QueueUrl=failures).get("Messages", []) == []


def test_bus_redrive_leaves_a_message_that_is_no_on_failure_record_in_place(moto: MotoEndpoint) -> None:
    sqs, events = moto.client("sqs"), moto.client("events")
    failures = sqs.create_queue(QueueName="redrive-junk")["QueueUrl"]
    sqs.send_message(QueueUrl=failures, MessageBody=json.dumps({"not": "a record"}))

    with pytest.raises(redrive.RedriveError, match="not a dead letter of the bus"):
        redrive.redrive(sqs, "redrive-junk", bus="default", events=events)
    counts = sqs.get_queue_attributes(
        QueueUrl=failures, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert int(counts["ApproximateNumberOfMessages"]) + int(counts["ApproximateNumberOfMessagesNotVisible"]) == 1


def _bus_with_capture(moto: MotoEndpoint, name: str) -> tuple[str, str]:
    """A bus whose one rule copies every cartflow event to a queue; returns (bus ARN, queue URL)."""
    sqs, events = moto.client("sqs"), moto.client("events")
    bus = events.create_event_bus(Name=name)["EventBusArn"]
    target = sqs.create_queue(QueueName=f"{name}-capture")["QueueUrl"]
    target_arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [entry["source"] for entry in contract.event_types()]}
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": target_arn}])
    return bus, target


def _received(sqs: Any, url: str) -> list[dict[str, Any]]:
    found = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def _reminder_due() -> dict[str, Any]:
    return {
        "user": "ada",
        "product": "sku:1",
        "quantity": 1,
        "email": "ada@example.com",
        "scheduled_event": True,
        "added_at": "2030-01-01T10:00:00.100Z",
        "reminder_id": "0" * 32,
        "request_id": "r-9",
    }


@pytest.mark.parametrize(
    ("shape", "body", "detail_type"),
    [
        # A rule target's dead letter is the event as the bus matched it (attributes aside).
        (
            "rule target",
            {
                "version": "0",
                "id": "e-1",
                "source": "cartflow.cart",
                "detail-type": "ItemRemovedFromCart",
                "account": "123456789012",
                "time": "2030-01-01T10:00:00Z",
                "region": REGION,
                "resources": [],
                "detail": {
                    "user": "ada",
                    "product": "sku:1",
                    "request_id": "r-2",
                    "occurred_at": "2030-01-01T10:00:00Z",
                },
            },
            "ItemRemovedFromCart",
        ),
        # Scheduler's dead letter is the schedule's Input: the CartReminderDue detail alone.
        ("scheduler", _reminder_due(), "CartReminderDue"),
    ],
)
def test_bus_redrive_understands_rule_target_and_scheduler_dead_letters_and_twice_sends_nothing_twice(
    moto: MotoEndpoint, shape: str, body: dict[str, Any], detail_type: str
) -> None:
    sqs, events = moto.client("sqs"), moto.client("events")
    name = f"redrive-{shape.replace(' ', '-')}"
    bus, capture = _bus_with_capture(moto, name)
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    attributes = {"ERROR_CODE": {"DataType": "String", "StringValue": "Throttling"}}
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(body), MessageAttributes=attributes)

    first = redrive.redrive(sqs, f"{name}-dlq", bus=bus, events=events)
    second = redrive.redrive(sqs, f"{name}-dlq", bus=bus, events=events)

    assert (first.moved, second.moved) == (1, 0)
    [routed] = _received(sqs, capture)
    assert routed["detail-type"] == detail_type
    assert routed["detail"] == body.get("detail", body)
    assert sqs.receive_message(QueueUrl=dlq).get("Messages", []) == []


def test_a_schedule_input_that_is_not_a_reminder_stays_in_the_dlq(moto: MotoEndpoint) -> None:
    sqs, events = moto.client("sqs"), moto.client("events")
    dlq = sqs.create_queue(QueueName="redrive-bad-input")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({**_reminder_due(), "quantity": 0}))

    with pytest.raises(redrive.RedriveError, match="not a dead letter of the bus"):
        redrive.redrive(sqs, "redrive-bad-input", bus="default", events=events)
