"""Which add of each (user, product) was reminded last: the rule that no older add is reminded after it.

Idempotency (Powertools, per ``reminder_id``) makes each reminder one email. It cannot stop a
*different*, older reminder: a late copy of an older add that arrives after the newer add's
reminder fired finds no schedule (Scheduler deleted it), so schedule_reminder would schedule the
older add again and its reminder would be a second email (docs/reliability.md). One record per
(user, product) in the idempotency table holds the newest reminded add: send_reminder claims it
before emailing (a conditional write, the guarantee) and schedule_reminder reads it to answer
such an add ``stale`` instead of scheduling a reminder that would only be suppressed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cartflow import reminders
from cartflow.models import ReminderDue, epoch_ms

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# Distinct from Powertools' keys ("<prefix>#<hash>"), which share the table.
KEY_PREFIX = "reminded#"


def _key(user: str, product: str) -> dict[str, AttributeValueTypeDef]:
    return {"id": {"S": KEY_PREFIX + reminders.schedule_name(user, product)}}


def claim(client: DynamoDBClient, table: str, reminder: ReminderDue, ttl_seconds: int, now: datetime) -> bool:
    """Record ``reminder`` as the newest reminded add of its pair; False if a newer one was.

    The same reminder may claim again (a retry after a failed send), so a failure before the
    email never loses it; once a newer add claimed the pair, the older reminder never will.
    """
    try:
        client.update_item(
            TableName=table,
            Key=_key(reminder.user, reminder.product),
            UpdateExpression="SET added_at_ms = :added, reminder_id = :reminder, expiration = :expiration",
            ConditionExpression="attribute_not_exists(added_at_ms) OR added_at_ms < :added OR reminder_id = :reminder",
            ExpressionAttributeValues={
                ":added": {"N": str(epoch_ms(reminder.added_at))},
                ":reminder": {"S": reminder.reminder_id},
                ":expiration": {"N": str(int(now.timestamp()) + ttl_seconds)},
            },
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True


def newest(client: DynamoDBClient, table: str, user: str, product: str) -> int | None:
    """Epoch milliseconds of the newest add of (user, product) that was reminded, if any."""
    item = client.get_item(TableName=table, Key=_key(user, product), ConsistentRead=True).get("Item")
    return int(item["added_at_ms"]["N"]) if item else None
