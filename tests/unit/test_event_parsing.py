"""Parsing events by the contract: what a valid envelope becomes, and how each rejection reads.

A rejection names the field and the rule, never the value (docs/reliability.md): these tests pin
the exact text operators and the logs see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cartflow import models
from cartflow.models import Event, InvalidPayloadError, ItemAdded, ReminderSent, parse_event, prepare, validate
from cartflow.sqs_batch import process_partial_response

SENT = {
    "user": "ada",
    "product": "p",
    "reminder_id": "b23d5d363ca2e1359c40ecaf7d8e3f58",
    "request_id": "r-1",
    "message_id": "m",
    "sent_at": "2030-01-01T10:00:00Z",
}
ENVELOPE: dict[str, Any] = {
    "version": "0",
    "id": "e-1",
    "source": "cartflow.reminders",
    "account": "123456789012",
    "time": "2030-01-01T10:00:00Z",
    "region": "eu-west-1",
    "resources": ["arn:a"],
    "detail-type": "CartReminderSent",
    "replay-name": "r1",
    "detail": SENT,
}


def test_a_valid_envelope_becomes_an_event_field_for_field() -> None:
    assert parse_event(ENVELOPE, ReminderSent) == Event(
        version="0",
        id="e-1",
        source="cartflow.reminders",
        account="123456789012",
        time=datetime(2030, 1, 1, 10, tzinfo=UTC),
        region="eu-west-1",
        resources=("arn:a",),
        detail_type="CartReminderSent",
        replay_name="r1",
        detail=ReminderSent(**SENT),
    )


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("{oops", "<root>: not JSON (Expecting property name enclosed in double quotes, line 1 column 2)"),
        ([], "<root>: must be object"),
        # The envelope is open: an unknown field is no reason, a missing one is.
        (
            {**{key: value for key, value in ENVELOPE.items() if key != "account"}, "extra": 1},
            "account: required property missing",
        ),
        ({**ENVELOPE, "version": 0}, "version: must be string"),
        # Valid by the schema's date-time format, but not a moment that exists.
        ({**ENVELOPE, "time": "2030-12-31T23:59:60Z"}, "time: not a valid date-time"),
        ({**ENVELOPE, "detail": {**SENT, "message_id": 7}}, "detail.message_id: must be string"),
    ],
)
def test_a_rejection_names_the_failing_field_and_rule(payload: Any, reason: str) -> None:
    with pytest.raises(InvalidPayloadError) as raised:
        parse_event(payload, ReminderSent)
    assert str(raised.value) == reason


def test_a_rule_on_one_field_is_reported_under_its_location() -> None:
    added = {"user": "a", "product": "p", "email": "a@b.co", "request_id": "r", "occurred_at": "2030-01-01T00:00:00Z"}
    with pytest.raises(InvalidPayloadError, match=r"^detail\.quantity: must be bigger than or equal to 1$"):
        validate("ItemAddedToCart", {**added, "quantity": 0}, "detail")
    # The schema's default fills a missing quantity, on a copy: the caller's dict is left as it was.
    assert ItemAdded.from_dict(added).quantity == 1
    assert "quantity" not in added


def test_a_batch_event_without_records_is_refused_as_powertools_refuses_it() -> None:
    with pytest.raises(ValueError, match=r"^Invalid event format\. Please ensure batch event is a valid SQS event\.$"):
        process_partial_response({"records": []}, lambda record: None)


def test_a_function_compiles_its_schemas_at_cold_start_and_none_on_its_first_event() -> None:
    # prepare runs at import: the cold start pays for compiling, not the first request, and only
    # for the envelope and the details the function handles.
    models._validator.cache_clear()
    prepare(ReminderSent)
    compiled = models._validator.cache_info()
    assert compiled.currsize == 3
    parse_event(ENVELOPE, ReminderSent)
    assert models._validator.cache_info().misses == compiled.misses
