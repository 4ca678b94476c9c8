"""The scripted customer journey of `make demo` (and of the end-to-end test), over HTTP.

Each step states what AWS would make observable and waits for it, boundedly: the API's answer,
schedules in the Scheduler group, what each function answered, emails in the outbox. The result
is a list of expectations, each held or not, so the caller can print a summary and exit non-zero
if any failed.

No expectation may hold for another reason than the one it names, and none rests on a pause:

- a schedule that is gone was deleted by the removal or the checkout only if cancel_reminders
  answered "deleted" for it (had the reminder fired first, it answers "absent");
- the reminder email comes from the schedule the journey fires (the local scheduler's Fire now,
  so the run need not wait out the delay, which the schedule's due time is checked against);
- "no (second) email" is counted only once nothing is left that could send one: no schedule of
  the user and no message in any queue a function reads, visible, in flight or delayed.

Run it on a stack whose reminder delay is long (`make demo` uses an hour): then nothing fires
unless the journey fires it. With a short delay a reminder that fires during the first steps
makes their expectations fail, never pass.
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
from cartflow.timestamps import epoch_ms
from cartlocal.local_stack import LocalStack
from cartlocal.pollers.scheduler import due_time

USER, EMAIL, PRODUCT, OTHER_PRODUCT = "ada", "ada@example.com", "sku-42", "sku-7"
# From Fire now to the email: the scheduler's poll, the queue and send_reminder's cold start.
# The reminder delay the journey runs with: one no step can outlast, so nothing fires on its own;
# the email step fires the schedule itself (the local scheduler's Fire now).
DELAY_SECONDS = 3600
DELIVERY_GRACE_SECONDS = 30.0
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
        self._sqs = local.client("sqs")
        self._group = local.stack.settings["SCHEDULE_GROUP"]
        self.expectations: list[Expectation] = []
        self._adds_before = self._emails_before = 0
        self.name = schedules.schedule_name(USER, PRODUCT)

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

    def outcomes(self, function: str, name: str, since: int = 0) -> list[Any]:
        """What ``function`` answered for schedule ``name`` (invocations from ``since`` on), in order.

        schedule_reminder answers its outcome ("created", "duplicate", "retimed", ...) per add;
        cancel_reminders its outcome per schedule ("deleted", "absent", "kept").
        """
        found: list[Any] = []
        for result in self.local.workers[function].results[since:]:
            payload = result.payload if result.ok and isinstance(result.payload, dict) else {}
            if payload.get("schedule") == name:
                found.append(payload.get("outcome"))
            elif isinstance(payload.get("outcomes"), dict) and name in payload["outcomes"]:
                found.append(payload["outcomes"][name])
        return found

    def pending(self) -> int:
        """Messages in every queue a function reads (visible, in flight or delayed)."""
        assert self.local.stack is not None
        stack = self.local.stack
        total = 0
        for url in [*stack.lambda_delivery_queues.values(), *stack.queue_urls.values()]:
            attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_DEPTH)["Attributes"]
            total += sum(int(attributes[name]) for name in _DEPTH)
        return total

    def settled(self) -> bool:
        """Wait until nothing could still send an email; then the outbox holds every email SES took.

        An email needs a reminder: a schedule of the user that may fire, or a CartReminderDue (or
        a cart event on its way to a function) in a queue. The scheduler deletes a schedule after
        putting its event, so no schedule and then no message pending means nothing is on its way.
        """
        idle = wait_for(lambda: not self.schedules() and self.pending() == 0, STEP_TIMEOUT_SECONDS)
        self.outbox.step()
        return idle

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
            (f"add it again, then fire its reminder (due in {self.delay} s) now", self.add_it_again_and_get_reminded),
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
        wait_for(lambda: len(self.outcomes("schedule_reminder", self.name, before)) >= 2, STEP_TIMEOUT_SECONDS)
        outcomes = self.outcomes("schedule_reminder", self.name, before)
        # Had the first schedule fired in between, the second add would have created another.
        self.expect(
            "duplicate add keeps exactly one schedule",
            status == 200
            and len(outcomes) == 2
            and outcomes[0] == "created"
            and outcomes[1] in _KEPT
            and self.schedules() == [self.name],
            f"schedule_reminder answered {outcomes}, schedules {self.schedules()}",
        )

    def remove_the_item(self) -> None:
        before = self.invocations("cancel_reminders")
        status, _ = request(self.url, "DELETE", "/cart", {"user": USER, "product": PRODUCT})
        gone = wait_for(lambda: not self.schedules(), STEP_TIMEOUT_SECONDS)
        # "deleted", not "absent": the removal deleted it (a reminder that fired deletes its own).
        cancelled = self.cancelled(self.name, before)
        self.expect(
            "remove deletes the schedule",
            status == 200 and gone and cancelled == ["deleted"],
            f"schedules {self.schedules()}; cancel_reminders answered {cancelled}",
        )

    def cancelled(self, name: str, since: int) -> list[Any]:
        """cancel_reminders' outcomes for ``name`` from invocation ``since`` on, once it answered."""
        wait_for(lambda: bool(self.outcomes("cancel_reminders", name, since)), STEP_TIMEOUT_SECONDS)
        return self.outcomes("cancel_reminders", name, since)

    def due_after_the_delay(self, name: str) -> tuple[bool, str]:
        """Whether schedule ``name`` is due the reminder delay after its add; and what was seen."""
        try:
            schedule = self._scheduler.get_schedule(Name=name, GroupName=self._group)
        except self._scheduler.exceptions.ResourceNotFoundException:
            return False, "no schedule"
        due = due_time(schedule)
        added_ms = epoch_ms(json.loads(schedule["Target"]["Input"])["added_at"])
        after = None if due is None else due.timestamp() - added_ms / 1000
        # at() has whole seconds, and a schedule is never due in the past (schedules.fire_time).
        held = after is not None and self.delay - 1 <= after <= self.delay + 1
        return held, f"due {after:.0f} s after the add" if after is not None else "no at() expression"

    def add_it_again_and_get_reminded(self) -> None:
        self._emails_before = emails_before = len(self.outbox.files)
        status, _ = self.add(PRODUCT)
        wait_for(lambda: self.schedules() == [self.name], STEP_TIMEOUT_SECONDS)
        on_time, due = self.due_after_the_delay(self.name)
        assert self.local.scheduler is not None
        self.local.scheduler.fire_now(self.name)
        arrived = wait_for(lambda: len(self.outbox.files) > emails_before, DELIVERY_GRACE_SECONDS)
        # Counted once nothing is left that could send a second one: no sleep stands for it.
        settled = self.settled()
        sent = self.outbox.files[emails_before:]
        body = sent[0].read_text(encoding="utf-8") if sent else ""
        self.expect(
            "exactly one reminder email after the delay",
            status == 200 and on_time and arrived and settled and len(sent) == 1 and PRODUCT in body,
            f"{due}, fired now; {[str(path) for path in sent]}{'' if settled else '; still pending'}",
        )

    def add_another_and_check_out(self) -> None:
        other = schedules.schedule_name(USER, OTHER_PRODUCT)
        status, _ = self.add(OTHER_PRODUCT)
        wait_for(lambda: self.schedules() == [other], STEP_TIMEOUT_SECONDS)
        scheduled = len(self.schedules())
        before = self.invocations("cancel_reminders")
        status_checkout, _ = request(self.url, "POST", "/checkout", {"user": USER})
        gone = wait_for(lambda: not self.schedules(), STEP_TIMEOUT_SECONDS)
        cancelled = self.cancelled(other, before)
        # The checkout deleted the schedule before it fired; count once nothing is on its way.
        settled = self.settled()
        emails = len(self.outbox.files) - self._emails_before
        self.expect(
            "checkout cancels the remaining reminders (no more emails)",
            status == status_checkout == 200
            and scheduled == 1
            and gone
            and cancelled == ["deleted"]
            and settled
            and emails == 1,
            f"{scheduled} scheduled before checkout, {len(self.schedules())} after; cancel_reminders answered "
            f"{cancelled}; {emails} email(s) in total",
        )


_RECEIVED = {"message": "message received"}
# What schedule_reminder answers for an add of an item whose schedule it finds.
_KEPT = ("duplicate", "retimed")
_DEPTH = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
