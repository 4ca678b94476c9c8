"""Read access to the contract files under ``cartflow/contract``.

The JSON files are the single source of truth: Terraform ``file()``s them, the handlers read
them here, the local runtime builds its stack from them and the tests check everything against
them. Nothing in Python restates their values.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CONTRACT_DIR = Path(__file__).resolve().parent / "contract"


@cache
def load(relative_path: str) -> Any:
    """Return the parsed JSON file at ``relative_path`` inside the contract folder."""
    with (CONTRACT_DIR / relative_path).open(encoding="utf-8") as handle:
        return json.load(handle)


def text(relative_path: str) -> str:
    """Return a contract file as text (mapping templates)."""
    return (CONTRACT_DIR / relative_path).read_text(encoding="utf-8")


def stack() -> dict[str, Any]:
    """The topology: rules, queues, scheduler settings, functions and settings."""
    result: dict[str, Any] = load("stack.json")
    return result


def function_spec(function_name: str) -> dict[str, Any]:
    """Settings of one function; a name that is not in the contract is a ``KeyError``."""
    functions: dict[str, Any] = stack()["functions"]
    if function_name not in functions:
        raise KeyError(f"function {function_name!r} is not declared in contract/stack.json")
    spec: dict[str, Any] = functions[function_name]
    return spec


def routes() -> list[dict[str, Any]]:
    """API routes with their request schema and the event each one emits."""
    result: list[dict[str, Any]] = load("api/routes.json")["routes"]
    return result


def event_types() -> list[dict[str, Any]]:
    """Every (source, detail-type) on the bus with the path of its detail schema."""
    result: list[dict[str, Any]] = load("events.json")["events"]
    return result


def event_type(detail_type: str) -> dict[str, Any]:
    """The catalog entry of one detail-type."""
    for entry in event_types():
        if entry["detail_type"] == detail_type:
            return entry
    raise KeyError(f"detail-type {detail_type!r} is not declared in contract/events.json")


def event_schema(detail_type: str) -> dict[str, Any]:
    """JSON Schema (draft 4) of the detail of ``detail_type``: what its producer must emit, closed."""
    result: dict[str, Any] = load(event_type(detail_type)["schema"])
    return result


def consumer_schema(detail_type: str) -> dict[str, Any]:
    """What a consumer of ``detail_type`` accepts: the producer's schema with every object opened.

    Producers evolve by adding fields; a consumer that rejected a field it does not know would
    send every event of a newer producer, and every archived event replayed into it, to a DLQ.
    Derived from the one schema file, so the two views never disagree on a known field.
    """
    return open_objects(event_schema(detail_type))


def open_objects(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``additionalProperties: false`` dropped from every object, at any depth."""
    opened = {key: value for key, value in schema.items() if not (key == "additionalProperties" and value is False)}
    if isinstance(schema.get("properties"), dict):
        opened["properties"] = {
            name: open_objects(spec) if isinstance(spec, dict) else spec for name, spec in schema["properties"].items()
        }
    if isinstance(schema.get("items"), dict):
        opened["items"] = open_objects(schema["items"])
    return opened


def rule_pattern(rule_name: str) -> dict[str, Any]:
    """The EventBridge pattern of one rule, as declared in stack.json."""
    result: dict[str, Any] = load(stack()["rules"][rule_name]["pattern"])
    return result


def resource_name(kind: str, stack_name: str, key: str | None = None) -> str:
    """The name of resource ``kind`` of the stack ``stack_name`` (``key``: its function, rule or queue).

    Built from stack.json's ``names`` templates, which Terraform's contract module reads too.
    """
    templates: dict[str, str] = stack()["names"]
    if kind not in templates or kind == "description":
        raise KeyError(f"no name template {kind!r} in contract/stack.json")
    template = templates[kind]
    if ("{key}" in template) != (key is not None):
        raise ValueError(f"name template {kind!r} {'needs a' if key is None else 'takes no'} key")
    return template.replace("{stack}", stack_name).replace("{key}", (key or "").replace("_", "-"))
