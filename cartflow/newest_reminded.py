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

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cartflow import schedules
from cartflow.models import ReminderDue
from cartflow.timestamps import epoch_ms

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# Distinct from Powertools' keys ("<prefix>#<hash>"), which share the table.
KEY_PREFIX = "reminded#"
# Clock skew between Scheduler and Lambda, and the ~1 s an at() may be late, are far below this.
DUE_MARGIN = timedelta(minutes=1)


def _key(user: str, product: str) -> dict[str, AttributeValueTypeDef]:
    return {"id": {"S": KEY_PREFIX + schedules.schedule_name(user, product)}}


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


def may_be_superseded(added_at: str, delay_seconds: int, now: datetime) -> bool:
    """Whether a newer add of the item may already have been reminded, so the record must be read.

    A newer add's reminder fires no earlier than this add's own due time (same delay, later add),
    and is recorded only once sent; while this add is not yet due, no such record can exist, so
    a fresh add (nearly every add) skips the read. Only a delay *raised* since the newer add was
    scheduled breaks that order; send_reminder's claim still keeps that case to one email.
    """
    return schedules.due_time(added_at, delay_seconds) <= now + DUE_MARGIN


def superseded(client: DynamoDBClient, table: str, reminder: ReminderDue, delay_seconds: int, now: datetime) -> bool:
    """Whether an add of this item at least as new as ``reminder``'s was already reminded."""
    if not may_be_superseded(reminder.added_at, delay_seconds, now):
        return False
    key = _key(reminder.user, reminder.product)
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    return item is not None and int(item["added_at_ms"]["N"]) >= epoch_ms(reminder.added_at)
