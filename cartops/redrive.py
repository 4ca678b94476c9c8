"""Redrive a dead-letter queue back to the queue it serves: ``make redrive QUEUE=<dlq name or URL>``.

On AWS this is SQS's own redrive, ``StartMessageMoveTask`` (moves every message back to the
source queue it came from), followed until the task completes. moto does not implement that API,
so against a local endpoint the same semantics are applied by hand: receive from the DLQ, send the
body and message attributes to the source queue, then delete from the DLQ (a message is deleted
only once its copy was accepted, so a failure half-way duplicates at most, never loses; the
consumer is idempotent per reminder). Both ways are bounded: only as many messages as the DLQ held
when the redrive started are moved, so messages that fail again and return cannot loop forever.

Three dead-letter queues are no queue's DLQ, and ``--bus`` redrives each by putting the event
back on the bus (PutEvents, the same on AWS and locally), from where its rule delivers it again.
Each message's shape says which it is (``event_of``): a Lambda on-failure record (the async
failures queue) carries the event as ``requestPayload``; a rule target's dead letter is the
EventBridge event itself; Scheduler's dead letter is the schedule's Input, the detail of the one
event Scheduler produces (the contract's ``producer: scheduler`` entry). A message that is none of
these stays in the DLQ. The consumers are idempotent per request and per reminder, so the other
rules an event reaches again do nothing twice, and a second redrive finds the DLQ empty.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cartflow import contract
from cartflow.models import InvalidPayloadError, validate
from cartops.clients import client

SQS_MAX_BATCH = 10
# A received message stays hidden this long while its copy is sent (then it is deleted).
IN_FLIGHT_SECONDS = 30
MOVE_TASK_POLL_SECONDS = 2.0


class RedriveError(Exception):
    """The queue is not a DLQ of exactly one queue, a message was refused, or a move did not finish in time."""


@dataclass(frozen=True)
class Redriven:
    """What a redrive did."""

    dlq_url: str
    destination: str
    moved: int
    method: str


def queue_url(sqs: Any, queue: str) -> str:
    """The URL of ``queue`` (a name or already a URL)."""
    if queue.startswith(("http://", "https://")):
        return queue
    return str(sqs.get_queue_url(QueueName=queue)["QueueUrl"])


def _attributes(sqs: Any, url: str, *names: str) -> dict[str, str]:
    # A queue without one of the attributes (no RedrivePolicy) answers without the key at all.
    return dict(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names)).get("Attributes", {}))


def source_of(sqs: Any, dlq_url: str) -> str:
    """The one queue whose RedrivePolicy sends its dead letters to ``dlq_url``."""
    dlq_arn = _attributes(sqs, dlq_url, "QueueArn")["QueueArn"]
    sources: list[str] = []
    for page in sqs.get_paginator("list_queues").paginate():
        for url in page.get("QueueUrls", []):
            policy = _attributes(sqs, url, "RedrivePolicy").get("RedrivePolicy")
            if policy and json.loads(policy).get("deadLetterTargetArn") == dlq_arn:
                sources.append(url)
    if len(sources) != 1:
        raise RedriveError(f"{dlq_url} is the dead-letter queue of {len(sources)} queues, not exactly one")
    return sources[0]


Deliver = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _drain(sqs: Any, dlq_url: str, limit: int, deliver: Deliver) -> int:
    """Hand at most ``limit`` messages of ``dlq_url`` to ``deliver``; delete those it accepted."""
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(SQS_MAX_BATCH, limit - moved),
            VisibilityTimeout=IN_FLIGHT_SECONDS,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if not messages:
            break
        accepted = deliver(messages)
        if accepted:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(accepted)],
            )
        moved += len(accepted)
        if len(accepted) < len(messages):
            raise RedriveError(f"{len(messages) - len(accepted)} message(s) not accepted; they stay in the DLQ")
    return moved


def copy_back(sqs: Any, dlq_url: str, source_url: str, limit: int) -> int:
    """Move at most ``limit`` messages from ``dlq_url`` to ``source_url``; return how many moved."""

    def send(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries = [
            {"Id": str(i), "MessageBody": message["Body"], "MessageAttributes": message.get("MessageAttributes", {})}
            for i, message in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=source_url, Entries=entries)
        return [messages[int(entry["Id"])] for entry in sent.get("Successful", [])]

    return _drain(sqs, dlq_url, limit, send)


def _is_event(value: Any) -> bool:
    return isinstance(value, dict) and {"source", "detail-type", "detail"} <= value.keys()


def _scheduled_event(input_: Any) -> dict[str, Any] | None:
    """The event Scheduler would have put for a schedule's Input, if ``input_`` is one of ours."""
    [produced] = [entry for entry in contract.event_types() if entry["producer"] == "scheduler"]
    try:
        validate(produced["detail_type"], input_, view="consumer")
    except InvalidPayloadError:
        return None
    return {"source": produced["source"], "detail-type": produced["detail_type"], "detail": input_}


