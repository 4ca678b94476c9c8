"""The domain rules of reminders held at their edges: times, ties, identities, settings, details.

Each test names the rule it protects. The expected values are written out, not recomputed with
the code under test: a schedule name or reminder id that changed would orphan every live
schedule while a test that derives its expectation from the same code stayed green.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cartflow import contract, newest_reminded, schedules, timestamps
from cartflow.config import ConfigurationError, Settings, load_settings
from cartflow.models import InvalidPayloadError, ItemAdded, ReminderDue, ReminderSent, validate
from cartflow.timestamps import epoch_ms, parse_timestamp

DAY = 86_400
ADD = ItemAdded(
    user="ada@example.com",
    product="sku:42",
    quantity=2,
    email="ada@example.com",
    request_id="9b2f6c1e-0d4a-4f8e-b1c3-5a7d2e8f9c10",
    occurred_at="2030-01-01T10:00:00Z",
)
ARNS = {
    "EVENT_BUS_ARN": "arn:bus",
    "SCHEDULER_ROLE_ARN": "arn:role",
    "SCHEDULER_DLQ_ARN": "arn:dlq",
    "IDEMPOTENCY_TABLE": "table",
}


def test_a_reminder_already_due_fires_the_functions_timeout_and_a_second_after_now_rounded_down() -> None:
    now = datetime(2030, 1, 5, 12, 0, 0, 700_000, tzinfo=UTC)
    assert schedules.fire_time("2030-01-01T10:00:00Z", DAY, now) == datetime(2030, 1, 5, 12, 0, 11, tzinfo=UTC)


def test_an_overdue_reminder_is_still_ahead_when_scheduler_is_called_as_late_as_the_timeout_allows() -> None:
    # `now` is taken before up to three reads and the Scheduler calls: a late copy of an add must
    # not reach Scheduler with an at() already past, whatever Scheduler would do with it.
    now = datetime(2030, 1, 5, 12, 0, 0, 999_999, tzinfo=UTC)
    latest_call = now + timedelta(seconds=contract.function_spec("schedule_reminder")["timeout"])
    fires = schedules.fire_time("2030-01-01T10:00:00Z", DAY, now)
    assert fires > latest_call
    assert parse_timestamp(schedules.at_expression(fires)[3:-1] + "Z") > latest_call


def test_a_reminder_not_yet_due_fires_exactly_the_delay_after_the_add() -> None:
    now = datetime(2030, 1, 1, 10, 0, 5, tzinfo=UTC)
    assert schedules.fire_time("2030-01-01T10:00:00Z", DAY, now) == datetime(2030, 1, 2, 10, 0, 0, tzinfo=UTC)


def test_the_at_expression_is_the_fire_time_in_whole_seconds_without_zone_letter() -> None:
    assert schedules.at_expression(datetime(2030, 1, 2, 10, 0, 1, tzinfo=UTC)) == "at(2030-01-02T10:00:01)"


def test_schedule_names_and_user_prefixes_never_change_for_the_same_user_and_product() -> None:
    # Computed once; a different value means every schedule already created is orphaned.
    assert schedules.user_prefix("ada@example.com") == "cart-b5fc85e55755f9e0d030-"
    assert schedules.schedule_name("ada@example.com", "sku:42") == "cart-b5fc85e55755f9e0d030-a393fcf856bca39befd8"


def test_reminder_ids_never_change_for_the_same_add_request() -> None:
    assert schedules.reminder_id(ADD) == "b23d5d363ca2e1359c40ecaf7d8e3f58"


def test_the_reminder_carries_the_add_field_for_field_and_says_it_was_scheduled() -> None:
    assert schedules.reminder_for(ADD) == ReminderDue(
        user="ada@example.com",
        product="sku:42",
        quantity=2,
        email="ada@example.com",
        scheduled_event=True,
        added_at="2030-01-01T10:00:00Z",
        reminder_id="b23d5d363ca2e1359c40ecaf7d8e3f58",
        request_id="9b2f6c1e-0d4a-4f8e-b1c3-5a7d2e8f9c10",
    )


def test_the_reminded_record_is_read_from_exactly_one_minute_before_the_add_is_due() -> None:
    now = datetime(2030, 1, 2, 9, 59, 0, tzinfo=UTC)
    assert newest_reminded.may_be_superseded("2030-01-01T10:00:00Z", DAY, now)
    assert not newest_reminded.may_be_superseded("2030-01-01T10:00:00.001Z", DAY, now)


def test_a_whole_number_setting_may_equal_its_minimum_but_not_go_below() -> None:
    settings = Settings("send_reminder", {"ZERO": "0", "NEGATIVE": "-1", "ONE": "1"})
    assert settings.integer("ZERO") == 0
    with pytest.raises(ConfigurationError, match=r"^NEGATIVE must be >= 0, got -1$"):
        settings.integer("NEGATIVE")
    assert settings.integer("ONE", minimum=1) == 1
    with pytest.raises(ConfigurationError, match=r"^ZERO must be >= 1, got 0$"):
        settings.integer("ZERO", minimum=1)
    with pytest.raises(ConfigurationError, match=r"^ONE must be a whole number, got '1.5'$"):
        Settings("send_reminder", {"ONE": "1.5"}).integer("ONE")


def test_the_record_ttl_setting_must_be_at_least_one_second(load_function: Any) -> None:
    assert load_function("send_reminder", IDEMPOTENCY_TTL_SECONDS="1").RECORD_TTL_SECONDS == 1
    with pytest.raises(ConfigurationError, match="IDEMPOTENCY_TTL_SECONDS must be >= 1, got 0"):
        load_function("send_reminder", IDEMPOTENCY_TTL_SECONDS="0")


def test_an_empty_setting_takes_its_contract_default_and_every_missing_one_is_named() -> None:
    given = {"REMINDER_DELAY_SECONDS": "", "SCHEDULE_GROUP": "g", "POWERTOOLS_SERVICE_NAME": "cartflow-test"}
    settings = load_settings("schedule_reminder", given | ARNS)
    assert settings["REMINDER_DELAY_SECONDS"] == "86400"
    with pytest.raises(
        ConfigurationError,
        match=r"^schedule_reminder: missing environment variable\(s\): EVENT_BUS_ARN, SCHEDULE_GROUP, ",
    ):
        load_settings("schedule_reminder", {})
    with pytest.raises(KeyError, match="SENDER_EMAIL is not a setting of schedule_reminder"):
        settings["SENDER_EMAIL"]


def test_a_detail_built_in_code_is_held_to_its_schema() -> None:
    fields = {
        "user": "ada@example.com",
        "product": "sku:42",
        "reminder_id": "b23d5d363ca2e1359c40ecaf7d8e3f58",
        "request_id": "9b2f6c1e-0d4a-4f8e-b1c3-5a7d2e8f9c10",
        "message_id": "m-1",
    }
    assert ReminderSent(**fields, sent_at="2030-01-02T10:00:01Z").sent_at == "2030-01-02T10:00:01Z"
    with pytest.raises(InvalidPayloadError, match=r"^detail\.sent_at: "):
        ReminderSent(**fields, sent_at="tomorrow")


def test_a_detail_travels_as_compact_json_with_non_ascii_kept() -> None:
    sent = ReminderSent(
        user="ada",
        product="p",
        reminder_id="b23d5d363ca2e1359c40ecaf7d8e3f58",
        request_id="r-1",
        message_id="é",
        sent_at="2030-01-02T10:00:01Z",
    )
    assert sent.to_json() == (
        '{"user":"ada","product":"p","reminder_id":"b23d5d363ca2e1359c40ecaf7d8e3f58","request_id":"r-1",'
        '"message_id":"é","sent_at":"2030-01-02T10:00:01Z"}'
    )


def test_a_rejection_names_every_missing_and_every_unexpected_field_and_never_a_value() -> None:
    data = {**ADD.to_dict(), "surprise": "ada@example.com"}
    del data["email"], data["product"]
    # What a producer emits is held to the closed schema: every missing and every unexpected field.
    with pytest.raises(InvalidPayloadError) as raised:
        validate("ItemAddedToCart", data, "detail")
    assert str(raised.value) == (
        "detail.email: required property missing; detail.product: required property missing; "
        "detail.surprise: unexpected property"
    )
    # A consumer tolerates the unknown field but still names every missing one.
    with pytest.raises(InvalidPayloadError) as raised:
        ItemAdded.from_dict(data)
    assert str(raised.value) == "detail.email: required property missing; detail.product: required property missing"


def test_times_are_ordered_to_the_millisecond() -> None:
    assert epoch_ms("2030-01-01T00:00:00.5Z") == 1_893_456_000_500
    assert epoch_ms("2030-01-01T00:00:00.0006Z") == 1_893_456_000_001
    assert schedules.due_time("2030-01-01T00:00:00Z", 90) == datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=90)


def test_the_current_time_is_written_in_utc_whatever_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    # The local stack runs on developers' machines, in any zone; Lambda's is UTC.
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        written = parse_timestamp(timestamps.now())
        assert before <= written <= datetime.now(UTC)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_settings_read_as_a_mapping_of_exactly_the_declared_values() -> None:
    settings = Settings("send_reminder", {"A": "1", "B": "2"})
    assert dict(settings) == {"A": "1", "B": "2"}
    assert len(settings) == 2
