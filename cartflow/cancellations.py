"""The newest removal of each item and the newest checkout of each user: so a late add never wins.

EventBridge and Lambda deliver at least once, in any order. A removal or checkout processed
before a late copy of an older add finds no schedule to delete, and that add, arriving after it,
would create the schedule again: the user would be reminded of an item they removed. So
cancel_reminders records when each removal and checkout happened (the newest per key, kept longer
than any redelivery of an add), and schedule_reminder skips an add that is not newer than them.
Records share the idempotency table under their own key prefixes. A user's checkout record also
holds the names of the schedules the user may still have (cartflow.pending), so recording a
checkout reads them in the same atomic write.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cartflow import schedules
from cartflow.timestamps import epoch_ms

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

Item = dict[str, "AttributeValueTypeDef"]

# Distinct from Powertools' keys ("<prefix>#<hash>") and newest_reminded's "reminded#".
REMOVED_PREFIX = "removed#"
CHECKED_OUT_PREFIX = "checked-out#"


def _removal_key(user: str, product: str) -> dict[str, AttributeValueTypeDef]:
    return {"id": {"S": REMOVED_PREFIX + schedules.schedule_name(user, product)}}


def checkout_key(user: str) -> dict[str, AttributeValueTypeDef]:
    """The key of ``user``'s checkout record, which cartflow.pending shares."""
    return {"id": {"S": CHECKED_OUT_PREFIX + schedules.user_prefix(user)}}


def record(
    client: DynamoDBClient,
    table: str,
    *,
    user: str,
    product: str | None,
    happened_at: str,
    ttl_seconds: int,
    now: datetime,
) -> Item:
    """Remember a removal of (user, product), or a checkout of ``user`` when ``product`` is None.

    Only a newer one replaces what is recorded, so a late copy of an older removal changes nothing.
    Returns the record as this write left it (or found it, when a newer one was recorded): for a
    checkout, the user's pending schedules at that very moment.
    """
    key = checkout_key(user) if product is None else _removal_key(user, product)
    try:
        response = client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET happened_at_ms = :happened, expiration = :expiration",
            ConditionExpression="attribute_not_exists(happened_at_ms) OR happened_at_ms < :happened",
            ExpressionAttributeValues={
                ":happened": {"N": str(epoch_ms(happened_at))},
                ":expiration": {"N": str(int(now.timestamp()) + ttl_seconds)},
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except client.exceptions.ConditionalCheckFailedException as kept:
        return kept.response.get("Item", {})  # type: ignore[return-value]  # boto3 types the error loosely
    return response.get("Attributes", {})


def _no_earlier(client: DynamoDBClient, table: str, key: dict[str, AttributeValueTypeDef], added_at: str) -> bool:
    """Whether the record under ``key`` holds a removal or checkout no earlier than ``added_at``."""
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})
    # A user's record may hold pending schedules (cartflow.pending) and no checkout yet.
    return "happened_at_ms" in item and int(item["happened_at_ms"]["N"]) >= epoch_ms(added_at)


def removed(client: DynamoDBClient, table: str, user: str, product: str, added_at: str) -> bool:
    """Whether the item was removed no earlier than ``added_at``."""
    return _no_earlier(client, table, _removal_key(user, product), added_at)


def cancelled(client: DynamoDBClient, table: str, user: str, product: str, added_at: str) -> bool:
    """Whether the item was removed, or its user checked out, no earlier than ``added_at``."""
    return removed(client, table, user, product, added_at) or _no_earlier(client, table, checkout_key(user), added_at)
