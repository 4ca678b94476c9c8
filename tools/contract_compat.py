"""Classify a change of one event's detail schema by whom it breaks.

Producers emit details valid under their schema (closed); consumers accept the same schema opened
to unknown fields (``cartflow.contract.open_objects``); the archive holds details valid under
older schemas. So a change from ``base`` to ``head`` breaks:

- consumers when a detail valid under ``head`` may be rejected by ``base``'s consumer view
  (a consumer not yet redeployed meets the new producer's events);
- producers when a detail valid under ``base`` may be invalid under ``head``
  (what the producers emit today no longer meets the contract);
- replay when a detail valid under ``base`` may be rejected by ``head``'s consumer view, or would
  be read differently (a changed default): archived events replayed into the new consumers.

Anything else that changes what is valid, or only how it is described, is additive.

The containment check understands the draft-4 keywords the contract uses (type, enum, required,
properties, additionalProperties, string lengths and patterns, numeric bounds, default) and
treats every other keyword change as incompatible, so an unknown change can never pass as safe.
A pattern is compared as text: two different regular expressions are not proven equivalent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cartflow.contract import open_objects


class Change(StrEnum):
    ADDITIVE = "additive"
    BREAKS_CONSUMERS = "breaking for consumers"
    BREAKS_PRODUCERS = "breaking for producers"
    BREAKS_REPLAY = "breaking replay of archived events"


BREAKING = frozenset({Change.BREAKS_CONSUMERS, Change.BREAKS_PRODUCERS, Change.BREAKS_REPLAY})
# Keywords that describe without constraining, and the ones escapes() compares itself.
_DESCRIPTIVE = frozenset({"$schema", "title", "description", "default"})
_UNDERSTOOD = _DESCRIPTIVE | {
    "type",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
}


@dataclass(frozen=True)
class Finding:
    """One way a change breaks someone, at a path inside the detail."""

    change: Change
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.change}: {self.path}: {self.reason}"


def _types(schema: dict[str, Any]) -> set[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    return {declared} if isinstance(declared, str) else set(declared)


def _type_escapes(inner: dict[str, Any], outer: dict[str, Any]) -> str | None:
    inner_types, outer_types = _types(inner), _types(outer)
    if outer_types is None:
        return None
    if inner_types is None:
        return f"may be any type, must be {sorted(outer_types)}"
    # An integer is a number, never the other way round.
    widened = outer_types | ({"integer"} if "number" in outer_types else set())
    extra = inner_types - widened
    return f"may be {sorted(extra)}, must be {sorted(outer_types)}" if extra else None


def _bound_escapes(inner: dict[str, Any], outer: dict[str, Any]) -> list[str]:
    reasons = []
    for keyword, missing in (("minLength", 0), ("minimum", -math.inf)):
        if keyword in outer and inner.get(keyword, missing) < outer[keyword]:
            reasons.append(f"{keyword} {inner.get(keyword, 'unset')} below {outer[keyword]}")
    for keyword in ("maxLength", "maximum"):
        if keyword in outer and inner.get(keyword, math.inf) > outer[keyword]:
            reasons.append(f"{keyword} {inner.get(keyword, 'unset')} above {outer[keyword]}")
    return reasons


def _object_escapes(inner: dict[str, Any], outer: dict[str, Any], path: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    inner_required, outer_required = set(inner.get("required", ())), set(outer.get("required", ()))
    found += [(f"{path}.{name}", "may be absent, is required") for name in sorted(outer_required - inner_required)]
    inner_properties, outer_properties = inner.get("properties", {}), outer.get("properties", {})
    inner_closed = inner.get("additionalProperties") is False
    if outer.get("additionalProperties") is False:
        found += [
            (f"{path}.{name}", "may be present, is not allowed")
            for name in sorted(set(inner_properties) - set(outer_properties))
        ]
        if not inner_closed:
            found.append((path, "may carry unknown properties, none are allowed"))
    for name, constraints in outer_properties.items():
        if name in inner_properties:
            found += escapes(inner_properties[name], constraints, f"{path}.{name}")
        elif not inner_closed and set(constraints) - _DESCRIPTIVE:
            found.append((f"{path}.{name}", "may be any value, is constrained"))
    return found


def escapes(inner: dict[str, Any], outer: dict[str, Any], path: str = "detail") -> list[tuple[str, str]]:
    """Every (path, reason) by which an instance valid under ``inner`` may be invalid under ``outer``."""
    found: list[tuple[str, str]] = []
    unknown = sorted(
        keyword for keyword in (set(inner) | set(outer)) - _UNDERSTOOD if inner.get(keyword) != outer.get(keyword)
    )
    found += [(path, f"{keyword} changed (compatibility not provable)") for keyword in unknown]
    type_reason = _type_escapes(inner, outer)
    if type_reason:
        found.append((path, type_reason))
    if "enum" in outer and not set(map(repr, inner.get("enum", [object()]))) <= set(map(repr, outer["enum"])):
        found.append((path, "may take a value outside the enum"))
    if "pattern" in outer and inner.get("pattern") != outer["pattern"]:
        found.append((path, "pattern changed"))
    found += [(path, reason) for reason in _bound_escapes(inner, outer)]
    if "object" in (_types(outer) or set()) or "properties" in outer or "required" in outer:
        found += _object_escapes(inner, outer, path)
    return found


def _default_changes(base: dict[str, Any], head: dict[str, Any], path: str = "detail") -> list[tuple[str, str]]:
    """Properties whose default changed: an archived event without them would be read differently."""
    changed = []
    for name, spec in head.get("properties", {}).items():
        before = base.get("properties", {}).get(name)
        if isinstance(before, dict) and isinstance(spec, dict):
            if before.get("default") != spec.get("default"):
                changed.append((f"{path}.{name}", f"default {before.get('default')!r} became {spec.get('default')!r}"))
            changed += _default_changes(before, spec, f"{path}.{name}")
    return changed


def classify(base: dict[str, Any], head: dict[str, Any]) -> list[Finding]:
    """Every finding of the change ``base`` -> ``head``; one additive finding when nothing breaks."""
    if base == head:
        return []
    findings = [Finding(Change.BREAKS_CONSUMERS, where, why) for where, why in escapes(head, open_objects(base))]
    findings += [Finding(Change.BREAKS_PRODUCERS, where, why) for where, why in escapes(base, head)]
    findings += [Finding(Change.BREAKS_REPLAY, where, why) for where, why in escapes(base, open_objects(head))]
    findings += [Finding(Change.BREAKS_REPLAY, where, why) for where, why in _default_changes(base, head)]
    return findings or [Finding(Change.ADDITIVE, "detail", "no valid detail of either side is rejected by the other")]
