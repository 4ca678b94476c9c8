"""The contract's timestamps: the HTTP API's CLF request time read as the same instant as ISO 8601."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from cartflow.models import ItemAdded
from cartflow.timestamps import canonical, epoch_ms, parse_timestamp
from tests.helpers.events import cart_detail


@pytest.mark.parametrize(
    ("clf", "iso"),
    [
        ("28/Nov/2026:04:05:06 +0000", "2026-11-28T04:05:06Z"),
        ("01/Jan/2030:00:30:00 +0100", "2029-12-31T23:30:00Z"),
        ("31/Dec/2029:23:15:00 -0045", "2030-01-01T00:00:00Z"),
    ],
)
def test_a_clf_request_time_is_the_instant_of_its_iso_form(clf: str, iso: str) -> None:
    assert parse_timestamp(clf) == parse_timestamp(iso)
    assert parse_timestamp(clf).tzinfo == UTC
    assert epoch_ms(clf) == epoch_ms(iso)
    assert canonical(clf) == iso


def test_a_clf_request_time_is_written_in_utc_whatever_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert canonical("28/Nov/2026:04:05:06 +0000") == "2026-11-28T04:05:06Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_canonical_keeps_iso_text_and_its_milliseconds() -> None:
    assert canonical("2030-01-01T10:00:00.700Z") == "2030-01-01T10:00:00.700Z"


def test_a_clf_month_must_be_an_english_abbreviation() -> None:
    with pytest.raises(ValueError, match="month"):
        parse_timestamp("28/Xyz/2026:04:05:06 +0000")


@pytest.mark.parametrize(
    "occurred_at", ["28/Nov/2026:04:05:06 +0000", "2026-11-28T04:05:06Z", "2026-11-28T04:05:06.123Z"]
)
def test_the_cart_events_accept_either_request_time(occurred_at: str) -> None:
    added = ItemAdded.from_dict(cart_detail("ItemAddedToCart", occurred_at=occurred_at))
    assert parse_timestamp(added.occurred_at) >= datetime(2026, 11, 28, 4, 5, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    "occurred_at", ["28/nov/2026:04:05:06 +0000", "28/Nov/2026:04:05:06", "2026-11-28 04:05:06Z", "1764302706"]
)
def test_the_cart_events_refuse_any_other_form(occurred_at: str) -> None:
    with pytest.raises(ValueError, match="occurred_at"):
        ItemAdded.from_dict(cart_detail("ItemAddedToCart", occurred_at=occurred_at))
