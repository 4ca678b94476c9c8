"""cancel_reminders: on ItemRemovedFromCart or CartCheckedOut, delete the pending reminders.

A schedule already gone is success. A schedule added after the removal or checkout happened
(events can arrive out of order) is left alone: it belongs to a later add. The removal or
checkout is remembered first (cartflow.cancellations), so an older add delivered after it is
never scheduled again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cartflow import cancellations, schedules
from cartflow.config import load_settings
from cartflow.models import CartCheckedOut, ItemRemoved, prepare
from cartflow.observability import logger, metrics, trace_handler
from cartflow.parsing import parse, reject
from cartflow.timestamps import epoch_ms

settings = load_settings("cancel_reminders")
RECORD_TTL_SECONDS = settings.integer("IDEMPOTENCY_TTL_SECONDS", minimum=1)
scheduler = boto3.client("scheduler")
cancellations_table = boto3.client("dynamodb")
DETAILS: dict[str, type[ItemRemoved] | type[CartCheckedOut]] = {
    detail.DETAIL_TYPE: detail for detail in (ItemRemoved, CartCheckedOut)
}
prepare(*DETAILS.values())


def cancel(name: str, happened_at: str) -> str:
    """Delete schedule ``name`` unless it was added after ``happened_at``."""
    group = settings["SCHEDULE_GROUP"]
    try:
        current = scheduler.get_schedule(Name=name, GroupName=group)
        if epoch_ms(json.loads(current["Target"]["Input"])["added_at"]) > epoch_ms(happened_at):
            return "kept"
        scheduler.delete_schedule(Name=name, GroupName=group)
        return "deleted"
    except scheduler.exceptions.ResourceNotFoundException:
        return "absent"


def user_schedules(user: str) -> list[str]:
    """Names of every schedule of ``user`` in the reminder group."""
    paginator = scheduler.get_paginator("list_schedules")
    pages = paginator.paginate(GroupName=settings["SCHEDULE_GROUP"], NamePrefix=schedules.user_prefix(user))
    return [schedule["Name"] for page in pages for schedule in page["Schedules"]]


@logger.inject_lambda_context(correlation_id_path="detail.request_id")
@trace_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return cancel_reminders(event)


# Undecorated, unlike the handler, so the mutation run (docs/mutation.md) can mutate it.
def cancel_reminders(event: dict[str, Any]) -> dict[str, Any]:
    """Delete the reminders a removal or checkout ends; count and log what happened to each."""
    detail_type = event.get("detail-type") if isinstance(event, dict) else None
    if detail_type not in DETAILS:
        raise reject(f"detail-type: expected one of {sorted(DETAILS)}, got {detail_type!r}")
    parsed = parse(event, DETAILS[str(detail_type)], detail_type=detail_type)
    product = parsed.detail.product if isinstance(parsed.detail, ItemRemoved) else None
    cancellations.record(
        cancellations_table,
        settings["IDEMPOTENCY_TABLE"],
        user=parsed.detail.user,
        product=product,
        happened_at=parsed.detail.occurred_at,
        ttl_seconds=RECORD_TTL_SECONDS,
        now=datetime.now(UTC),
    )
    if product is not None:
        names = [schedules.schedule_name(parsed.detail.user, product)]
    else:
        names = user_schedules(parsed.detail.user)
    outcomes = {name: cancel(name, parsed.detail.occurred_at) for name in names}
    deleted = sum(1 for outcome in outcomes.values() if outcome == "deleted")
    metrics.add_metric(name="SchedulesDeleted", unit=MetricUnit.Count, value=deleted)
    logger.info("reminders cancelled", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
