"""The local stack as the reliability scenarios drive it: fault proxies wired in, and ways to observe.

Every scenario needs the same things: the real stack (zips under awslambdaric, moto, the HTTP
API) with SES, Scheduler and EventBridge reachable through fault-injecting proxies, and counts of what came
out of it — emails per recipient (the outbox), events on the bus (the tap), what each function
was handed (the Runtime API), what sits in a dead-letter queue. This module has them once.
"""

from __future__ import annotations

import email
import http.client
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from cartflow import contract, schedules
from cartflow.models import ItemAdded
from cartlocal.journey import wait_for
from cartlocal.local_aws.quotas import CANCEL, SCHEDULE, SEND, Proxies
from cartlocal.local_stack import LocalStack, Options
from cartlocal.timeline import Timeline
from tests.helpers.events import cart_detail

# The functions the scenarios observe, by name.
__all__ = ["CANCEL", "SCHEDULE", "SEND"]
# Long enough that nothing added through the API fires during a run; scenarios that need a
# reminder to fire put CartReminderDue on the bus or back-date the add's occurred_at.
REMINDER_DELAY_SECONDS = 3600
# Retry back-off and visibility timeouts become ~1 s each (SQS counts whole seconds).
TIME_SCALE = 1 / 360
# A wrongly repeated effect (a second email, a second schedule) can only come from work still
# pending in a queue, visible or in flight. Once every queue has stayed empty this long (several
# polls of every poller), none is on its way.
QUIET_SECONDS = 0.5
HTTP_TIMEOUT_SECONDS = 30.0
PUT_EVENTS_MAX = 10
# The backlog a scenario may leave behind (e.g. the load's adds) is worked off well within this.
QUIESCE_SECONDS = 300.0


@dataclass(frozen=True)
class Reply:
    """One HTTP answer of the local API (header names lower-cased), with how long it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def message(self) -> str:
        try:
            return str(json.loads(self.body).get("message", ""))
        except (ValueError, AttributeError):
            return ""


@dataclass
class Outcome:
    """A scenario's result: its figures, lost and duplicated counts, and expectations that failed."""

    scenario: str
    done: str
    figures: dict[str, Any] = field(default_factory=dict)
    lost: int = 0
    duplicated: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def expect(self, held: bool, description: str) -> None:
        if not held:
            self.failures.append(description)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.failures

    def summary(self) -> str:
        figures = ", ".join(f"{name} {value}" for name, value in self.figures.items())
        status = "PASS" if self.ok else "FAIL"
        lines = [f"{status} {self.scenario} ({self.seconds:.1f} s): lost {self.lost}, duplicated {self.duplicated}"]
        lines.append(f"     {figures}")
        lines.extend(f"     ✘ {failure}" for failure in self.failures)
        return "\n".join(lines)


