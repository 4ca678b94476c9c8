"""schedule_reminder against moto: one schedule per (user, product), retimed, never doubled."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.events.models import EventPattern

from cartflow import cancellations, contract, newest_reminded, schedules
from cartflow.config import ConfigurationError
from cartflow.models import ItemAdded
from cartflow.parsing import InvalidEventError
from cartflow.timestamps import parse_timestamp
from tests.helpers.aws import aws_error
from tests.helpers.aws_calls import AwsCalls
from tests.helpers.events import cart_detail, deliver
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.metrics import emitted_metrics

CONTEXT = FakeLambdaContext("schedule_reminder")


def listed_schedules(stack: Any) -> list[dict[str, Any]]:
    client = boto3.client("scheduler")
    group = stack.settings["SCHEDULE_GROUP"]
    found = [
        client.get_schedule(Name=item["Name"], GroupName=group)
        for item in client.list_schedules(GroupName=group)["Schedules"]
    ]
    return [{key: value for key, value in item.items() if key != "ResponseMetadata"} for item in found]


def test_item_added_creates_one_time_schedule_that_emits_reminder_due(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    detail = cart_detail("ItemAddedToCart")
    result = app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", detail), CONTEXT)

    assert result["outcome"] == "created"
    [schedule] = listed_schedules(stack)
    assert schedule["Name"] == schedules.schedule_name(detail["user"], detail["product"])
    due = parse_timestamp(detail["occurred_at"]) + timedelta(days=1)
    assert schedule["ScheduleExpression"] == f"at({due.strftime('%Y-%m-%dT%H:%M:%S')})"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    target = schedule["Target"]
    assert target["Arn"] == stack.settings["EVENT_BUS_ARN"]
    assert target["RoleArn"] == stack.settings["SCHEDULER_ROLE_ARN"]
    assert target["DeadLetterConfig"] == {"Arn": stack.settings["SCHEDULER_DLQ_ARN"]}
    assert (
        target["RetryPolicy"]["MaximumRetryAttempts"]
        == contract.stack()["scheduler"]["retry"]["maximum_retry_attempts"]
    )
    assert target["EventBridgeParameters"] == {"DetailType": "CartReminderDue", "Source": "cartflow.reminders"}

    reminder = json.loads(target["Input"])
    jsonschema.Draft4Validator(contract.event_schema("CartReminderDue")).validate(reminder)
    assert reminder["scheduled_event"] is True
    assert reminder["added_at"] == detail["occurred_at"]
    assert {k: reminder[k] for k in ("user", "product", "quantity", "email")} == {
        k: detail[k] for k in ("user", "product", "quantity", "email")
    }
    fired: Any = {"source": "cartflow.reminders", "detail-type": "CartReminderDue", "detail": reminder}
    assert EventPattern.load(json.dumps(contract.rule_pattern("reminder_due"))).matches_event(fired)


def test_a_removal_handled_while_its_add_creates_the_schedule_leaves_no_schedule(
    stack: Any, load_function: Any
) -> None:
    # Lambda runs the two asynchronous invocations at once: the removal records itself and finds
    # no schedule yet, and only then does the add create it.
    app, cancel = load_function("schedule_reminder"), load_function("cancel_reminders")
    added = cart_detail("ItemAddedToCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:00Z")
    removed = cart_detail("ItemRemovedFromCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:05Z")
    answered: list[dict[str, Any]] = []

    def removal_meanwhile(**_: Any) -> None:
        removal = deliver(stack, "cancel_reminders", "ItemRemovedFromCart", removed)
        answered.append(cancel.handler(removal, FakeLambdaContext("cancel_reminders")))

    app.scheduler.meta.events.register("before-call.scheduler.CreateSchedule", removal_meanwhile)
    try:
        result = app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", added), CONTEXT)
    finally:
        app.scheduler.meta.events.unregister("before-call.scheduler.CreateSchedule", removal_meanwhile)

    assert [list(answer["outcomes"].values()) for answer in answered] == [["absent"]]
    assert result["outcome"] == "cancelled"
    assert listed_schedules(stack) == []


def test_duplicate_delivery_keeps_a_single_unchanged_schedule(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", cart_detail("ItemAddedToCart"))
    assert app.handler(envelope, CONTEXT)["outcome"] == "created"
    before = listed_schedules(stack)
    assert app.handler(envelope, CONTEXT)["outcome"] == "duplicate"
    assert listed_schedules(stack) == before


def test_adding_again_retimes_and_an_older_add_never_wins(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    first = cart_detail("ItemAddedToCart", occurred_at="2030-01-01T10:00:00Z")
    second = cart_detail("ItemAddedToCart", occurred_at="2030-01-01T12:00:00Z", quantity=5)
    first_envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", first)
    app.handler(first_envelope, CONTEXT)
    assert app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", second), CONTEXT)["outcome"] == "retimed"
    assert app.handler(first_envelope, CONTEXT)["outcome"] == "stale"

    [schedule] = listed_schedules(stack)
    assert schedule["ScheduleExpression"] == "at(2030-01-02T12:00:00)"
    assert schedule["State"] == "ENABLED"
    assert json.loads(schedule["Target"]["Input"])["quantity"] == 5


def test_which_add_is_newer_is_decided_by_time_not_by_text(stack: Any, load_function: Any) -> None:
    # As strings "12:00:00.500Z" < "12:00:00Z"; as times it is half a second later.
    app = load_function("schedule_reminder")
    whole = deliver(
        stack,
        "schedule_reminder",
        "ItemAddedToCart",
        cart_detail("ItemAddedToCart", occurred_at="2030-01-01T12:00:00Z"),
    )
    later = cart_detail("ItemAddedToCart", occurred_at="2030-01-01T12:00:00.500Z", quantity=7)
    assert app.handler(whole, CONTEXT)["outcome"] == "created"
    assert app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", later), CONTEXT)["outcome"] == "retimed"
    assert app.handler(whole, CONTEXT)["outcome"] == "stale"
    [schedule] = listed_schedules(stack)
    assert json.loads(schedule["Target"]["Input"])["quantity"] == 7


def test_once_an_add_was_reminded_its_late_copies_and_older_adds_schedule_nothing(
    stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = load_function("schedule_reminder")
    now = datetime.now(UTC)

    def added(ago: timedelta, **fields: Any) -> dict[str, Any]:
        return cart_detail("ItemAddedToCart", occurred_at=(now - ago).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **fields)

    # Both adds are past their one-day delay: their reminders are due (a late delivery).
    older, newer = added(timedelta(days=2)), added(timedelta(days=1, hours=1))
    assert app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", newer), CONTEXT)["outcome"] == "created"
    # The reminder fired: send_reminder claimed it, Scheduler deleted the schedule.
    reminder = schedules.reminder_for(ItemAdded.from_dict(newer))
    assert newest_reminded.claim(boto3.client("dynamodb"), stack.settings["IDEMPOTENCY_TABLE"], reminder, 60, now)
    boto3.client("scheduler").delete_schedule(
        Name=schedules.schedule_name(reminder.user, reminder.product), GroupName=stack.settings["SCHEDULE_GROUP"]
    )
    capsys.readouterr()

    for late in (newer, older):
        assert app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", late), CONTEXT)["outcome"] == "stale"
        assert emitted_metrics(capsys.readouterr().out).get("SchedulesStale") == 1
    assert listed_schedules(stack) == []
    # A later add of the same item is a new reminder.
    fresh = added(timedelta(0))
    assert app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", fresh), CONTEXT)["outcome"] == "created"
    assert len(listed_schedules(stack)) == 1


def test_only_an_add_already_due_reads_the_reminded_record() -> None:
    # A newer add's reminder fires no earlier than this add's due time: before it, none can exist.
    now = datetime(2030, 1, 2, 12, tzinfo=UTC)
    day = 86_400
    assert not newest_reminded.may_be_superseded("2030-01-01T12:02:00Z", day, now)
    assert newest_reminded.may_be_superseded("2030-01-01T12:00:30Z", day, now)  # within the clock margin
    assert newest_reminded.may_be_superseded("2030-01-01T11:00:00Z", day, now)


def test_products_and_users_get_separate_schedules(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    for user, product in [("ada", "p1"), ("ada", "p2"), ("bob", "p1")]:
        detail = cart_detail("ItemAddedToCart", user=user, product=product)
        app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", detail), CONTEXT)
    assert len(listed_schedules(stack)) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": None}, "email"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "two"}, "quantity"),
        ({"user": "no spaces allowed"}, "user"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
    ],
)
def test_invalid_detail_is_rejected_counted_and_creates_nothing(
    stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str], change: dict[str, Any], field: str
) -> None:
    app = load_function("schedule_reminder")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", cart_detail("ItemAddedToCart"))
    detail = {k: v for k, v in {**envelope["detail"], **change}.items() if v is not None}
    with pytest.raises(InvalidEventError, match=rf"detail\.{field}"):
        app.handler({**envelope, "detail": detail}, CONTEXT)
    assert emitted_metrics(capsys.readouterr().out).get("InvalidEvents") == 1
    assert listed_schedules(stack) == []


def test_a_field_a_newer_producer_added_is_ignored(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    detail = {**cart_detail("ItemAddedToCart"), "gift_wrap": {"paper": "red"}}
    assert app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", detail), CONTEXT)["outcome"] == "created"
    [schedule] = listed_schedules(stack)
    # The Input is what we produce: strictly the contract's fields, never the unknown one passed on.
    reminder = json.loads(schedule["Target"]["Input"])
    jsonschema.Draft4Validator(contract.event_schema("CartReminderDue")).validate(reminder)


def test_not_an_eventbridge_envelope_is_rejected(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    with pytest.raises(InvalidEventError, match="detail"):
        app.handler({"hello": "world"}, CONTEXT)


def test_scheduler_throttling_propagates_so_lambda_retries(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", cart_detail("ItemAddedToCart"))
    with (
        aws_error(app.scheduler, "CreateSchedule", "ThrottlingException", 429),
        pytest.raises(app.scheduler.exceptions.ThrottlingException),
    ):
        app.handler(envelope, CONTEXT)
    assert listed_schedules(stack) == []
    assert app.handler(envelope, CONTEXT)["outcome"] == "created"


def test_missing_setting_fails_cold_start_naming_it(load_function: Any) -> None:
    with pytest.raises(ConfigurationError, match="SCHEDULER_ROLE_ARN"):
        load_function("schedule_reminder", SCHEDULER_ROLE_ARN=None)


def test_bad_delay_setting_fails_cold_start(load_function: Any) -> None:
    with pytest.raises(ConfigurationError, match="REMINDER_DELAY_SECONDS"):
        load_function("schedule_reminder", REMINDER_DELAY_SECONDS="a day")


IDENTIFIER = st.from_regex(r"\A[A-Za-z0-9._@:-]{1,128}\Z")


@given(user=IDENTIFIER, product=IDENTIFIER, other=IDENTIFIER)
def test_schedule_names_fit_scheduler_limits_and_group_by_user(user: str, product: str, other: str) -> None:
    name = schedules.schedule_name(user, product)
    assert len(name) <= schedules.SCHEDULE_NAME_MAX
    assert re.fullmatch(r"[0-9a-zA-Z\-_.]+", name)
    assert name.startswith(schedules.user_prefix(user))
    assert name == schedules.schedule_name(user, product)
    if other != user:
        assert not name.startswith(schedules.user_prefix(other))
    if other != product:
        assert schedules.schedule_name(user, other) != name


def test_aws_calls_are_recorded_as_the_functions_actions(stack: Any, load_function: Any, aws_calls: AwsCalls) -> None:
    app = load_function("schedule_reminder")
    detail = cart_detail("ItemAddedToCart")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", detail)
    app.handler(envelope, CONTEXT)
    # A fresh add (its reminder a day away) needs no look at the reminded record, only at the
    # item's newest removal and its user's newest checkout; then it records its schedule.
    assert aws_calls.actions("schedule_reminder") == {
        "dynamodb:GetItem",
        "scheduler:CreateSchedule",
        "dynamodb:UpdateItem",
    }
    [created] = [call for call in aws_calls.of("schedule_reminder") if call.operation == "CreateSchedule"]
    assert created.params["Name"] == schedules.schedule_name(detail["user"], detail["product"])
    app.handler(envelope, CONTEXT)
    assert aws_calls.actions("schedule_reminder") == {
        "dynamodb:GetItem",
        "scheduler:CreateSchedule",
        "dynamodb:UpdateItem",
        "scheduler:GetSchedule",
    }


def test_an_add_whose_user_record_is_full_keeps_no_schedule_a_checkout_could_not_find(
    stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = load_function("schedule_reminder")
    detail = cart_detail("ItemAddedToCart", user="ada", product="p1")
    key = {"id": {"S": cancellations.CHECKED_OUT_PREFIX + schedules.user_prefix("ada")}}
    # Within a few bytes of moto's item size limit (405,000 bytes, a little below AWS's 400 KB).
    filler = {"S": "x" * 404_900}
    boto3.client("dynamodb").put_item(TableName=stack.settings["IDEMPOTENCY_TABLE"], Item={**key, "filler": filler})
    result = app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", detail), CONTEXT)
    assert result["outcome"] == "untracked"
    assert listed_schedules(stack) == []
    assert emitted_metrics(capsys.readouterr().out).get("SchedulesUntracked") == 1
