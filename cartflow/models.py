"""Pydantic models of the event details, with their constraints read from the contract.

Types are written here so mypy can check the handlers; every constraint (lengths, patterns,
ranges, defaults) comes from the detail's JSON Schema, so the models cannot drift from what
Terraform and the API validate. tests/test_contract.py compares the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cartflow import contract

_KEYWORDS = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minimum": "ge",
    "maximum": "le",
}


def constrained(detail_type: str, field: str) -> Any:
    """A pydantic ``Field`` carrying the JSON Schema constraints of ``detail_type``'s ``field``."""
    spec = contract.event_schema(detail_type)["properties"][field]
    kwargs: dict[str, Any] = {_KEYWORDS[key]: value for key, value in spec.items() if key in _KEYWORDS}
    if "default" in spec:
        kwargs["default"] = spec["default"]
    return Field(**kwargs)


# Each function validates only two or three of these models: building a model's validator when
# it is first used, not at import, keeps the others out of every function's cold start.
DEFERRED = ConfigDict(defer_build=True)


class Detail(BaseModel):
    """Details reject unknown fields, like the schemas' ``additionalProperties: false``."""

    model_config = ConfigDict(extra="forbid", frozen=True, **DEFERRED)


class ItemAdded(Detail):
    user: Annotated[str, constrained("ItemAddedToCart", "user")]
    product: Annotated[str, constrained("ItemAddedToCart", "product")]
    quantity: Annotated[int, constrained("ItemAddedToCart", "quantity")]
    email: Annotated[str, constrained("ItemAddedToCart", "email")]
    request_id: Annotated[str, constrained("ItemAddedToCart", "request_id")]
    occurred_at: Annotated[str, constrained("ItemAddedToCart", "occurred_at")]


class ItemRemoved(Detail):
    user: Annotated[str, constrained("ItemRemovedFromCart", "user")]
    product: Annotated[str, constrained("ItemRemovedFromCart", "product")]
    request_id: Annotated[str, constrained("ItemRemovedFromCart", "request_id")]
    occurred_at: Annotated[str, constrained("ItemRemovedFromCart", "occurred_at")]


class CartCheckedOut(Detail):
    user: Annotated[str, constrained("CartCheckedOut", "user")]
    request_id: Annotated[str, constrained("CartCheckedOut", "request_id")]
    occurred_at: Annotated[str, constrained("CartCheckedOut", "occurred_at")]


class ReminderDue(Detail):
    user: Annotated[str, constrained("CartReminderDue", "user")]
    product: Annotated[str, constrained("CartReminderDue", "product")]
    quantity: Annotated[int, constrained("CartReminderDue", "quantity")]
    email: Annotated[str, constrained("CartReminderDue", "email")]
    scheduled_event: Literal[True]
    added_at: Annotated[str, constrained("CartReminderDue", "added_at")]
    reminder_id: Annotated[str, constrained("CartReminderDue", "reminder_id")]
    request_id: Annotated[str, constrained("CartReminderDue", "request_id")]


class ReminderSent(Detail):
    user: Annotated[str, constrained("CartReminderSent", "user")]
    product: Annotated[str, constrained("CartReminderSent", "product")]
    reminder_id: Annotated[str, constrained("CartReminderSent", "reminder_id")]
    request_id: Annotated[str, constrained("CartReminderSent", "request_id")]
    message_id: Annotated[str, constrained("CartReminderSent", "message_id")]
    sent_at: Annotated[str, constrained("CartReminderSent", "sent_at")]


class EventBridgeEnvelope(BaseModel):
    """The EventBridge envelope Lambda receives: field for field Powertools' ``EventBridgeModel``.

    Defined here instead of imported: importing Powertools' parser package builds its models at
    import, a measurable share of every cold start (docs/benchmarks.md) for ten plain fields.
    """

    model_config = ConfigDict(populate_by_name=True, **DEFERRED)

    version: str
    id: str
    source: str
    account: str
    time: datetime
    region: str
    resources: list[str]
    detail_type: str = Field(alias="detail-type")
    replay_name: str | None = Field(None, alias="replay-name")


class ItemAddedEvent(EventBridgeEnvelope):
    detail: ItemAdded


class ItemRemovedEvent(EventBridgeEnvelope):
    detail: ItemRemoved


class CartCheckedOutEvent(EventBridgeEnvelope):
    detail: CartCheckedOut


class ReminderDueEvent(EventBridgeEnvelope):
    detail: ReminderDue


DETAIL_MODELS: dict[str, type[Detail]] = {
    "ItemAddedToCart": ItemAdded,
    "ItemRemovedFromCart": ItemRemoved,
    "CartCheckedOut": CartCheckedOut,
    "CartReminderDue": ReminderDue,
    "CartReminderSent": ReminderSent,
}


def parse_timestamp(value: str) -> datetime:
    """Parse the contract's ISO-8601 UTC timestamps (``...Z``) into aware datetimes."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime the way the contract's timestamps are written."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
