"""The removal and checkout records: their keys, what they store, which one wins, how they are read.

Keys are pinned to fixed strings: records written by the running version must still be found
after a deploy. Where moto cannot show a difference (a consistent read), the request is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cartflow import cancellations
from tests.helpers.aws import record_table, requests_sent

TABLE = "cancellations"
NOW = datetime(2030, 1, 2, 10, 0, 0, 900_000, tzinfo=UTC)
ADA, SKU = "ada@example.com", "sku:42"
ADA_SKU_42 = "cart-b5fc85e55755f9e0d030-a393fcf856bca39befd8"
ADA_PREFIX = "cart-b5fc85e55755f9e0d030-"


@pytest.fixture
def table() -> Iterator[Any]:
    with record_table(TABLE) as client:
        yield client


def remove(table: Any, happened_at: str, *, product: str | None = SKU, now: datetime = NOW, ttl: int = 3600) -> None:
    cancellations.record(table, TABLE, user=ADA, product=product, happened_at=happened_at, ttl_seconds=ttl, now=now)


def stored(table: Any) -> dict[str, dict[str, dict[str, str]]]:
    return {item["id"]["S"]: item for item in table.scan(TableName=TABLE)["Items"]}


def test_a_removal_stores_its_time_and_an_expiry_ttl_seconds_after_now_under_the_items_key(table: Any) -> None:
    remove(table, "2030-01-01T10:00:00.250Z", ttl=3600)
    assert stored(table) == {
        f"removed#{ADA_SKU_42}": {
            "id": {"S": f"removed#{ADA_SKU_42}"},
            "happened_at_ms": {"N": "1893492000250"},
            # Whole epoch seconds, the unit DynamoDB's TTL reads.
            "expiration": {"N": str(1_893_578_400 + 3600)},
        }
    }


def test_a_checkout_is_stored_under_the_users_key(table: Any) -> None:
    remove(table, "2030-01-01T10:00:00Z", product=None)
    assert set(stored(table)) == {f"checked-out#{ADA_PREFIX}"}


def test_only_a_newer_removal_replaces_the_recorded_one(table: Any) -> None:
    remove(table, "2030-01-01T10:00:05Z")
    first = stored(table)
    later = NOW + timedelta(hours=1)
    # A late copy of an older removal, or a redelivered copy of this one, changes nothing, not even the expiry.
    remove(table, "2030-01-01T10:00:01Z", now=later)
    remove(table, "2030-01-01T10:00:05Z", now=later)
    assert stored(table) == first
    remove(table, "2030-01-01T10:00:05.001Z", now=later)
    [item] = stored(table).values()
    assert (item["happened_at_ms"]["N"], item["expiration"]["N"]) == ("1893492005001", str(1_893_582_000 + 3600))


@pytest.mark.parametrize("product", [SKU, None], ids=["removal", "checkout"])
def test_an_add_at_the_same_instant_as_a_removal_or_checkout_is_cancelled_one_ms_later_is_not(
    table: Any, product: str | None
) -> None:
    remove(table, "2030-01-01T10:00:00Z", product=product)
    assert cancellations.cancelled(table, TABLE, ADA, SKU, "2030-01-01T09:59:59.999Z")
    assert cancellations.cancelled(table, TABLE, ADA, SKU, "2030-01-01T10:00:00Z")
    assert not cancellations.cancelled(table, TABLE, ADA, SKU, "2030-01-01T10:00:00.001Z")


def test_a_removal_of_another_item_or_a_checkout_of_another_user_cancels_nothing(table: Any) -> None:
    remove(table, "2030-01-01T10:00:00Z", product="sku:43")
    cancellations.record(
        table, TABLE, user="bob@example.com", product=None, happened_at="2030-01-01T10:00:00Z", ttl_seconds=60, now=NOW
    )
    assert not cancellations.cancelled(table, TABLE, ADA, SKU, "2030-01-01T09:00:00Z")


def test_both_records_are_read_consistently(table: Any) -> None:
    # A just-recorded removal must be seen; moto reads are always consistent, so check the request.
    with requests_sent(table, "GetItem") as sent:
        assert not cancellations.cancelled(table, TABLE, ADA, SKU, "2030-01-01T10:00:00Z")
    assert [(request["Key"]["id"]["S"], request["ConsistentRead"]) for request in sent] == [
        (f"removed#{ADA_SKU_42}", True),
        (f"checked-out#{ADA_PREFIX}", True),
    ]
