"""Domain rules of reminders: schedule names, reminder identity and the schedule's Input.

Both scheduling and cancelling need the same names, so they live here once. Names are derived
from hashes because user and product may hold characters Scheduler names reject (``@``, ``:``),
and they are prefixed per user so a user's record of pending schedules (cartflow.pending) tells
theirs from its other attributes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from cartflow import contract
from cartflow.models import ItemAdded, ReminderDue
from cartflow.timestamps import canonical, format_timestamp, parse_timestamp

SCHEDULE_NAME_MAX = 64
# ``now`` is taken before the reads and Scheduler calls of an invocation, all of which end within
# the function's timeout: an overdue reminder scheduled this far after ``now`` is still ahead when
# Scheduler sees it. Whether Scheduler rejects a one-time schedule in the past, fires it or never
# does is undocumented (docs/aws-fidelity.md), so no schedule is ever created in the past; the
# delay is within the minute of precision Scheduler fires with anyway.
OVERDUE_MARGIN_SECONDS: int = contract.function_spec("schedule_reminder")["timeout"]
_DIGEST_CHARS = 20


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]


def user_prefix(user: str) -> str:
    """The name prefix shared by every schedule of ``user``."""
    return f"{contract.stack()['scheduler']['name_prefix']}-{_digest(user)}-"


def schedule_name(user: str, product: str) -> str:
    """The one schedule name of (user, product): deterministic, <= 64 chars, Scheduler-safe."""
    return user_prefix(user) + _digest(product)


def reminder_id(added: ItemAdded) -> str:
    """Identity of one reminder: the same add request always yields the same reminder."""
    key = f"{added.user}\n{added.product}\n{added.request_id}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def reminder_for(added: ItemAdded) -> ReminderDue:
    """The CartReminderDue detail the schedule will put on the bus."""
    return ReminderDue(
        user=added.user,
        product=added.product,
        quantity=added.quantity,
        email=added.email,
        scheduled_event=True,
        # ISO 8601 whatever form the add carried (the HTTP API's is CLF), as every reminder field we write.
        added_at=canonical(added.occurred_at),
        reminder_id=reminder_id(added),
        request_id=added.request_id,
    )


def due_time(added_at: str, delay_seconds: int) -> datetime:
    """When the add's reminder is due: ``delay_seconds`` after the add itself."""
    return parse_timestamp(added_at) + timedelta(seconds=delay_seconds)


def fire_time(added_at: str, delay_seconds: int, now: datetime) -> datetime:
    """When the reminder fires: ``delay_seconds`` after the add, never in the past.

    Counting from the event's own time (not the moment the function runs) makes a redelivered
    event produce the same schedule, so retries do not push the reminder back. An overdue
    reminder (a late copy of an add) fires :data:`OVERDUE_MARGIN_SECONDS` after ``now``.
    """
    due = due_time(added_at, delay_seconds)
    earliest = now.replace(microsecond=0) + timedelta(seconds=OVERDUE_MARGIN_SECONDS + 1)
    return max(due, earliest)


def at_expression(moment: datetime) -> str:
    """Scheduler's one-time expression, evaluated in UTC."""
    return f"at({format_timestamp(moment)[:-1]})"