def event_of(body: str) -> dict[str, Any]:
    """The EventBridge event a dead letter stands for: an on-failure record's, a rule target's, or a schedule's."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and _is_event(document.get("requestPayload")):
        return dict(document["requestPayload"])
    if _is_event(document):
        return dict(document)
    scheduled = _scheduled_event(document)
    if scheduled is not None:
        return scheduled
    raise RedriveError(
        "not a dead letter of the bus (a Lambda on-failure record, a rule target's event or a schedule's Input): "
        + body[:200]
    )


def put_back(sqs: Any, events: Any, dlq_url: str, bus: str, limit: int) -> int:
    """Put the event each dead letter in ``dlq_url`` stands for (``event_of``) on ``bus`` again.

    The same detail travels again (so the same request_id and reminder_id: the consumers are
    idempotent per request and per reminder); a message deleted once its event was accepted is
    never put twice.
    """

    def put(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries = []
        for message in messages:
            event = event_of(message["Body"])
            entries.append(
                {
                    "EventBusName": bus,
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                }
            )
        answer = events.put_events(Entries=entries)
        return [message for message, entry in zip(messages, answer["Entries"], strict=True) if "EventId" in entry]

    return _drain(sqs, dlq_url, limit, put)


def move_task(sqs: Any, dlq_url: str, timeout_seconds: float) -> int:
    """AWS's redrive: StartMessageMoveTask to the original sources, followed until it completes."""
    dlq_arn = _attributes(sqs, dlq_url, "QueueArn")["QueueArn"]
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for task in sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10).get("Results", []):
            if task.get("TaskHandle") != handle:
                continue
            if task["Status"] == "COMPLETED":
                return int(task.get("ApproximateNumberOfMessagesMoved", 0))
            if task["Status"] in {"FAILED", "CANCELLED"}:
                raise RedriveError(f"move task {task['Status']}: {task.get('FailureReason', '')}")
        time.sleep(MOVE_TASK_POLL_SECONDS)
    raise RedriveError(f"move task {handle} did not complete within {timeout_seconds:.0f} s")


def redrive(
    sqs: Any,
    queue: str,
    *,
    method: str = "copy",
    timeout_seconds: float = 300.0,
    bus: str | None = None,
    events: Any = None,
) -> Redriven:
    """Send every message ``queue`` (a DLQ) holds now back where it failed.

    With ``bus`` (and an EventBridge client ``events``), ``queue`` holds Lambda on-failure records
    and their events go back on that bus; otherwise the messages go back to the queue ``queue`` serves.
    """
    dlq_url = queue_url(sqs, queue)
    waiting = int(_attributes(sqs, dlq_url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"])
    if bus is not None:
        return Redriven(dlq_url, bus, put_back(sqs, events, dlq_url, bus, waiting), "put-events")
    source_url = source_of(sqs, dlq_url)
    if method == "move-task":
        return Redriven(dlq_url, source_url, move_task(sqs, dlq_url, timeout_seconds), method)
    return Redriven(dlq_url, source_url, copy_back(sqs, dlq_url, source_url, waiting), method)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cartops.redrive", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("queue", help="the dead-letter queue: name or URL")
    parser.add_argument("--endpoint-url", help="a local endpoint (the moto URL `make local` prints); default: AWS")
    parser.add_argument(
        "--method",
        choices=["auto", "move-task", "copy"],
        default="auto",
        help="move-task: SQS StartMessageMoveTask; copy: receive → send → delete; auto: copy for a local endpoint",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for a move task")
    parser.add_argument(
        "--bus",
        help="the queue is a DLQ of the bus (async failures, rule targets, Scheduler): put its events on this bus",
    )
    args = parser.parse_args(argv)
    method = args.method if args.method != "auto" else ("copy" if args.endpoint_url else "move-task")
    try:
        done = redrive(
            client("sqs", args.endpoint_url),
            args.queue,
            method=method,
            timeout_seconds=args.timeout,
            bus=args.bus,
            events=client("events", args.endpoint_url),
        )
    except RedriveError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"redrove {done.moved} message(s) from {done.dlq_url} to {done.destination} ({done.method})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