class Harness:
    """A started local stack whose functions reach SES, Scheduler and EventBridge via fault proxies."""

    def __init__(
        self, dist: Path, workdir: Path, name: str = "cartflow-reliability", ses_max_send_rate: int | None = None
    ) -> None:
        self.proxies = Proxies()
        self.ses, self.scheduler = self.proxies.ses, self.proxies.scheduler
        # send_reminder's SES_MAX_SEND_RATE when not the contract's (e.g. the sandbox's 1/s).
        rate = {} if ses_max_send_rate is None else {"SES_MAX_SEND_RATE": str(ses_max_send_rate)}
        environment = self.proxies.environment
        options = Options(
            dist=dist,
            workdir=workdir,
            name=name,
            reminder_delay_seconds=REMINDER_DELAY_SECONDS,
            time_scale=TIME_SCALE,
            extra_environment={**environment, SEND: {**environment[SEND], **rate}},
        )
        # The timeline of a run this size is thousands of lines: keep it in a file, not on the console.
        workdir.mkdir(parents=True, exist_ok=True)
        self.timeline_file = (workdir / "timeline.log").open("w", encoding="utf-8")
        self.local = LocalStack(options, Timeline(stream=self.timeline_file))

    def __enter__(self) -> Self:
        self.proxies.__enter__()
        try:
            self.local.__enter__()
        except BaseException:
            self.proxies.__exit__(None, None, None)
            self.timeline_file.close()
            raise
        assert self.local.moto is not None
        self.proxies.connect(self.local.moto.url)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self.local.__exit__(kind, error, trace)
        finally:
            self.proxies.__exit__(kind, error, trace)
            self.timeline_file.close()

    # --- the stack's parts ------------------------------------------------------------------------

    @property
    def settings(self) -> dict[str, str]:
        assert self.local.stack is not None
        return self.local.stack.settings

    def queue(self, name: str) -> str:
        assert self.local.stack is not None
        return self.local.stack.queue_urls[name]

    def dlq(self, name: str) -> str:
        assert self.local.stack is not None
        return self.local.stack.dlq_urls[name]

    @property
    def api_url(self) -> str:
        assert self.local.api is not None
        return self.local.api.url

    # --- input ------------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: bytes, content_type: str | None = "application/json") -> Reply:
        """One HTTP request to the local API (``content_type`` None sends no Content-Type header)."""
        target = urlsplit(self.api_url)
        connection = http.client.HTTPConnection(target.netloc, timeout=HTTP_TIMEOUT_SECONDS)
        headers = {"Content-Type": content_type} if content_type is not None else {}
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return Reply(response.status, headers, payload, time.perf_counter() - started)
        finally:
            connection.close()

    def put_events(self, entries: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """Put (source, detail-type, detail) events on the bus, up to ten per PutEvents call (one batch)."""
        events = self.local.client("events")
        batch = [
            {
                "EventBusName": self.settings["EVENT_BUS_ARN"],
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
            for source, detail_type, detail in entries
        ]
        for start in range(0, len(batch), PUT_EVENTS_MAX):
            answer = events.put_events(Entries=batch[start : start + PUT_EVENTS_MAX])
            assert answer["FailedEntryCount"] == 0, answer

    # --- observation ------------------------------------------------------------------------------

    def emails(self) -> Counter[str]:
        """Emails SES accepted so far, per recipient (as written to the outbox)."""
        assert self.local.outbox is not None
        self.local.outbox.step()
        return Counter(str(email.message_from_bytes(path.read_bytes())["To"]) for path in self.local.outbox.files)

    def bus_events(self, detail_type: str) -> list[dict[str, Any]]:
        """Details of the ``detail_type`` events the tap saw on the bus so far."""
        assert self.local.tap is not None
        return [event["detail"] for event in list(self.local.tap.events) if event.get("detail-type") == detail_type]

    def records_handed(self, function: str, marker: str) -> int:
        """How many events (asynchronous) or SQS records (queue consumer) ``function`` was handed with ``marker``."""
        count = 0
        for raw in list(self.local.workers[function].handed_out):
            event = json.loads(raw)
            records = event.get("Records") if isinstance(event, dict) else None
            bodies = [json.dumps(record) for record in records] if records else [raw.decode("utf-8")]
            count += sum(marker in body for body in bodies)
        return count

    def batches_with_all(self, function: str, markers: Iterable[str]) -> int:
        """How many invocations of ``function`` carried every one of ``markers`` at once."""
        wanted = list(markers)
        return sum(
            all(marker in raw.decode("utf-8") for marker in wanted)
            for raw in list(self.local.workers[function].handed_out)
        )

    def take(self, url: str, matches: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Remove and return the messages of ``url`` whose JSON body ``matches``; others stay, visible."""
        sqs = self.local.client("sqs")
        taken: list[dict[str, Any]] = []
        others: list[str] = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages", []
        ):
            for message in messages:
                body = json.loads(message["Body"])
                if matches(body):
                    taken.append(body)
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    others.append(message["ReceiptHandle"])
        for handle in others:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        return taken

    def depth(self, url: str) -> int:
        """Messages in ``url``, visible or in flight."""
        attributes = self.local.client("sqs").get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def pending_queues(self) -> list[str]:
        """Every queue something reads: the functions' deliveries and queues, and the bus tap's."""
        assert self.local.stack is not None
        stack = self.local.stack
        tap = [self.local.tap.url] if self.local.tap is not None else []
        return [*stack.lambda_delivery_queues.values(), *stack.queue_urls.values(), *tap]

    def idle(self) -> bool:
        """Whether no event or message is pending for anything that reads one."""
        return all(self.depth(url) == 0 for url in self.pending_queues())

    def quiesce(self, timeout: float = QUIESCE_SECONDS) -> bool:
        """Wait until no event or message is pending for any function, so a scenario starts from a quiet stack."""
        return wait(self.idle, timeout)

    def settle(self, timeout: float = QUIESCE_SECONDS) -> bool:
        """After the expected outcome showed: wait until nothing has been pending for :data:`QUIET_SECONDS`.

        A duplicate still on its way would be an event or message in some queue; checking the
        queues one after another can miss one moving between them, hence quiet for a while.
        """
        quiet_since: list[float] = []

        def quiet_long_enough() -> bool:
            if not self.idle():
                quiet_since.clear()
                return False
            if not quiet_since:
                quiet_since.append(time.monotonic())
            return time.monotonic() - quiet_since[0] >= QUIET_SECONDS

        return wait(quiet_long_enough, timeout)

    def schedules_of(self, user: str) -> list[dict[str, Any]]:
        """The reminder schedules of ``user`` with their Input (the CartReminderDue detail)."""
        scheduler = self.local.client("scheduler")
        group = self.settings["SCHEDULE_GROUP"]
        pages = scheduler.get_paginator("list_schedules").paginate(
            GroupName=group, NamePrefix=schedules.user_prefix(user)
        )
        found = []
        for name in (item["Name"] for page in pages for item in page["Schedules"]):
            try:
                schedule = scheduler.get_schedule(Name=name, GroupName=group)
            except scheduler.exceptions.ResourceNotFoundException:
                continue  # fired and deleted between list and get
            found.append({"Name": name, **json.loads(schedule["Target"]["Input"])})
        return found

    def function_errors(self, function: str) -> list[str]:
        return [
            str((result.error or {}).get("errorType"))
            for result in self.local.workers[function].results
            if not result.ok
        ]


def wait(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (bounded, like every wait here)."""
    return wait_for(condition, timeout)


def reminder_due(user: str, product: str, **fields: Any) -> dict[str, Any]:
    """A valid CartReminderDue detail for ``user`` (email ``<user>@example.com``), as a schedule fires it."""
    detail = cart_detail("ItemAddedToCart", user=user, product=product, email=f"{user}@example.com", **fields)
    return schedules.reminder_for(ItemAdded.from_dict(detail)).to_dict()


def typed(detail_type: str, details: Iterable[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(source, detail-type, detail) entries for :meth:`Harness.put_events`, source from the catalog."""
    event = contract.event_type(detail_type)
    return [(event["source"], event["detail_type"], detail) for detail in details]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (``fraction`` in (0, 1])."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]
