"""schedule_reminder: on ItemAddedToCart, create or re-time the reminder of (user, product).

One schedule per (user, product): adding the same item again re-times the existing schedule
instead of creating a second one, and a redelivered or older event never moves a newer one, nor
schedules again once an add at least as new was reminded (cartflow.newest_reminded), nor once
the item was removed or the cart checked out after it (cartflow.cancellations), even by a removal
handled while the schedule was being created. Each schedule
is recorded on its user's record once it exists, so a checkout finds it without listing; a
checkout recorded first makes the add remove its own schedule (cartflow.pending).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cartflow import cancellations, contract, newest_reminded, pending, schedules, unschedule
from cartflow.config import load_settings
from cartflow.models import ItemAdded, ReminderDue, prepare
from cartflow.observability import logger, metrics, trace_handler
from cartflow.parsing import parse
from cartflow.timestamps import epoch_ms

settings = load_settings("schedule_reminder")
DELAY_SECONDS = settings.integer("REMINDER_DELAY_SECONDS")
RECORD_TTL_SECONDS = settings.integer("IDEMPOTENCY_TTL_SECONDS", minimum=1)
SCHEDULER = contract.stack()["scheduler"]
REMINDER_EVENT = contract.event_type("CartReminderDue")
scheduler = boto3.client("scheduler")
records = boto3.client("dynamodb")
prepare(ItemAdded, ReminderDue)


def schedule_request(reminder: ReminderDue, now: datetime) -> dict[str, Any]:
    """The CreateSchedule/UpdateSchedule arguments of ``reminder``."""
    return {
        "Name": schedules.schedule_name(reminder.user, reminder.product),
        "GroupName": settings["SCHEDULE_GROUP"],
        "ScheduleExpression": schedules.at_expression(schedules.fire_time(reminder.added_at, DELAY_SECONDS, now)),
        "ScheduleExpressionTimezone": "UTC",
        # UpdateSchedule replaces every field, and an omitted State is not ENABLED everywhere
        # (moto leaves it unset, so a re-timed schedule would never fire locally): say it.
        "State": "ENABLED",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": SCHEDULER["action_after_completion"],
        "Description": f"cart reminder {reminder.reminder_id}",
        "Target": {
            "Arn": settings["EVENT_BUS_ARN"],
            "RoleArn": settings["SCHEDULER_ROLE_ARN"],
            "Input": reminder.to_json(),
            "EventBridgeParameters": {
                "DetailType": REMINDER_EVENT["detail_type"],
                "Source": REMINDER_EVENT["source"],
            },
            "RetryPolicy": {
                "MaximumEventAgeInSeconds": SCHEDULER["retry"]["maximum_event_age_in_seconds"],
                "MaximumRetryAttempts": SCHEDULER["retry"]["maximum_retry_attempts"],
            },
            "DeadLetterConfig": {"Arn": settings["SCHEDULER_DLQ_ARN"]},
        },
    }


def upsert(reminder: ReminderDue, now: datetime) -> str:
    """Create the schedule, or re-time it when this add is newer; return what was done."""
    request = schedule_request(reminder, now)
    try:
        scheduler.create_schedule(ClientToken=reminder.reminder_id, **request)
        return "created"
    except scheduler.exceptions.ConflictException:
        pass
    current = scheduler.get_schedule(Name=request["Name"], GroupName=request["GroupName"])
    current_input = json.loads(current["Target"]["Input"])
    if current_input.get("reminder_id") == reminder.reminder_id:
        return "duplicate"
    if epoch_ms(current_input["added_at"]) > epoch_ms(reminder.added_at):
        return "stale"
    scheduler.update_schedule(**request)
    return "retimed"


def track(reminder: ReminderDue, now: datetime, outcome: str) -> str:
    """Record the schedule on its user's record; undo it if a checkout came first, or the record is full."""
    fire_at = schedules.fire_time(reminder.added_at, DELAY_SECONDS, now)
    table = settings["IDEMPOTENCY_TABLE"]
    registration = pending.register(records, table, reminder, fire_at=fire_at, ttl_seconds=RECORD_TTL_SECONDS, now=now)
    if registration == "recorded":
        return outcome
    # A checkout no older than this add was recorded after the check above (it is cancelled), or a
    # checkout could never find this schedule (untracked): either way no reminder may fire.
    name = schedules.schedule_name(reminder.user, reminder.product)
    unschedule.cancel(scheduler, settings["SCHEDULE_GROUP"], name, reminder.added_at)
    return "cancelled" if registration == "checked out" else "untracked"


@logger.inject_lambda_context(correlation_id_path="detail.request_id")
@trace_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return schedule(event)


# Undecorated, unlike the handler, so the mutation run (docs/mutation.md) can mutate it.
def schedule(event: dict[str, Any]) -> dict[str, str]:
    """Create, re-time or leave the reminder of the added item; count and log the outcome."""
    added = parse(event, ItemAdded, event_id=event.get("id") if isinstance(event, dict) else None)
    reminder = schedules.reminder_for(added.detail)
    name = schedules.schedule_name(reminder.user, reminder.product)
    # The schedule of a reminded add is gone (ActionAfterCompletion DELETE), so only this record
    # tells a late copy of it, or of an older add, from an add never scheduled.
    now = datetime.now(UTC)
    table = settings["IDEMPOTENCY_TABLE"]
    if newest_reminded.superseded(records, table, reminder, DELAY_SECONDS, now):
        outcome = "stale"
    elif cancellations.cancelled(records, table, reminder.user, reminder.product, reminder.added_at):
        # An earlier attempt of this add may have created the schedule, then failed to record it
        # on the user's record, where that checkout could not find it: remove it here.
        unschedule.cancel(scheduler, settings["SCHEDULE_GROUP"], name, reminder.added_at)
        outcome = "cancelled"
    else:
        outcome = upsert(reminder, now)
        # A removal handled meanwhile may have looked for the schedule before it existed; it is
        # recorded before it looks, so reading its record again now cannot miss it.
        if outcome != "stale" and cancellations.removed(
            records, table, reminder.user, reminder.product, reminder.added_at
        ):
            unschedule.cancel(scheduler, settings["SCHEDULE_GROUP"], name, reminder.added_at)
            outcome = "cancelled"
    if outcome in {"created", "retimed", "duplicate"}:
        outcome = track(reminder, now, outcome)
    metrics.add_metric(name=f"Schedules{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("reminder scheduled", extra={"outcome": outcome, "reminder_id": reminder.reminder_id})
    return {"outcome": outcome, "schedule": name}
