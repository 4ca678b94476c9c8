"""The newest-reminded record: what it stores, when it expires, how it is read, and who wins a tie."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from cartflow import newest_reminded, schedules
from cartflow.models import ItemAdded, ReminderDue
from tests.helpers.aws import record_table, requests_sent

TABLE = "reminded"
NOW = datetime(2030, 1, 2, 10, 0, 0, 900_000, tzinfo=UTC)
DAY = 86_400


def reminder(added_at: str, request_id: str) -> ReminderDue:
    return schedules.reminder_for(
        ItemAdded(
            user="ada@example.com",
            product="sku:42",
            quantity=1,
            email="ada@example.com",
            request_id=request_id,
            occurred_at=added_at,
        )
    )


@pytest.fixture
def table() -> Iterator[Any]:
    with record_table(TABLE) as client:
        yield client


def test_the_claim_stores_the_add_time_the_reminder_and_an_expiry_ttl_seconds_after_now(table: Any) -> None:
    claimed = reminder("2030-01-01T10:00:00.250Z", "r-1")
    assert newest_reminded.claim(table, TABLE, claimed, 3600, NOW)
    [item] = table.scan(TableName=TABLE)["Items"]
    assert item == {
        "id": {"S": "reminded#cart-b5fc85e55755f9e0d030-a393fcf856bca39befd8"},
        "added_at_ms": {"N": "1893492000250"},
        "reminder_id": {"S": claimed.reminder_id},
        # Whole epoch seconds, the unit DynamoDB's TTL reads.
        "expiration": {"N": str(1_893_578_400 + 3600)},
    }


def test_an_add_at_the_same_instant_as_the_claimed_one_is_not_newer_so_it_cannot_claim(table: Any) -> None:
    first, same_instant = reminder("2030-01-01T10:00:00Z", "r-1"), reminder("2030-01-01T10:00:00Z", "r-2")
    assert newest_reminded.claim(table, TABLE, first, 3600, NOW)
    assert not newest_reminded.claim(table, TABLE, same_instant, 3600, NOW)
    assert newest_reminded.claim(table, TABLE, first, 3600, NOW)  # the claimed one may claim again


def test_an_add_at_the_same_instant_as_the_reminded_one_counts_as_superseded(table: Any) -> None:
    assert newest_reminded.claim(table, TABLE, reminder("2030-01-01T10:00:00Z", "r-1"), 3600, NOW)
    assert newest_reminded.superseded(table, TABLE, reminder("2030-01-01T10:00:00Z", "r-2"), DAY, NOW)
    assert not newest_reminded.superseded(table, TABLE, reminder("2030-01-01T10:00:00.001Z", "r-3"), DAY, NOW)


def test_an_add_of_an_item_never_reminded_is_not_superseded(table: Any) -> None:
    assert not newest_reminded.superseded(table, TABLE, reminder("2030-01-01T10:00:00Z", "r-1"), DAY, NOW)


def test_the_reminded_record_is_read_consistently(table: Any) -> None:
    # A just-sent reminder's claim must be seen; moto reads are always consistent, so check the request.
    with requests_sent(table, "GetItem") as sent:
        newest_reminded.superseded(table, TABLE, reminder("2030-01-01T10:00:00Z", "r-1"), DAY, NOW)
    assert [request["ConsistentRead"] for request in sent] == [True]
