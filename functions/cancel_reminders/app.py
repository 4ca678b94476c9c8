"""cancel_reminders: on ItemRemovedFromCart or CartCheckedOut, delete the pending reminders.

A schedule already gone is success. A schedule added after the removal or checkout happened
(events can arrive out of order) is left alone: it belongs to a later add. The removal or
checkout is remembered first (cartflow.cancellations), so an older add delivered after it is
never scheduled again. A checkout finds the user's schedules on that same record
(cartflow.pending) instead of listing the group, whose request rate capped checkouts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cartflow import cancellations, pending, schedules, unschedule
from cartflow.config import load_settings
from cartflow.models import CartCheckedOut, ItemRemoved, prepare
from cartflow.observability import logger, metrics, trace_handler
from cartflow.parsing import parse, reject

settings = load_settings("cancel_reminders")
RECORD_TTL_SECONDS = settings.integer("IDEMPOTENCY_TTL_SECONDS", minimum=1)
scheduler = boto3.client("scheduler")
cancellations_table = boto3.client("dynamodb")
DETAILS: dict[str, type[ItemRemoved] | type[CartCheckedOut]] = {
    detail.DETAIL_TYPE: detail for detail in (ItemRemoved, CartCheckedOut)
}
prepare(*DETAILS.values())


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
    user_record = cancellations.record(
        cancellations_table,
        settings["IDEMPOTENCY_TABLE"],
        user=parsed.detail.user,
        product=product,
        happened_at=parsed.detail.occurred_at,
        ttl_seconds=RECORD_TTL_SECONDS,
        now=datetime.now(UTC),
    )
    listed = pending.entries(user_record, parsed.detail.user) if product is None else {}
    names = [schedules.schedule_name(parsed.detail.user, product)] if product is not None else list(listed)
    group = settings["SCHEDULE_GROUP"]
    outcomes = {name: unschedule.cancel(scheduler, group, name, parsed.detail.occurred_at) for name in names}
    # A kept schedule belongs to a newer add: the record keeps it for a later checkout to find.
    done = {name: until for name, until in listed.items() if outcomes[name] != "kept"}
    pending.forget(cancellations_table, settings["IDEMPOTENCY_TABLE"], parsed.detail.user, done)
    deleted = sum(1 for outcome in outcomes.values() if outcome == "deleted")
    metrics.add_metric(name="SchedulesDeleted", unit=MetricUnit.Count, value=deleted)
    logger.info("reminders cancelled", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
