"""What the console shows, read from the running stack the way an AWS client would read it.

Schedules come from Scheduler (ListSchedules, GetSchedule), queue depths from SQS
(GetQueueAttributes), emails from the outbox's .eml files; nothing here keeps state of its own.
"""

from __future__ import annotations

import email
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from cartlocal.pollers.scheduler import due_time


@dataclass(frozen=True)
class Schedule:
    """A schedule that has not fired yet."""

    name: str
    due: datetime | None
    detail_type: str
    detail: dict[str, Any]

    def seconds_left(self, now: datetime) -> float | None:
        return None if self.due is None else (self.due - now).total_seconds()


@dataclass(frozen=True)
class Queue:
    """One queue of the stack with its depth; ``redrive`` says where its messages can go back."""

    key: str
    name: str
    url: str
    visible: int
    in_flight: int
    dead_letter: bool
    redrive: str | None


@dataclass(frozen=True)
class Email:
    """One accepted SES message as the outbox wrote it."""

    number: int
    path: Path
    to: str
    subject: str
    html: str | None
    text: str | None


@dataclass(frozen=True)
class Answer:
    """A request the Send form made to the local API and the API's answer, byte for byte."""

    route: str
    request: bytes
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def schedules(scheduler: Any, group: str) -> list[Schedule]:
    """Every schedule of ``group``, soonest first."""
    found = []
    for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
        for item in page["Schedules"]:
            try:
                schedule = scheduler.get_schedule(Name=item["Name"], GroupName=group)
            except scheduler.exceptions.ResourceNotFoundException:
                continue  # fired or cancelled since it was listed
            target = schedule["Target"]
            try:
                detail = json.loads(target.get("Input", "{}"))
            except ValueError:
                detail = {}
            parameters = target.get("EventBridgeParameters", {})
            found.append(Schedule(item["Name"], due_time(schedule), parameters.get("DetailType", "?"), detail))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(found, key=lambda schedule: schedule.due or far)


def queues(sqs: Any, queue_urls: dict[str, str], dlq_urls: dict[str, str]) -> list[Queue]:
    """The contract's queues, then the dead-letter queues, with their depths.

    A queue's DLQ goes back to that queue (SQS redrive); the async-failures DLQ holds Lambda
    on-failure records whose events go back on the bus; the scheduler's DLQ holds schedule
    inputs, which have no place to go back to.
    """
    found = []
    for key, url, dead_letter in [
        *((key, url, False) for key, url in queue_urls.items()),
        *((key, url, True) for key, url in dlq_urls.items()),
    ]:
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        redrive = None
        if dead_letter and key in queue_urls:
            redrive = "queue"
        elif dead_letter and key == "async_failures":
            redrive = "bus"
        found.append(
            Queue(
                key=key,
                name=url.rsplit("/", 1)[-1],
                url=url,
                visible=int(attributes["ApproximateNumberOfMessages"]),
                in_flight=int(attributes["ApproximateNumberOfMessagesNotVisible"]),
                dead_letter=dead_letter,
                redrive=redrive,
            )
        )
    return found


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag in ("p", "br", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    """The readable text of an HTML body, one block per line."""
    parser = _Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def emails(files: list[Path]) -> list[Email]:
    """The outbox's messages, newest first."""
    found = []
    for number, path in enumerate(files, start=1):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        parts: dict[str, str] = {}
        for subtype in ("html", "plain"):
            part = message.get_body(preferencelist=(subtype,))
            if isinstance(part, EmailMessage) and part.get_content_subtype() == subtype:
                parts[subtype] = part.get_content()
        found.append(
            Email(
                number,
                path,
                str(message["To"] or ""),
                str(message["Subject"] or ""),
                parts.get("html"),
                parts.get("plain"),
            )
        )
    return found[::-1]
