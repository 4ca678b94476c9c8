"""The REST API's request validator: a body against its route's model (a JSON Schema draft 4 file).

API Gateway validates a body against the method's model before any integration runs, and answers
the BAD_REQUEST_BODY gateway response. :meth:`BodyValidator.validation_error_string` gives that
response's ``$context.error.validationErrorString`` in API Gateway's own words
(cartlocal.apigateway.gateway_validator). :meth:`BodyValidator.violations` explains the same
rejection to a developer (``make event``'s SET, the timeline): every violation, each naming the
field as a JSONPath (``$.quantity``; ``$`` is the body itself) and why, sorted, never echoing a value.

Two places where this is stricter than python-jsonschema, both to follow the JSON Schema spec:
- ``pattern`` uses ECMA-262 semantics, which draft 4 prescribes: ``$`` matches only at the end of
  the string. Python's ``re`` (and so stock ``Draft4Validator``) also lets ``$`` match before a
  final newline, which would accept ``"ada\\n"`` for ``^[A-Za-z0-9._@:-]+$`` although the
  consumers' models reject it.
- The body must be strict JSON: ``NaN``/``Infinity`` (which Python's ``json`` accepts) are refused.
An empty body is validated as ``{}``, as API Gateway does.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from jsonschema import Draft4Validator, ValidationError, validators

from cartlocal.apigateway.ecma import ecma_regex
from cartlocal.apigateway.gateway_validator import validation_error_string

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_NAME = 64
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# jsonschema types extend() loosely; the result is a Draft4Validator class with our "pattern" keyword.
ModelValidator: Any = validators.extend(Draft4Validator, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]


class InvalidBody(ValueError):
    """The body cannot be validated at all (not UTF-8, not JSON); the message says why."""


def parse_body(body: bytes) -> Any:
    """The JSON value of ``body`` (an empty body is ``{}``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidBody(f"$: body is not valid UTF-8 (byte {error.start})") from error
    if not text:
        return {}

    def reject_constant(name: str) -> Any:
        raise InvalidBody(f"$: body is not valid JSON ({name} is not a JSON value)")

    try:
        return json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as error:
        raise InvalidBody(
            f"$: body is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from error
    except InvalidBody:
        raise
    except ValueError as error:
        # Python refuses to convert integers longer than this limit (CVE-2020-10735 mitigation).
        limit = sys.get_int_max_str_digits()
        raise InvalidBody(f"$: body has an integer longer than {limit} digits") from error
    except RecursionError as error:
        raise InvalidBody("$: body is not valid JSON (nested too deeply)") from error


def _name(key: str) -> str:
    return key if len(key) <= _MAX_NAME else key[:_MAX_NAME] + "..."


def json_path(path: Sequence[str | int]) -> str:
    """The JSONPath of a location in the body, e.g. ``$.items[0]`` or ``$['odd key']``."""
    steps = ["$"]
    for part in path:
        if isinstance(part, int):
            steps.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            steps.append(f".{_name(part)}")
        else:
            steps.append(f"[{json.dumps(_name(part), ensure_ascii=False)}]")
    return "".join(steps)


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), "null")


def _describe(error: ValidationError) -> list[str]:
    """One line per violated field: ``<JSONPath>: <reason>``."""
    path = list(error.absolute_path)
    expected: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if error.validator == "required":
        return [f"{json_path([*path, name])}: is required" for name in expected if name not in instance]
    if error.validator == "additionalProperties":
        declared = schema.get("properties", {})
        patterns = [ecma_regex(pattern) for pattern in schema.get("patternProperties", {})]
        return [
            f"{json_path([*path, name])}: is not allowed (not a field of this request)"
            for name in instance
            if name not in declared and not any(pattern.search(name) for pattern in patterns)
        ]
    return [f"{json_path(path)}: {_reason(str(error.validator), expected, instance, schema, error.message)}"]


def _reason(rule: str, expected: Any, instance: Any, schema: Any, message: str) -> str:
    """Why one value violates one keyword, without quoting the value."""
    if rule == "type":
        allowed = " or ".join(expected) if isinstance(expected, list) else expected
        return f"must be of type {allowed}, got {_json_type(instance)}"
    if rule in {"minLength", "maxLength"}:
        bound = "at least" if rule == "minLength" else "at most"
        return f"must be {bound} {expected} character{'' if expected == 1 else 's'} long, got {len(instance)}"
    if rule == "pattern":
        return f"must match the pattern {expected}"
    if rule in {"minimum", "maximum"}:
        exclusive = bool(schema.get("exclusiveMinimum" if rule == "minimum" else "exclusiveMaximum", False))
        comparison = {
            ("minimum", False): ">=",
            ("minimum", True): ">",
            ("maximum", False): "<=",
            ("maximum", True): "<",
        }
        return f"must be {comparison[rule, exclusive]} {expected}"
    return message[:200]


class BodyValidator:
    """The request validator of one route's model."""

    def __init__(self, schema: dict[str, Any]) -> None:
        ModelValidator.check_schema(schema)
        self.schema = schema
        self._validator = ModelValidator(schema)

    def validation_error_string(self, body: bytes) -> str:
        """API Gateway's ``$context.error.validationErrorString`` for ``body`` (``""`` when it is valid).

        Whether a body passes is decided by the full draft 4 validator; the string is API
        Gateway's report (cartlocal.apigateway.gateway_validator), or, for a keyword that module
        does not reproduce, the reasons below in brackets, so nothing invalid ever passes.
        """
        try:
            document = parse_body(body)
        except InvalidBody as error:
            return f"[{error}]"
        if self._validator.is_valid(document):
            return ""
        return validation_error_string(self.schema, document) or f"[{', '.join(self.violations(body))}]"

    def violations(self, body: bytes) -> list[str]:
        """Every reason ``body`` is rejected, sorted; empty when the body is valid."""
        try:
            document = parse_body(body)
        except InvalidBody as error:
            return [str(error)]
        return sorted({line for error in self._validator.iter_errors(document) for line in _describe(error)})
