"""The pending schedules on a user's record: what is stored, what a checkout's condition refuses, what is forgotten.

Keys and attribute names are pinned to fixed strings: records written by the running version must
still be found after a deploy. DynamoDB's item size limit is moto's (it enforces one on UpdateItem, with AWS's error).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cartflow import cancellations, pending, schedules
from cartflow.models import ItemAdded, ReminderDue
from tests.helpers.aws import record_table, requests_sent

TABLE = "records"
NOW = datetime(2030, 1, 1, 10, 0, 0, tzinfo=UTC)
ADA = "ada@example.com"
USER_KEY = {"id": {"S": "checked-out#cart-b5fc85e55755f9e0d030-"}}
SKU_42 = "cart-b5fc85e55755f9e0d030-a393fcf856bca39befd8"
# Scheduler's retry window in the contract: a schedule may live this long after it fires.
RETRY_SECONDS = 86400


@pytest.fixture
def table() -> Iterator[Any]:
    with record_table(TABLE) as client:
        yield client


def reminder(product: str = "sku:42", added_at: str = "2030-01-01T10:00:00Z") -> ReminderDue:
    added = ItemAdded(
        user=ADA,
        product=product,
        quantity=1,
        email=ADA,
        request_id="q-" + product.replace(":", "-"),
        occurred_at=added_at,
    )
    return schedules.reminder_for(added)


def register(
    table: Any, product: str = "sku:42", *, now: datetime = NOW, added_at: str = "2030-01-01T10:00:00Z"
) -> str:
    return pending.register(
        table, TABLE, reminder(product, added_at), fire_at=now + timedelta(days=1), ttl_seconds=3600, now=now
    )


def user_record(table: Any) -> dict[str, Any]:
    item: dict[str, Any] = table.get_item(TableName=TABLE, Key=USER_KEY).get("Item", {})
    return item


def checkout(table: Any, happened_at: str) -> dict[str, Any]:
    return cancellations.record(
        table, TABLE, user=ADA, product=None, happened_at=happened_at, ttl_seconds=3600, now=NOW
    )


def test_a_schedule_is_recorded_by_name_with_when_it_is_surely_gone_on_the_checkout_record(table: Any) -> None:
    assert register(table) == "recorded"
    fired = int((NOW + timedelta(days=1)).timestamp())
    assert user_record(table) == {
        **USER_KEY,
        SKU_42: {"N": str(fired + RETRY_SECONDS)},
        "expiration": {"N": str(int(NOW.timestamp()) + 3600)},
    }
    assert pending.entries(user_record(table), ADA) == {SKU_42: fired + RETRY_SECONDS}


def test_a_checkout_reads_the_recorded_schedules_in_the_write_that_records_it(table: Any) -> None:
    register(table, "sku:1")
    register(table, "sku:2")
    recorded = checkout(table, "2030-01-01T11:00:00Z")
    assert set(pending.entries(recorded, ADA)) == {schedules.schedule_name(ADA, p) for p in ("sku:1", "sku:2")}
    # A copy of the same checkout is not recorded again, but reads the same schedules.
    assert pending.entries(checkout(table, "2030-01-01T11:00:00Z"), ADA) == pending.entries(recorded, ADA)


@pytest.mark.parametrize(
    ("happened_at", "expected"), [("2030-01-01T10:00:00Z", "checked out"), ("2030-01-01T09:59:59.999Z", "recorded")]
)
def test_an_add_is_not_recorded_once_a_checkout_no_older_than_it_is(
    table: Any, happened_at: str, expected: str
) -> None:
    checkout(table, happened_at)
    assert register(table) == expected
    assert (SKU_42 in user_record(table)) == (expected == "recorded")


def test_an_add_forgets_the_schedules_that_are_surely_gone_and_keeps_the_others(table: Any) -> None:
    register(table, "sku:1")
    register(table, "sku:2", now=NOW + timedelta(days=1))
    # Two days and a second on, sku:1's schedule fired a day ago and its retries ended.
    later = NOW + timedelta(days=2, seconds=1)
    register(table, "sku:3", now=later, added_at="2030-01-03T10:00:01Z")
    assert set(pending.entries(user_record(table), ADA)) == {
        schedules.schedule_name(ADA, p) for p in ("sku:2", "sku:3")
    }


def test_forgetting_leaves_a_schedule_recorded_again_meanwhile(table: Any) -> None:
    register(table)
    read = pending.entries(user_record(table), ADA)
    register(table, now=NOW + timedelta(minutes=1), added_at="2030-01-01T10:01:00Z")
    pending.forget(table, TABLE, ADA, read)
    assert SKU_42 in pending.entries(user_record(table), ADA)
    pending.forget(table, TABLE, ADA, pending.entries(user_record(table), ADA))
    assert pending.entries(user_record(table), ADA) == {}


def test_many_schedules_are_forgotten_a_chunk_at_a_time(table: Any) -> None:
    for index in range(pending.FORGET_CHUNK + 1):
        register(table, f"sku:{index}")
    with requests_sent(table, "UpdateItem") as sent:
        pending.forget(table, TABLE, ADA, pending.entries(user_record(table), ADA))
    assert [len(request["ExpressionAttributeNames"]) for request in sent] == [pending.FORGET_CHUNK, 1]
    assert pending.entries(user_record(table), ADA) == {}


def test_a_record_at_dynamodbs_item_size_limit_refuses_the_schedule_and_says_so(table: Any) -> None:
    # moto refuses an item above 405,000 bytes, a little below AWS's 400 KB: a record filled to
    # within 100 bytes of that cannot take one more name (46 bytes) with its number and expiration.
    table.put_item(TableName=TABLE, Item={**USER_KEY, "filler": {"S": "x" * 404_900}})
    assert register(table) == "full"
    assert SKU_42 not in user_record(table)
