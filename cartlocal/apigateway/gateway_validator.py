"""``$context.error.validationErrorString`` exactly as API Gateway writes it for a rejected body.

API Gateway validates models with the java-json-tools ``json-schema-validator`` (draft 4), and
the string is that validator's report: its messages, in its order, as ``[message, message]``.
This module reproduces it for the keywords the contract's models use, so a client or an operator
reading the string (a custom gateway response, the execution log) reads on the local stack what
it will read on AWS. Where each rule comes from (and what is unverified) is in docs/aws-fidelity.md.

The validator's order: a node's keywords in keyword-name order (it keeps them in a sorted map),
only those that apply to the instance's JSON type; a node with an error anywhere in the report so
far is not descended into; an object's members are visited in member-name order. Values are
echoed as the validator does (a string's value in ``string "..."``), JSON arrays compactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cartlocal.apigateway.ecma import ecma_regex

# The validator's NodeType, in its enum order (the order of an "allowed" list).
_NODE_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
_STRING_KEYWORDS = {"maxLength", "minLength", "pattern"}
_NUMBER_KEYWORDS = {"maximum", "minimum"}
_OBJECT_KEYWORDS = {"additionalProperties", "required"}
_ANY_KEYWORDS = {"enum", "type"}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_TYPE_OF = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"), (dict, "object"))


def node_type(value: Any) -> str:
    """The validator's name for the JSON type of ``value`` (bool before int: Python's bool is an int)."""
    return next((name for python_type, name in _TYPE_OF if isinstance(value, python_type)), "null")


def _applies(keyword: str, kind: str) -> bool:
    if keyword in _ANY_KEYWORDS:
        return True
    if keyword in _STRING_KEYWORDS:
        return kind == "string"
    if keyword in _NUMBER_KEYWORDS:
        return kind in ("integer", "number")
    return keyword in _OBJECT_KEYWORDS and kind == "object"


# Each keyword's check: (schema, value) → the validator's message, or None when the value passes.
Check = Callable[[dict[str, Any], Any], str | None]


def _type(schema: dict[str, Any], value: Any) -> str | None:
    declared = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    # draft 4: "number" admits integers, and the validator lists both then.
    allowed = [name for name in _NODE_TYPES if name in declared or (name == "integer" and "number" in declared)]
    if node_type(value) in allowed:
        return None
    found = node_type(value)
    return f"instance type ({found}) does not match any allowed primitive type (allowed: {_compact(allowed)})"


def _enum(schema: dict[str, Any], value: Any) -> str | None:
    options = schema["enum"]
    if any(value == option and node_type(value) == node_type(option) for option in options):
        return None
    return f"instance value ({_compact(value)}) not found in enum (possible values: {_compact(options)})"


def _required(schema: dict[str, Any], value: Any) -> str | None:
    missing = [name for name in dict.fromkeys(schema["required"]) if name not in value]
    return f"object has missing required properties ({_compact(missing)})" if missing else None


def _additional(schema: dict[str, Any], value: Any) -> str | None:
    if schema["additionalProperties"] is not False:
        return None
    patterns = [ecma_regex(pattern) for pattern in schema.get("patternProperties", {})]
    declared = schema.get("properties", {})
    unwanted = sorted(
        name for name in value if name not in declared and not any(pattern.search(name) for pattern in patterns)
    )
    if not unwanted:
        return None
    return f"object instance has properties which are not allowed by the schema: {_compact(unwanted)}"


def _min_length(schema: dict[str, Any], value: Any) -> str | None:
    bound = schema["minLength"]
    return (
        f'string "{value}" is too short (length: {len(value)}, required minimum: {bound})'
        if len(value) < bound
        else None
    )


def _max_length(schema: dict[str, Any], value: Any) -> str | None:
    bound = schema["maxLength"]
    return (
        f'string "{value}" is too long (length: {len(value)}, maximum allowed: {bound})' if len(value) > bound else None
    )


def _pattern(schema: dict[str, Any], value: Any) -> str | None:
    regex = schema["pattern"]
    return (
        None if ecma_regex(regex).search(value) else f'ECMA 262 regex "{regex}" does not match input string "{value}"'
    )


def _minimum(schema: dict[str, Any], value: Any) -> str | None:
    bound = _compact(schema["minimum"])
    if schema.get("exclusiveMinimum") and value <= schema["minimum"]:
        return f"numeric instance is not strictly greater than the required minimum {bound}"
    if value < schema["minimum"]:
        return f"numeric instance is lower than the required minimum (minimum: {bound}, found: {_compact(value)})"
    return None


def _maximum(schema: dict[str, Any], value: Any) -> str | None:
    bound = _compact(schema["maximum"])
    if schema.get("exclusiveMaximum") and value >= schema["maximum"]:
        return f"numeric instance is not strictly lower than the required maximum {bound}"
    if value > schema["maximum"]:
        return f"numeric instance is greater than the required maximum (maximum: {bound}, found: {_compact(value)})"
    return None


CHECKS: dict[str, Check] = {
    "additionalProperties": _additional,
    "enum": _enum,
    "maxLength": _max_length,
    "maximum": _maximum,
    "minLength": _min_length,
    "minimum": _minimum,
    "pattern": _pattern,
    "required": _required,
    "type": _type,
}


def _validate(schema: dict[str, Any], value: Any, report: list[str]) -> None:
    kind = node_type(value)
    for keyword in sorted(schema):
        check = CHECKS.get(keyword)
        if check is not None and _applies(keyword, kind) and (message := check(schema, value)) is not None:
            report.append(message)
    if report or kind != "object":
        return
    properties = schema.get("properties", {})
    for name in sorted(value):
        if name in properties:
            _validate(properties[name], value[name], report)


def validation_error_string(schema: dict[str, Any], document: Any) -> str:
    """The report for ``document`` against ``schema``: ``[...]``, or ``""`` when it is valid."""
    report: list[str] = []
    _validate(schema, document, report)
    return f"[{', '.join(report)}]" if report else ""
