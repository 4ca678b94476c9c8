"""A view of every event the bus archive keeps, for the timeline, `make invoke` and `make replay`.

It is the local counterpart of the bus archive: a rule with the archive's own event pattern
(stack.json ``bus.archive_event_pattern``) copies each event to a queue that only this tap
reads, and, given a file, the tap keeps the archive there (one event per line) for
``cartops.replay``. As on AWS, a replayed event (``replay-name`` set) is not archived again, and
the archive holds each event once: the tap's queue delivers at least once, so a message it
receives again (a visibility timeout that lapsed under load) must not add a second copy.
It changes nothing the functions see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cartflow import contract
from cartlocal.timeline import Timeline


class BusTap:
    """Records (and logs) every event matching the archive pattern."""

    def __init__(
        self, stack_name: str, bus_arn: str, events: Any, sqs: Any, timeline: Timeline, *, archive: Path | None = None
    ) -> None:
        self._sqs, self._timeline, self._archive = sqs, timeline, archive
        if archive is not None:
            # The archive lives as long as this stack: moto starts empty, so older events would
            # replay into a stack that never saw them.
            archive.parent.mkdir(parents=True, exist_ok=True)
            archive.write_text("", encoding="utf-8")
        name = f"{stack_name}-tap"
        self.url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = contract.stack()["bus"]["archive_event_pattern"]
        events.put_rule(Name=name, EventBusName=bus_arn, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=bus_arn, Targets=[{"Id": "tap", "Arn": arn}])
        self.events: list[dict[str, Any]] = []
        self._seen: set[str] = set()

    def step(self, wait_seconds: int = 1) -> bool:
        messages = self._sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        for message in messages:
            event = json.loads(message["Body"])
            self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            if event["id"] in self._seen:
                continue
            self._seen.add(event["id"])
            self.events.append(event)
            if self._archive is not None and "replay-name" not in event:
                with self._archive.open("a", encoding="utf-8") as archive:
                    archive.write(json.dumps(event) + "\n")
            detail = event.get("detail", {})
            keys = {key: detail[key] for key in ("user", "product") if key in detail}
            self._timeline.log(
                "eventbridge",
                f"{event.get('detail-type')} from {event.get('source')} {json.dumps(keys)}",
                [str(detail.get("request_id", ""))],
            )
        return bool(messages)
