"""EventBridge Scheduler's firing of one-time ``at()`` schedules (moto stores but never fires).

Each due schedule's target is invoked as Scheduler's templated EventBridge PutEvents target
would: ``EventBridgeParameters`` give source and detail-type, ``Input`` is the detail. A failed
attempt is retried per the schedule's RetryPolicy (back-off time-scaled); when retries or event
age run out the Input goes to the DeadLetterConfig queue with Scheduler's error attributes.
Then ``ActionAfterCompletion=DELETE`` deletes the schedule, as Scheduler does. Target and DLQ are
called with the schedule's execution role, which Scheduler assumes first (``assume``: the local
authorization plane); a role it may not assume fails the attempt like any other target error.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cartlocal.timeline import Timeline
from cartlocal.timing import TimeScale

AT_EXPRESSION = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
# Scheduler backs off exponentially between attempts; this is the first wait in AWS seconds.
FIRST_BACKOFF_SECONDS = 1.0
# Scheduler's RetryPolicy when a schedule sets none (EventBridge Scheduler API reference).
DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_SECONDS = 86400
# ListSchedules' largest page: the fewest requests per poll when many reminders are pending.
LIST_PAGE_SIZE = 100
# A poll lists the whole group, so its cost grows with the reminders pending (a day's adds):
# listing at most this often bounds what they cost moto, and a schedule fires at most this late.
LIST_INTERVAL_SECONDS = 1.0


class AssumeRoleDenied(Exception):
    """Scheduler may not assume a schedule's execution role."""


@dataclass(frozen=True)
class RoleClients:
    """Clients signing as a schedule's execution role: the target's (EventBridge) and the DLQ's."""

    events: Any
    sqs: Any


# RoleArn -> clients of that role's session, or AssumeRoleDenied.
Assume = Callable[[str], RoleClients]


@dataclass
class _Attempts:
    count: int = 0
    next_at: float = 0.0
    last_error: tuple[str, str] = ("", "")


def _string(value: object) -> dict[str, str]:
    return {"DataType": "String", "StringValue": str(value)}


def _request_id(target: dict[str, Any]) -> list[str]:
    try:
        detail = json.loads(target.get("Input", "{}"))
    except ValueError:
        return []
    return [str(detail["request_id"])] if isinstance(detail, dict) and "request_id" in detail else []


def due_time(schedule: dict[str, Any]) -> datetime | None:
    """When a one-time schedule fires, in UTC; None for rate/cron or malformed expressions."""
    match = AT_EXPRESSION.match(schedule.get("ScheduleExpression", ""))
    if match is None:
        return None
    zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=zone).astimezone(UTC)


