"""The scripted journey of `make demo API=http`: the REST journey's outcomes, through what the HTTP API really does.

The HTTP API's EventBridge-PutEvents integration validates nothing and answers PutEvents' own
response, so where the REST journey expects "message received" and a 400 for a bad body, this one
expects PutEvents' answer, a malformed event on the bus that its consumer rejects (counted, then
dead-lettered by Lambda's asynchronous invocation), and a 200 even when EventBridge drops the
entry. The cart events carry ``$context.requestTime`` (whole seconds, CLF), which the contract
accepts, so adds, removals, the reminder and the checkout behave as through REST, except that
a removal and a re-add within one second cannot be ordered: the journey re-adds in the next
second. terraform/README.md explains each difference.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from cartlocal.journey import EMAIL, PRODUCT, STEP_TIMEOUT_SECONDS, USER, Journey, request, wait_for
from cartlocal.local_stack import LocalStack

# Lambda's retries of an asynchronous invocation, time-scaled locally, before the record is dead-lettered.
DEAD_LETTER_TIMEOUT_SECONDS = 60.0


class HttpJourney(Journey):
    """Runs the HTTP API's steps against a started LocalStack (api = "http") and collects expectations."""

    def __init__(self, local: LocalStack, delay_seconds: int) -> None:
        super().__init__(local, delay_seconds)
        assert local.stack is not None
        self._sqs = local.client("sqs")
        self._dlq = local.stack.dlq_urls["async_failures"]
        self._dead: list[dict[str, Any]] = []

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        rest = dict(super().steps())
        replaced = {
            "send an invalid body": ("send an invalid body: nothing validates it", self.send_an_invalid_body),
            "add the same item again": (
                "a body that breaks the Detail's JSON: EventBridge drops the entry, the client still gets 200",
                self.break_the_detail,
            ),
        }
        return [replaced.get(title, (title, step)) for title, step in rest.items()]

    def accepted(self, status: int, answer: dict[str, Any]) -> tuple[str, bool]:
        entries = answer.get("Entries") or [{}]
        held = status == 200 and answer.get("FailedEntryCount") == 0 and "EventId" in entries[0]
        return "valid add answers 200 with PutEvents' response (one EventId)", held

    def rejections(self) -> list[str]:
        """Error messages of schedule_reminder's failed invocations so far."""
        results = self.local.workers["schedule_reminder"].results
        return [str(result.error.get("errorMessage", "")) for result in results if result.error is not None]

    def dead_letters(self) -> list[dict[str, Any]]:
        """Invocation records that reached the async-failure DLQ so far (read once, kept here)."""
        received = self._sqs.receive_message(QueueUrl=self._dlq, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        self._dead += [json.loads(message["Body"]) for message in received.get("Messages", [])]
        return self._dead

    def send_an_invalid_body(self) -> None:
        before = len(self.rejections())
        status, answer = request(self.url, "POST", "/cart", {"user": USER, "quantity": 0})
        self.expect(
            "invalid body answers 200 with PutEvents' response (nothing validates it)",
            status == 200 and answer.get("FailedEntryCount") == 0,
            f"{status} {answer}",
        )
        wait_for(lambda: len(self.rejections()) > before, STEP_TIMEOUT_SECONDS)
        rejected = self.rejections()[before:][:1]
        dead = wait_for(lambda: len(self.dead_letters()) >= 1, DEAD_LETTER_TIMEOUT_SECONDS)
        self.expect(
            "schedule_reminder rejects the malformed event; it reaches the async-failure DLQ",
            len(rejected) == 1 and "detail." in rejected[0] and dead,
            f"{rejected}; {len(self._dead)} dead-lettered record(s)",
        )

    def break_the_detail(self) -> None:
        status, answer = request(self.url, "POST", "/cart", {"user": 'ada"', "product": PRODUCT, "email": EMAIL})
        entries = answer.get("Entries") or [{}]
        self.expect(
            "a malformed Detail answers 200 with FailedEntryCount 1 (no 5xx mapping)",
            status == 200 and answer.get("FailedEntryCount") == 1 and entries[0].get("ErrorCode") == "MalformedDetail",
            f"{status} {answer}",
        )

    def add_it_again_and_get_reminded(self) -> None:
        # occurred_at has whole seconds: a re-add in the removal's second ties with it and the
        # removal wins (no reminder), so the user of this journey re-adds in the next second.
        time.sleep(1 - time.time() % 1)
        super().add_it_again_and_get_reminded()
