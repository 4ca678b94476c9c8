"""The schedules each user may still have, on their checkout record: so checkout never lists the group.

Listing a user's schedules (ListSchedules) is a per-account control-plane rate far below the
per-schedule ones, and it capped checkouts. Instead schedule_reminder records each schedule it
creates or re-times on its user's checkout record (cartflow.cancellations), and cancel_reminders
reads them in the same atomic write that records the checkout. One item serializes the two:

- an add records its schedule *after* creating it, on condition that no checkout at or after the
  add is recorded; if one is, the add removes its own schedule (it was added before the checkout);
- a checkout records itself and gets, atomically, every schedule recorded before it; each exists
  by then (created before it was recorded) and is deleted unless a newer add owns it.

So whichever write comes second sees the first, and no schedule of an add made before a checkout
survives it (docs/architecture.md, "Checkout without listing"). Each schedule is one attribute
named like it, holding the epoch second after which it has surely fired and gone: a record lists
only live schedules because every add forgets those, and a checkout forgets what it cancelled.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from cartflow import cancellations, contract, schedules
from cartflow.models import ReminderDue
from cartflow.timestamps import epoch_ms

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# Scheduler retries delivering a fired reminder this long, and may hold the schedule meanwhile.
SCHEDULER_RETRY = timedelta(seconds=contract.stack()["scheduler"]["retry"]["maximum_event_age_in_seconds"])
# "recorded": a checkout will find the schedule; "checked out": a checkout at or after the add was
# recorded first; "full": the record reached DynamoDB's item size limit and cannot take it.
Registration = Literal["recorded", "checked out", "full"]
# Keeps each REMOVE's expression far below DynamoDB's 4 KB expression limit.
FORGET_CHUNK = 100
# DynamoDB answers a write that would exceed its 400 KB item limit with a ValidationException
# whose message says so (the service's wording and moto's differ after this).
ITEM_TOO_LARGE = "Item size"


def entries(item: cancellations.Item, user: str) -> dict[str, int]:
    """The schedules ``user``'s record lists: name -> epoch second after which it is surely gone."""
    prefix = schedules.user_prefix(user)
    return {name: int(value["N"]) for name, value in item.items() if name.startswith(prefix) and "N" in value}


def register(
    client: DynamoDBClient, table: str, reminder: ReminderDue, *, fire_at: datetime, ttl_seconds: int, now: datetime
) -> Registration:
    """Record the schedule of ``reminder`` (firing at ``fire_at``) on its user's record, and forget gone ones."""
    gone = int((fire_at + SCHEDULER_RETRY).timestamp())
    try:
        response = client.update_item(
            TableName=table,
            Key=cancellations.checkout_key(reminder.user),
            UpdateExpression="SET #schedule = :gone, expiration = :expiration",
            ConditionExpression="attribute_not_exists(happened_at_ms) OR happened_at_ms < :added",
            ExpressionAttributeNames={"#schedule": schedules.schedule_name(reminder.user, reminder.product)},
            ExpressionAttributeValues={
                ":gone": {"N": str(gone)},
                ":added": {"N": str(epoch_ms(reminder.added_at))},
                ":expiration": {"N": str(int(now.timestamp()) + ttl_seconds)},
            },
            ReturnValues="ALL_NEW",
        )
    except client.exceptions.ConditionalCheckFailedException:
        return "checked out"
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationException" and ITEM_TOO_LARGE in str(error):
            return "full"
        raise
    listed = entries(response.get("Attributes", {}), reminder.user)
    forget(client, table, reminder.user, {name: until for name, until in listed.items() if until < now.timestamp()})
    return "recorded"


def forget(client: DynamoDBClient, table: str, user: str, names: dict[str, int]) -> None:
    """Remove ``names`` from ``user``'s record, a chunk at a time; a chunk holding one recorded again stays.

    A schedule recorded again belongs to a newer add that a later checkout must still find; the
    others stay until the next add or checkout forgets them.
    """
    chunks = [list(names.items())[start : start + FORGET_CHUNK] for start in range(0, len(names), FORGET_CHUNK)]
    for chunk in chunks:
        placeholders = {f"#n{index}": name for index, (name, _) in enumerate(chunk)}
        values: dict[str, AttributeValueTypeDef] = {
            f":v{index}": {"N": str(until)} for index, (_, until) in enumerate(chunk)
        }
        with suppress(client.exceptions.ConditionalCheckFailedException):
            client.update_item(
                TableName=table,
                Key=cancellations.checkout_key(user),
                UpdateExpression="REMOVE " + ", ".join(placeholders),
                ConditionExpression=" AND ".join(
                    f"{name} = {value}" for name, value in zip(placeholders, values, strict=True)
                ),
                ExpressionAttributeNames=placeholders,
                ExpressionAttributeValues=values,
            )
