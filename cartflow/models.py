"""Typed event details and their EventBridge envelope, validated by the contract's JSON Schemas.

Handlers get frozen dataclasses, so mypy checks every attribute they read. What is valid is
decided by the detail's JSON Schema in the contract (the file API Gateway's models and the
rules are built from) compiled by fastjsonschema, the engine of Powertools' validation utility:
the handlers cannot accept anything the contract does not, because the check *is* the contract.
Two views of that one schema: a detail built here (one we produce) must match it exactly, while
a detail parsed here (one we consume) may carry fields it does not declare, which are ignored
(``contract.consumer_schema``), so a producer adding a field never breaks a consumer.
Pydantic models did this before; importing pydantic cost more of every cold start than all of
this (docs/benchmarks.md). A zip carries every validator generated ahead of time by the build
(``cartbuild.validators``), so a cold start loads byte-code instead of generating and compiling
Python; run from the source tree, where there is none, a validator is compiled on first use.
tests/unit/test_contract.py holds the types to the schemas and this envelope to Powertools'
``EventBridgeModel``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, Literal, Self, get_args

import fastjsonschema

from cartflow import contract
from cartflow.timestamps import parse_timestamp

# The envelope Lambda receives from EventBridge, field for field Powertools' EventBridgeModel
# (unknown envelope fields are ignored there too). Only ``detail`` is ours, checked by its schema.
ENVELOPE_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "required": ["version", "id", "source", "account", "time", "region", "resources", "detail-type", "detail"],
    "properties": {
        "version": {"type": "string"},
        "id": {"type": "string"},
        "source": {"type": "string"},
        "account": {"type": "string"},
        "time": {"type": "string", "format": "date-time"},
        "region": {"type": "string"},
        "resources": {"type": "array", "items": {"type": "string"}},
        "detail-type": {"type": "string"},
        "replay-name": {"type": ["string", "null"]},
        "detail": {"type": "object"},
    },
}

Validator = Callable[..., Any]
# "producer": exactly the contract's schema (closed); "consumer": unknown fields accepted.
View = Literal["producer", "consumer"]
VIEWS: tuple[View, ...] = get_args(View)
# Without detailed exceptions the generated code is half the size and compiles twice as fast;
# the reason is rebuilt from the message and the schema instead (and never carries a value).
COMPILE_OPTIONS: dict[str, Any] = {"detailed_exceptions": False}
# The top-level package of a zip holding one generated validator module per schema and view.
COMPILED_PACKAGE = "cartflow_validators"


class InvalidPayloadError(ValueError):
    """The contract rejects a payload; the message names each field and rule, never a value."""


def schema(detail_type: str | None, view: View) -> dict[str, Any]:
    """The ``view`` of ``detail_type``'s detail schema (the envelope's for None)."""
    if detail_type is None:
        return ENVELOPE_SCHEMA
    return contract.event_schema(detail_type) if view == "producer" else contract.consumer_schema(detail_type)


def validator_module(detail_type: str | None, view: View) -> str:
    """The module of :data:`COMPILED_PACKAGE` holding the validator of ``schema(detail_type, view)``."""
    name = "envelope" if detail_type is None else detail_type.lower()
    return f"{COMPILED_PACKAGE}.{name}_{view}"


@cache
def _validator(detail_type: str | None, view: View) -> Validator:
    """The validator of ``schema(detail_type, view)``, once per process: the zip's, else compiled here."""
    try:
        compiled: Validator = importlib.import_module(validator_module(detail_type, view)).validate
    except ModuleNotFoundError as missing:
        if missing.name != COMPILED_PACKAGE:
            raise  # the package is there without this validator: a broken build, never papered over
        return fastjsonschema.compile(schema(detail_type, view), **COMPILE_OPTIONS)
    return compiled


def _reason(message: str, schema: dict[str, Any], data: Any, location: str) -> str:
    """One line naming the failing field(s) under ``location`` and the rule, without the value."""
    name, _, rule = message.partition(" ")
    if name == "data" and isinstance(data, dict):
        # The only object-level rules: list every missing and every unexpected property.
        missing = sorted(set(schema.get("required", ())) - data.keys())
        closed = schema.get("additionalProperties") is False
        unexpected = sorted(data.keys() - schema.get("properties", {}).keys()) if closed else []
        problems = [f"{key}: required property missing" for key in missing]
        problems += [f"{key}: unexpected property" for key in unexpected]
        if problems:
            return "; ".join(f"{location}.{problem}".lstrip(".") for problem in problems)
    path = (location + name.removeprefix("data")).lstrip(".")
    return f"{path or '<root>'}: {rule}"


