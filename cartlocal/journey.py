"""The scripted customer journey of `make demo` (and of the end-to-end test), over HTTP.

Each step states what AWS would make observable and waits for it, boundedly: the API's answer,
schedules in the Scheduler group, emails in the outbox. The result is a list of expectations,
each held or not, so the caller can print a summary and exit non-zero if any failed.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cartflow import schedules
from cartlocal.local_stack import LocalStack

USER, EMAIL, PRODUCT, OTHER_PRODUCT = "ada", "ada@example.com", "sku-42", "sku-7"
# Slack on top of the reminder delay for Scheduler, the queue and send_reminder's cold start.
DELIVERY_GRACE_SECONDS = 15.0
STEP_TIMEOUT_SECONDS = 15.0
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Expectation:
    """One observable outcome of the journey."""

    description: str
    held: bool
    observed: str


def request(base_url: str, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    """Send a JSON request; return the status and the parsed JSON answer."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    call = urllib.request.Request(  # noqa: S310  # base_url is the local API on 127.0.0.1
        f"{base_url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(call, timeout=STEP_TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL_SECONDS)
    return condition()


class Journey:
    """Runs the steps against a started LocalStack and collects expectations."""

    def __init__(self, local: LocalStack, delay_seconds: int) -> None:
        assert local.api is not None, "the journey needs the HTTP API (event_sources=True)"
        assert local.stack is not None
        assert local.outbox is not None
        self.local, self.delay = local, delay_seconds
        self.url = local.api.url
        self.outbox = local.outbox
        self._scheduler = local.client("scheduler")
        self._group = local.stack.settings["SCHEDULE_GROUP"]
        self.expectations: list[Expectation] = []
        self._adds_before = self._emails_before = 0

    def expect(self, description: str, held: bool, observed: str) -> bool:
        self.expectations.append(Expectation(description, held, observed))
        self.local.timeline.log("demo", f"{'✔' if held else '✘'} {description} ({observed})")
        return held

    def schedules(self) -> list[str]:
        """Names of the user's reminder schedules in the group."""
        found = self._scheduler.list_schedules(GroupName=self._group, NamePrefix=schedules.user_prefix(USER))
        return [item["Name"] for item in found["Schedules"]]

    def invocations(self, function: str) -> int:
        return len(self.local.workers[function].results)

    def step(self, title: str) -> None:
        self.local.timeline.log("demo", f"── {title}")

    def add(self, product: str) -> tuple[int, dict[str, Any]]:
        return request(self.url, "POST", "/cart", {"user": USER, "product": product, "quantity": 2, "email": EMAIL})

    def run(self) -> list[Expectation]:
        for number, (title, step) in enumerate(self.steps(), start=1):
            self.step(f"{number}. {title}")
            step()
        return self.expectations

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        """The journey's steps in order, each a title and what it does and expects."""
        return [
            ("add an item", self.add_an_item),
            ("send an invalid body", self.send_an_invalid_body),
            ("add the same item again", self.add_the_same_item_again),
            ("remove the item", self.remove_the_item),
            (f"add it again and wait for the reminder ({self.delay} s delay)", self.add_it_again_and_get_reminded),
            ("add another item, then check out", self.add_another_and_check_out),
        ]

    def accepted(self, status: int, answer: dict[str, Any]) -> tuple[str, bool]:
        """How the API answers a valid request: the expectation's text and whether ``answer`` is it."""
        return "valid add answers 200 'message received'", (status, answer) == (200, _RECEIVED)

    def add_an_item(self) -> None:
        self._adds_before = self.invocations("schedule_reminder")
        status, answer = self.add(PRODUCT)
        self.expect(*self.accepted(status, answer), f"{status} {answer}")
        wait_for(lambda: len(self.schedules()) == 1, STEP_TIMEOUT_SECONDS)
        self.expect("the add created one reminder schedule", len(self.schedules()) == 1, f"{self.schedules()}")

    def send_an_invalid_body(self) -> None:
        status, answer = request(self.url, "POST", "/cart", {"user": USER, "quantity": 0})
        message = str(answer.get("message", ""))
        # The client gets what API Gateway answers; the validator's reason is in the execution log.
        reason = next((line for line in self.local.timeline.lines if "does not match model schema" in line), "")
        self.expect(
            "invalid body answers API Gateway's 400, the reason in the execution log",
            status == 400 and message == "Invalid request body" and '["product","email"]' in reason,
            f"{status} {message}; {reason.split(': ', 1)[-1]}",
        )

    def add_the_same_item_again(self) -> None:
        status, _ = self.add(PRODUCT)
        before = self._adds_before
        wait_for(lambda: self.invocations("schedule_reminder") >= before + 2, STEP_TIMEOUT_SECONDS)
        handled = self.invocations("schedule_reminder") - before
        self.expect(
            "duplicate add keeps exactly one schedule",
            status == 200 and handled >= 2 and len(self.schedules()) == 1,
            f"{handled} adds handled, schedules {self.schedules()}",
        )

    def remove_the_item(self) -> None:
        status, _ = request(self.url, "DELETE", "/cart", {"user": USER, "product": PRODUCT})
        gone = wait_for(lambda: not self.schedules(), STEP_TIMEOUT_SECONDS)
        self.expect("remove deletes the schedule", status == 200 and gone, f"schedules {self.schedules()}")

    def add_it_again_and_get_reminded(self) -> None:
        self._emails_before = emails_before = len(self.outbox.files)
        status, _ = self.add(PRODUCT)
        wait_for(lambda: len(self.outbox.files) > emails_before, self.delay + DELIVERY_GRACE_SECONDS)
        time.sleep(1)  # a second email, if one were (wrongly) sent, would arrive right after the first
        sent = self.outbox.files[emails_before:]
        body = sent[0].read_text(encoding="utf-8") if sent else ""
        self.expect(
            "exactly one reminder email after the delay",
            status == 200 and len(sent) == 1 and PRODUCT in body,
            f"{[str(path) for path in sent]}",
        )

    def add_another_and_check_out(self) -> None:
        status, _ = self.add(OTHER_PRODUCT)
        wait_for(lambda: len(self.schedules()) == 1, STEP_TIMEOUT_SECONDS)
        added_at = time.monotonic()
        scheduled = len(self.schedules())
        status_checkout, _ = request(self.url, "POST", "/checkout", {"user": USER})
        gone = wait_for(lambda: not self.schedules(), STEP_TIMEOUT_SECONDS)
        # Wait past the cancelled reminder's due time: nothing may arrive.
        wait_for(lambda: False, max(0.0, added_at + self.delay + 2 - time.monotonic()))
        emails = len(self.outbox.files) - self._emails_before
        self.expect(
            "checkout cancels the remaining reminders (no more emails)",
            status == status_checkout == 200 and scheduled == 1 and gone and emails == 1,
            f"{scheduled} scheduled before checkout, {len(self.schedules())} after; {emails} email(s) in total",
        )


_RECEIVED = {"message": "message received"}
