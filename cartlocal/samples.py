"""Valid sample events and request bodies, generated from the contract's JSON Schemas.

Like ``sam local generate-event``, but for cartflow's own shapes: ``make event`` prints one, the
web console's Send form is prefilled with one. A sample is built from the schema itself (each
property's ``default`` or ``enum``, else the first of a few typical values its rules accept) and
checked against the same validator the local API uses, so it cannot drift from the contract.
Overrides (``SET=key=value``) are checked the same way; a broken one names the field and the rule.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cartflow import contract, timestamps
from cartlocal.apigateway.validation import BodyValidator, ModelValidator
from cartlocal.lambda_runtime.envelopes import sqs_event
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION

STACK_NAME = "cartflow-local"
# The SenderId of examples/events/reminder_due_sqs.json: the principal EventBridge sends as.
SENDER_ID = "AIDAIENQZJOLO23YVJ4VO"
# Readable values first, for the fields a developer reads: the journey's customer and product.
_NAMED = {"user": "ada", "product": "sku-42", "email": "ada@example.com", "quantity": 2}


class SampleError(ValueError):
    """An unknown type, or an override that breaks the schema; the message says which rule."""


@dataclass(frozen=True)
class Kind:
    """Something a sample can be made of: an API route's body, or an event's detail."""

    name: str
    schema: dict[str, Any]
    route: dict[str, Any] | None = None
    event: dict[str, Any] | None = None


def kinds() -> dict[str, Kind]:
    """Every sample type by name: ``POST /cart``-style routes and the bus's detail types."""
    found = {
        f"{route['method']} {route['path']}": Kind(
            f"{route['method']} {route['path']}", contract.load(route["schema"]), route=route
        )
        for route in contract.routes()
    }
    for event in contract.event_types():
        found[event["detail_type"]] = Kind(event["detail_type"], contract.load(event["schema"]), event=event)
    return found


def kind(name: str) -> Kind:
    """The sample type ``name``: a detail type, ``METHOD /path``, or a path only one route has."""
    known = kinds()
    if name in known:
        return known[name]
    by_path = [value for value in known.values() if value.route is not None and value.route["path"] == name]
    if len(by_path) == 1:
        return by_path[0]
    raise SampleError(f"unknown TYPE {name!r}; choose one of: {', '.join(known)}")


def _candidates(name: str) -> list[Any]:
    now = timestamps.now()
    identifier = str(uuid.uuid4())
    return [
        *([_NAMED[name]] if name in _NAMED else []),
        now,
        identifier,
        hashlib.md5(identifier.encode(), usedforsecurity=False).hexdigest(),
        "sample",
        1,
        True,
    ]


def _value(name: str, schema: dict[str, Any]) -> Any:
    if name in _NAMED and ModelValidator(schema).is_valid(_NAMED[name]):
        return _NAMED[name]
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "object":
        return body(schema)
    if schema.get("type") == "integer" and "minimum" in schema:
        return schema["minimum"]
    for candidate in _candidates(name):
        if ModelValidator(schema).is_valid(candidate):
            return candidate
    raise SampleError(f"{name}: no sample value satisfies its schema {json.dumps(schema)}")


def body(schema: dict[str, Any]) -> dict[str, Any]:
    """A valid instance of an object ``schema`` with every declared property."""
    return {name: _value(name, spec) for name, spec in schema.get("properties", {}).items()}


def override(value: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """``value`` with each ``key=value`` applied (the value as JSON when it parses, else a string)."""
    result = dict(value)
    for assignment in assignments:
        key, separator, raw = assignment.partition("=")
        if not separator or not key:
            raise SampleError(f"SET {assignment!r}: expected key=value")
        try:
            result[key] = json.loads(raw)
        except json.JSONDecodeError:
            result[key] = raw
    return result


def generate(name: str, assignments: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The sample of type ``name``: a request body for a route; for a detail type, the event its consumer receives."""
    chosen = kind(name)
    detail = override(body(chosen.schema), list(assignments))
    if violations := BodyValidator(chosen.schema).violations(json.dumps(detail).encode()):
        raise SampleError(f"SET {' '.join(assignments)} breaks the {chosen.name} schema: {'; '.join(violations)}")
    if chosen.event is None:
        return detail
    return lambda_event(chosen.event, detail)


def lambda_event(event: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    """The envelope on the bus, wrapped as an SQS event when a rule routes this type to a queue."""
    moment = datetime.now(UTC)
    envelope = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event["detail_type"],
        "source": event["source"],
        "account": ACCOUNT_ID,
        "time": timestamps.format_timestamp(moment),
        "region": REGION,
        "resources": [],
        "detail": detail,
    }
    for rule_name, rule in contract.stack()["rules"].items():
        if rule["target"]["type"] == "sqs" and event["detail_type"] in contract.rule_pattern(rule_name)["detail-type"]:
            queue = contract.resource_name("queue", STACK_NAME, rule["target"]["queue"])
            text = json.dumps(envelope)
            message = {
                "MessageId": str(uuid.uuid4()),
                "ReceiptHandle": uuid.uuid4().hex,
                "Body": text,
                "MD5OfBody": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
                "Attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(moment.timestamp() * 1000)),
                    "SenderId": SENDER_ID,
                    "ApproximateFirstReceiveTimestamp": str(int(moment.timestamp() * 1000)),
                },
            }
            return sqs_event([message], f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue}", REGION)
    return envelope