def validate(detail_type: str | None, data: Any, location: str = "", view: View = "producer") -> Any:
    """``data`` checked by the ``view`` of ``detail_type``'s schema (the envelope's for None), defaults filled in.

    Raises :class:`InvalidPayloadError` naming the failing field(s) under ``location``.
    """
    # fastjsonschema writes defaults into the object it checks: give it a copy.
    candidate = dict(data) if isinstance(data, dict) else data
    try:
        return _validator(detail_type, view)(candidate)
    except fastjsonschema.JsonSchemaValueException as error:
        raise InvalidPayloadError(_reason(error.message, schema(detail_type, view), data, location)) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Detail:
    """An event detail; building one in code is held to its schema just like parsing one."""

    DETAIL_TYPE: ClassVar[str]

    def __post_init__(self) -> None:
        validate(self.DETAIL_TYPE, self.to_dict(), "detail")

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Validate ``data`` as its consumer (filling defaults) and build the detail of the fields it declares."""
        valid = validate(cls.DETAIL_TYPE, data, "detail", view="consumer")
        return cls(**{field.name: valid[field.name] for field in fields(cls) if field.name in valid})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        """Compact JSON, as the detail travels in PutEvents and a schedule's Input."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemAdded(Detail):
    DETAIL_TYPE: ClassVar[str] = "ItemAddedToCart"
    user: str
    product: str
    quantity: int
    email: str
    request_id: str
    occurred_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRemoved(Detail):
    DETAIL_TYPE: ClassVar[str] = "ItemRemovedFromCart"
    user: str
    product: str
    request_id: str
    occurred_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CartCheckedOut(Detail):
    DETAIL_TYPE: ClassVar[str] = "CartCheckedOut"
    user: str
    request_id: str
    occurred_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderDue(Detail):
    DETAIL_TYPE: ClassVar[str] = "CartReminderDue"
    user: str
    product: str
    quantity: int
    email: str
    scheduled_event: bool
    added_at: str
    reminder_id: str
    request_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderSent(Detail):
    DETAIL_TYPE: ClassVar[str] = "CartReminderSent"
    user: str
    product: str
    reminder_id: str
    request_id: str
    message_id: str
    sent_at: str


DETAIL_MODELS: dict[str, type[Detail]] = {
    model.DETAIL_TYPE: model for model in (ItemAdded, ItemRemoved, CartCheckedOut, ReminderDue, ReminderSent)
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Event[DetailT: Detail]:
    """An EventBridge event as Lambda receives it, with its detail parsed."""

    version: str
    id: str
    source: str
    account: str
    time: datetime
    region: str
    resources: tuple[str, ...]
    detail_type: str
    replay_name: str | None
    detail: DetailT


def parse_event[DetailT: Detail](payload: Any, detail: type[DetailT]) -> Event[DetailT]:
    """Validate an envelope (a dict or JSON text) whose detail is ``detail``; build it."""
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as error:
            where = f"line {error.lineno} column {error.colno}"
            raise InvalidPayloadError(f"<root>: not JSON ({error.msg}, {where})") from None
    envelope = validate(None, payload, view="consumer")
    try:
        time = parse_timestamp(envelope["time"])
    except ValueError:
        raise InvalidPayloadError("time: not a valid date-time") from None
    return Event(
        version=envelope["version"],
        id=envelope["id"],
        source=envelope["source"],
        account=envelope["account"],
        time=time,
        region=envelope["region"],
        resources=tuple(envelope["resources"]),
        detail_type=envelope["detail-type"],
        replay_name=envelope.get("replay-name"),
        detail=detail.from_dict(envelope["detail"]),
    )


def prepare(*details: type[Detail]) -> None:
    """Load (or compile) the envelope's and these details' validators now.

    A function calls this at import with the details it handles, so its cold start (not its
    first request) pays for them, and the details it never sees cost nothing.
    """
    _validator(None, "consumer")
    for detail in details:
        _validator(detail.DETAIL_TYPE, "consumer")
        _validator(detail.DETAIL_TYPE, "producer")