class ScheduleRunner:
    """Fires the due schedules of one group."""

    def __init__(
        self,
        group: str,
        scheduler: Any,
        sqs: Any,
        assume: Assume,
        *,
        scale: TimeScale,
        timeline: Timeline,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.group = group
        # ``scheduler`` and ``sqs`` are Scheduler's own view (listing schedules, resolving the DLQ's
        # URL from its ARN, which AWS needs no API call for); ``assume`` gives the role's clients.
        self._scheduler, self._sqs, self._assume = scheduler, sqs, assume
        self._scale, self._timeline = scale, timeline
        self._attempts: dict[tuple[str, str], _Attempts] = {}
        self._completed: set[tuple[str, str]] = set()
        # Schedules by name, with the LastModificationDate they were read at: ListSchedules does not
        # return the expression, and a GetSchedule per schedule per poll would load moto needlessly.
        self._known: dict[str, tuple[str, dict[str, Any]]] = {}
        # moto's ListSchedules answer does carry each expression (botocore drops fields its model
        # lacks): read off the raw answer, a new schedule then costs moto no GetSchedule of its own.
        self._raw_listed: dict[str, dict[str, Any]] = {}
        # Names the console asked to fire at the next poll, whatever their due time.
        self._fire_now: set[str] = set()
        self._clock = clock
        self._listed_at: float | None = None
        scheduler.meta.events.register("after-call.scheduler.ListSchedules", self._remember_raw_listing)

    def _remember_raw_listing(self, http_response: Any, **_: Any) -> None:
        for item in json.loads(http_response.content or b"{}").get("Schedules", []):
            if "ScheduleExpression" in item:
                self._raw_listed[item["Name"]] = item

    def fire_now(self, name: str) -> None:
        """Fire schedule ``name`` at the next poll as if it were due (the console's Fire now)."""
        self._fire_now.add(name)

    def step(self) -> bool:
        listing_at = self._clock()
        recently = self._listed_at is not None and listing_at - self._listed_at < LIST_INTERVAL_SECONDS
        if recently and not self._fire_now:
            return False
        self._listed_at = listing_at
        self._raw_listed = {}
        pages = self._scheduler.get_paginator("list_schedules").paginate(
            GroupName=self.group, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
        )
        listed = {item["Name"]: str(item.get("LastModificationDate")) for page in pages for item in page["Schedules"]}
        self._known = {name: known for name, known in self._known.items() if name in listed}
        busy = False
        now = datetime.now(UTC)
        for name, modified in listed.items():
            if name not in self._known or self._known[name][0] != modified:
                schedule = self._raw_listed.get(name) or self._get(name)
                if schedule is None:
                    continue
                self._known[name] = (modified, schedule)
            due = due_time(self._known[name][1])
            forced = name in self._fire_now
            if due is not None and (due <= now or forced):
                self._fire_now.discard(name)
                fresh = self._get(name)  # it may have been cancelled or re-timed since it was read
                busy |= fresh is not None and self._consider(fresh, forced=forced)
        self._fire_now &= listed.keys()
        return busy

    def _get(self, name: str) -> dict[str, Any] | None:
        try:
            schedule: dict[str, Any] = self._scheduler.get_schedule(Name=name, GroupName=self.group)
        except self._scheduler.exceptions.ResourceNotFoundException:
            return None  # deleted (cancelled) since it was listed
        return schedule

    def _consider(self, schedule: dict[str, Any], *, forced: bool = False) -> bool:
        due = due_time(schedule)
        key = (schedule["Name"], f"{schedule['ScheduleExpression']}@{schedule.get('LastModificationDate')}")
        early = due is not None and due > datetime.now(UTC) and not forced
        if schedule.get("State") != "ENABLED" or due is None or early or key in self._completed:
            return False
        attempts = self._attempts.setdefault(key, _Attempts())
        if time.monotonic() < attempts.next_at:
            return False
        target = schedule["Target"]
        role: RoleClients | None = None
        error: tuple[str, str] | None
        try:
            role = self._assume(target["RoleArn"])
        except AssumeRoleDenied as denied:
            error = ("AccessDeniedException", str(denied))
        else:
            error = self._deliver(role.events, target)
        if error is None:
            self._timeline.log(
                "scheduler",
                f"fired {schedule['Name']} → {target['EventBridgeParameters']['DetailType']}",
                [schedule["Name"], *_request_id(target)],
            )
            self._complete(schedule, key)
            return True
        attempts.count += 1
        attempts.last_error = error
        policy = target.get("RetryPolicy", {})
        age = max(0.0, (datetime.now(UTC) - due).total_seconds())
        retries_left = attempts.count <= policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)
        maximum_age = self._scale.seconds(policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_SECONDS))
        if retries_left and age < maximum_age:
            backoff = self._scale.seconds(FIRST_BACKOFF_SECONDS * 2 ** (attempts.count - 1))
            attempts.next_at = time.monotonic() + backoff
            self._timeline.log(
                "scheduler", f"{schedule['Name']} attempt {attempts.count} failed ({error[0]}); retrying"
            )
            return True
        self._dead_letter(role, schedule, attempts)
        self._complete(schedule, key)
        return True

    def _deliver(self, events: Any, target: dict[str, Any]) -> tuple[str, str] | None:
        """PutEvents to the target bus; the (code, message) of a failure, None on success."""
        parameters = target.get("EventBridgeParameters")
        if ":event-bus/" not in target["Arn"] or parameters is None:
            return ("UnsupportedTarget", f"the local scheduler only fires EventBridge targets, not {target['Arn']}")
        try:
            response = events.put_events(
                Entries=[
                    {
                        "EventBusName": target["Arn"],
                        "Source": parameters["Source"],
                        "DetailType": parameters["DetailType"],
                        "Detail": target.get("Input", "{}"),
                    }
                ]
            )
        except events.exceptions.ClientError as error:
            return (error.response["Error"]["Code"], error.response["Error"]["Message"])
        if response.get("FailedEntryCount"):
            entry = response["Entries"][0]
            return (entry.get("ErrorCode", "Failed"), entry.get("ErrorMessage", ""))
        return None

    def _dead_letter(self, role: RoleClients | None, schedule: dict[str, Any], attempts: _Attempts) -> None:
        target = schedule["Target"]
        dlq_arn = target.get("DeadLetterConfig", {}).get("Arn")
        code, message = attempts.last_error
        if not dlq_arn or role is None:  # without the role, the DLQ is out of reach too
            self._timeline.log("scheduler", f"{schedule['Name']} dropped after {attempts.count} attempts: {code}")
            return
        url = self._sqs.get_queue_url(QueueName=dlq_arn.rsplit(":", 1)[-1])["QueueUrl"]
        role.sqs.send_message(
            QueueUrl=url,
            MessageBody=target.get("Input", "{}"),
            MessageAttributes={
                "ERROR_CODE": _string(code),
                "ERROR_MESSAGE": _string(message or code),
                "EXECUTION_ID": _string(uuid.uuid4()),
                "RETRY_ATTEMPTS": _string(attempts.count - 1),
                "SCHEDULE_ARN": _string(schedule["Arn"]),
                "TARGET_ARN": _string(target["Arn"]),
            },
        )
        self._timeline.log("scheduler", f"{schedule['Name']} dead-lettered after {attempts.count} attempts: {code}")

    def _complete(self, schedule: dict[str, Any], key: tuple[str, str]) -> None:
        self._attempts.pop(key, None)
        self._completed.add(key)
        if schedule.get("ActionAfterCompletion") == "DELETE":
            try:
                self._scheduler.delete_schedule(Name=schedule["Name"], GroupName=self.group)
            except self._scheduler.exceptions.ResourceNotFoundException:
                return
            self._timeline.log(
                "scheduler", f"deleted {schedule['Name']} (ActionAfterCompletion=DELETE)", [schedule["Name"]]
            )
