"""Deleting one reminder schedule unless a newer add owns it: a removal's, a checkout's, an add's own undo.

cancel_reminders cancels the schedules a removal or checkout ends; schedule_reminder removes the
schedule it created when it finds a checkout no older than its add (cartflow.pending). Both keep a
schedule re-timed by an add newer than the event, since that add is a new intent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from cartflow.timestamps import epoch_ms

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient

Outcome = Literal["kept", "deleted", "absent"]


def cancel(scheduler: EventBridgeSchedulerClient, group: str, name: str, happened_at: str) -> Outcome:
    """Delete schedule ``name`` unless it was added after ``happened_at``; a schedule already gone is success."""
    try:
        current = scheduler.get_schedule(Name=name, GroupName=group)
        if epoch_ms(json.loads(current["Target"]["Input"])["added_at"]) > epoch_ms(happened_at):
            return "kept"
        scheduler.delete_schedule(Name=name, GroupName=group)
        return "deleted"
    except scheduler.exceptions.ResourceNotFoundException:
        return "absent"
