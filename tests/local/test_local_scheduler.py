"""The local Scheduler's polling cost: one ListSchedules per poll, GetSchedule only when needed.

Its firing (retries, dead letters, ActionAfterCompletion) is covered end to end in
tests/e2e/test_local_e2e.py; here moto runs in process and botocore's hooks count the requests.
"""

from __future__ import annotations

import io
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from cartlocal.pollers.scheduler import LIST_INTERVAL_SECONDS, LIST_PAGE_SIZE, RoleClients, ScheduleRunner
from cartlocal.timeline import Timeline
from cartlocal.timing import TimeScale

GROUP = "reminders"
BUS = "bus"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        clients: dict[str, Any] = {
            name: boto3.client(name, region_name=REGION) for name in ("scheduler", "events", "sqs")
        }
        clients["scheduler"].create_schedule_group(Name=GROUP)
        clients["events"].create_event_bus(Name=BUS)
        yield clients


@pytest.fixture
def calls(aws: dict[str, Any]) -> Counter[str]:
    """Operation names the scheduler client sent, counted."""
    counted: Counter[str] = Counter()
    aws["scheduler"].meta.events.register("before-call.scheduler", lambda model, **_: counted.update([model.name]))
    return counted


def runner(aws: dict[str, Any], clock: Callable[[], float] | None = None) -> ScheduleRunner:
    """A runner whose clock moves a listing interval on at each step, unless given another."""
    roles = RoleClients(aws["events"], aws["sqs"])
    return ScheduleRunner(
        GROUP,
        aws["scheduler"],
        aws["sqs"],
        lambda role: roles,
        scale=TimeScale(1 / 120),
        timeline=Timeline(io.StringIO()),
        clock=clock or itertools.count(step=LIST_INTERVAL_SECONDS).__next__,
    )


def at(when: datetime) -> str:
    return f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})"


def schedule(aws: dict[str, Any], name: str, when: datetime, *, update: bool = False) -> None:
    (aws["scheduler"].update_schedule if update else aws["scheduler"].create_schedule)(
        Name=name,
        GroupName=GROUP,
        ScheduleExpression=at(when),
        FlexibleTimeWindow={"Mode": "OFF"},
        State="ENABLED",
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{BUS}",
            "RoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/scheduler",
            "EventBridgeParameters": {"Source": "test", "DetailType": "Due"},
            "Input": json.dumps({"name": name}),
        },
    )


@pytest.mark.parametrize("expressions_listed", [True, False], ids=["moto's listing", "AWS's listing"])
def test_pending_schedules_are_read_at_most_once_then_only_listed(
    aws: dict[str, Any], calls: Counter[str], expressions_listed: bool
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    count = LIST_PAGE_SIZE + 1  # two pages
    for number in range(count):
        schedule(aws, f"s{number}", later)
    calls.clear()
    poller = runner(aws)
    if not expressions_listed:  # as against AWS, whose summaries carry no expression
        aws["scheduler"].meta.events.unregister("after-call.scheduler.ListSchedules", poller._remember_raw_listing)

    for _ in range(3):
        assert poller.step() is False

    assert calls == Counter({"ListSchedules": 3 * 2} | ({} if expressions_listed else {"GetSchedule": count}))


def test_the_group_is_listed_at_most_once_a_listing_interval(aws: dict[str, Any], calls: Counter[str]) -> None:
    schedule(aws, "pending", datetime.now(UTC) + timedelta(hours=1))
    now = [0.0]
    poller = runner(aws, clock=lambda: now[0])
    calls.clear()

    poller.step()
    now[0] += LIST_INTERVAL_SECONDS / 2
    poller.step()
    assert calls["ListSchedules"] == 1
    now[0] += LIST_INTERVAL_SECONDS / 2
    poller.step()
    assert calls["ListSchedules"] == 2


def test_a_changed_schedule_is_read_again_and_fires_when_its_new_time_comes(
    aws: dict[str, Any], calls: Counter[str]
) -> None:
    schedule(aws, "retimed", datetime.now(UTC) + timedelta(hours=1))
    poller = runner(aws)
    poller.step()
    schedule(aws, "retimed", datetime.now(UTC) - timedelta(seconds=1), update=True)
    calls.clear()

    assert poller.step() is True

    assert calls == Counter({"ListSchedules": 1, "GetSchedule": 1, "DeleteSchedule": 1})  # read just before firing
    assert aws["scheduler"].list_schedules(GroupName=GROUP)["Schedules"] == []
