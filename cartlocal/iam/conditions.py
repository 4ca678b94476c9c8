"""IAM condition operators, decided against a request context.

Semantics from the IAM User Guide ("Condition operators", "Conditions with multiple context keys
or values"): operators AND together, keys of one operator AND together, values of one key OR
together (NOR for negated operators); a key missing from the context makes a positive operator
false and a negated one true, except ``...IfExists`` (true when missing) and ``Null``.
``ForAnyValue:`` is false on a missing or empty key, ``ForAllValues:`` true. Condition key names
are case-insensitive (IAM User Guide, "IAM JSON policy elements: Condition": "Condition key names
are not case-sensitive"). A value an operator cannot read (no number, date, IP or ARN) raises
:class:`PolicyError`, as does a single-valued operator over several values: the statement then
decides against the requester (cartlocal.iam.policy.Statement.applies).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

ContextValue = str | tuple[str, ...]
Context = Mapping[str, ContextValue]

Compare = Callable[[str, str], bool]

# arn:partition:service:region:account:resource
ARN_PARTS = 6


class PolicyError(ValueError):
    """A policy this evaluator cannot decide; callers fail closed on it."""


@cache
def wildcard(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """IAM's ``*`` (any run, also empty) and ``?`` (one character) as an anchored regex."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def like(pattern: str, value: str) -> bool:
    return wildcard(pattern).fullmatch(value) is not None


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts is matched on its own (IAM User Guide, ARN operators)."""
    wanted, actual = pattern.split(":", 5), value.split(":", 5)
    if len(wanted) != ARN_PARTS or len(actual) != ARN_PARTS:
        return False
    return all(like(p, v) for p, v in zip(wanted, actual, strict=True))


def _arn_operand(pattern: str, value: str) -> bool:
    """The Arn* operators: a context value or policy value that is not an ARN cannot be decided."""
    for text in (value, pattern):
        if len(text.split(":", ARN_PARTS - 1)) != ARN_PARTS:
            raise PolicyError(f"not an ARN: {text!r}")
    return arn_like(pattern, value)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise PolicyError(f"not a number: {text!r}") from None


def _date(text: str) -> datetime:
    """ISO 8601 or epoch seconds, as the Date operators accept."""
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except (ValueError, OverflowError, OSError):
            # e.g. epoch milliseconds, read as seconds: past year 9999 (aws:EpochTime is seconds).
            raise PolicyError(f"not a date: {text!r}") from None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PolicyError(f"not a date: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ip(policy: str, value: str) -> bool:
    try:
        address, network = ipaddress.ip_address(value), ipaddress.ip_network(policy, strict=False)
    except ValueError:
        raise PolicyError(f"not an IP address or range: {value!r} / {policy!r}") from None
    return address in network


# Positive comparators (policy value, context value) and whether the operator is their negation.
_BASE: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.casefold() == v.casefold(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.casefold() == v.casefold(), True),
    "StringLike": (like, False),
    "StringNotLike": (like, True),
    "ArnEquals": (_arn_operand, False),
    "ArnLike": (_arn_operand, False),
    "ArnNotEquals": (_arn_operand, True),
    "ArnNotLike": (_arn_operand, True),
    "NumericEquals": (lambda p, v: _number(v) == _number(p), False),
    "NumericNotEquals": (lambda p, v: _number(v) == _number(p), True),
    "NumericLessThan": (lambda p, v: _number(v) < _number(p), False),
    "NumericLessThanEquals": (lambda p, v: _number(v) <= _number(p), False),
    "NumericGreaterThan": (lambda p, v: _number(v) > _number(p), False),
    "NumericGreaterThanEquals": (lambda p, v: _number(v) >= _number(p), False),
    "DateEquals": (lambda p, v: _date(v) == _date(p), False),
    "DateNotEquals": (lambda p, v: _date(v) == _date(p), True),
    "DateLessThan": (lambda p, v: _date(v) < _date(p), False),
    "DateLessThanEquals": (lambda p, v: _date(v) <= _date(p), False),
    "DateGreaterThan": (lambda p, v: _date(v) > _date(p), False),
    "DateGreaterThanEquals": (lambda p, v: _date(v) >= _date(p), False),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
    "BinaryEquals": (lambda p, v: p == v, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
}


def _text(value: object) -> str:
    """Policy values are strings, but JSON lets authors write true or 5; IAM reads them as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise PolicyError(f"unsupported condition value {value!r}")


@dataclass(frozen=True)
class Test:
    """One ``operator: {key: values}`` entry of a Condition block, for one key."""

    operator: str
    key: str
    values: tuple[str, ...]

    def holds(self, context: Context) -> bool:
        qualifier, _, operator = self.operator.rpartition(":")
        raw = _lookup(context, self.key)
        present = raw is not None
        if operator == "Null":
            wanted = {value.lower() for value in self.values}
            return (not present and "true" in wanted) or (present and "false" in wanted)
        if_exists = operator.endswith("IfExists")
        base, negated = _BASE[operator.removesuffix("IfExists")]
        if raw is None:
            return _missing(qualifier, negated=negated, if_exists=if_exists)
        actual = (raw,) if isinstance(raw, str) else raw

        def one(value: str) -> bool:
            matched = any(base(policy, value) for policy in self.values)
            return not matched if negated else matched

        if qualifier == "ForAllValues":
            return all(one(value) for value in actual)
        if qualifier == "ForAnyValue":
            return any(one(value) for value in actual)
        if len(actual) != 1:
            # A single-valued operator over a multivalued key: AWS documents no reading (the IAM
            # User Guide says to use ForAllValues/ForAnyValue), so it is not decided.
            raise PolicyError(f"{self.operator} over the multivalued key {self.key}: use ForAnyValue/ForAllValues")
        return one(actual[0])


def _lookup(context: Context, key: str) -> ContextValue | None:
    """The context value of ``key``, whose name is case-insensitive (IAM, Condition element)."""
    if key in context:
        return context[key]
    folded = key.casefold()
    return next((value for name, value in context.items() if name.casefold() == folded), None)


def _missing(qualifier: str, *, negated: bool, if_exists: bool) -> bool:
    """A key absent from the request context (IAM User Guide, "Condition operators")."""
    if qualifier:
        return qualifier == "ForAllValues"
    return if_exists or negated


def parse(block: Mapping[str, object]) -> tuple[Test, ...]:
    """The tests of a Condition block; unknown operators or qualifiers are a PolicyError."""
    tests: list[Test] = []
    for operator, keys in block.items():
        qualifier, _, name = operator.rpartition(":")
        if qualifier not in {"", "ForAnyValue", "ForAllValues"}:
            raise PolicyError(f"unknown condition qualifier in {operator}")
        if name != "Null" and name.removesuffix("IfExists") not in _BASE:
            raise PolicyError(f"unknown condition operator {operator}")
        if not isinstance(keys, Mapping):
            raise PolicyError(f"{operator} must map keys to values")
        for key, values in keys.items():
            listed: Sequence[object] = values if isinstance(values, list) else [values]
            texts = tuple(_text(value) for value in listed)
            if any("${" in text for text in texts):
                raise PolicyError(f"policy variables are not supported: {operator} {key} {texts}")
            tests.append(Test(operator, str(key), texts))
    return tuple(tests)
