"""The scripted journey of `make demo API=http`: what the HTTP API option really does with each request.

The HTTP API's EventBridge-PutEvents integration validates nothing and answers PutEvents' own
response, so the REST journey's expectations (a 400 for a bad body, a reminder for a good add)
do not hold. Its Detail mapping cannot write an ISO-8601 occurred_at either (the only request time
it has is ``$context.requestTime``, CLF), so every cart event it puts fails the event contract and
the consumer rejects it: counted (InvalidEvents), then sent to the async-failure DLQ by Lambda's
asynchronous invocation. These are the expectations checked here; terraform/README.md explains them.
"""

from __future__ import annotations

import json
from typing import Any

from cartlocal.journey import EMAIL, PRODUCT, STEP_TIMEOUT_SECONDS, USER, Expectation, request, wait_for
from cartlocal.local_stack import LocalStack

# Lambda's retries of an asynchronous invocation, time-scaled locally, before the record is dead-lettered.
DEAD_LETTER_TIMEOUT_SECONDS = 60.0


class HttpJourney:
    """Runs the HTTP API's steps against a started LocalStack (api = "http") and collects expectations."""

    def __init__(self, local: LocalStack) -> None:
        assert local.api is not None, "the journey needs the HTTP API (event_sources=True)"
        assert local.stack is not None
        self.local = local
        self.url = local.api.url
        self._sqs = local.client("sqs")
        self._dlq = local.stack.dlq_urls["async_failures"]
        self._dead: list[dict[str, Any]] = []
        self.expectations: list[Expectation] = []

    def expect(self, description: str, held: bool, observed: str) -> bool:
        self.expectations.append(Expectation(description, held, observed))
        self.local.timeline.log("demo", f"{'✔' if held else '✘'} {description} ({observed})")
        return held

    def step(self, title: str) -> None:
        self.local.timeline.log("demo", f"── {title}")

    def rejections(self) -> list[str]:
        """Error messages of schedule_reminder's failed invocations so far."""
        results = self.local.workers["schedule_reminder"].results
        return [str(result.error.get("errorMessage", "")) for result in results if result.error is not None]

    def dead_letters(self) -> list[dict[str, Any]]:
        """Invocation records that reached the async-failure DLQ so far (read once, kept here)."""
        received = self._sqs.receive_message(QueueUrl=self._dlq, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        self._dead += [json.loads(message["Body"]) for message in received.get("Messages", [])]
        return self._dead

    def run(self) -> list[Expectation]:
        self.step("1. add an item: PutEvents' own answer, then the consumer rejects the event")
        status, answer = request(
            self.url, "POST", "/cart", {"user": USER, "product": PRODUCT, "quantity": 2, "email": EMAIL}
        )
        accepted = status == 200 and answer.get("FailedEntryCount") == 0 and "EventId" in answer["Entries"][0]
        self.expect("valid add answers 200 with PutEvents' response (one EventId)", accepted, f"{status} {answer}")
        wait_for(lambda: len(self.rejections()) >= 1, STEP_TIMEOUT_SECONDS)
        first = self.rejections()[:1]
        self.expect(
            "schedule_reminder rejects it: occurred_at is the CLF request time, not ISO-8601",
            len(first) == 1 and "occurred_at" in first[0],
            f"{first}",
        )
        dead = wait_for(lambda: len(self.dead_letters()) >= 1, DEAD_LETTER_TIMEOUT_SECONDS)
        self.expect("the rejected event reaches the async-failure DLQ", dead, f"{len(self._dead)} record(s)")

        self.step("2. send an invalid body: no validation, the event reaches the bus")
        before = len(self.rejections())
        status, answer = request(self.url, "POST", "/cart", {"user": USER, "quantity": 0})
        self.expect(
            "invalid body answers 200 with PutEvents' response (nothing validates it)",
            status == 200 and answer.get("FailedEntryCount") == 0,
            f"{status} {answer}",
        )
        rejected = wait_for(lambda: len(self.rejections()) > before, STEP_TIMEOUT_SECONDS)
        self.expect("schedule_reminder rejects the malformed event", rejected, f"{self.rejections()[before:][:1]}")

        self.step("3. a body that breaks the Detail's JSON: EventBridge drops the entry, the client still gets 200")
        status, answer = request(self.url, "POST", "/cart", {"user": 'ada"', "product": PRODUCT, "email": EMAIL})
        entries = answer.get("Entries", [{}])
        self.expect(
            "a malformed Detail answers 200 with FailedEntryCount 1 (no 5xx mapping)",
            status == 200 and answer.get("FailedEntryCount") == 1 and entries[0].get("ErrorCode") == "MalformedDetail",
            f"{status} {answer}",
        )
        return self.expectations
