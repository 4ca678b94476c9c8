"""Hypothesis strategies that generate instances of the contract's JSON Schemas.

hypothesis-jsonschema does not work with the pinned Hypothesis release, and the contract only
uses a small draft-4 subset (closed objects of patterned/bounded strings, bounded integers and
enums), so this covers exactly that subset and refuses anything else loudly.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

_STRING_KEYS = {"type", "minLength", "maxLength", "pattern", "default", "description"}
_INTEGER_KEYS = {"type", "minimum", "maximum", "default"}


def instances(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that ``schema`` accepts.

    One strategy object per distinct schema, however often a test asks (tests draw inside each
    example): Hypothesis caches what it works out about a strategy (a regex's, above all) on it.
    """
    return _instances(json.dumps(schema, sort_keys=True))


@cache
def _instances(schema_json: str) -> st.SearchStrategy[Any]:
    schema = json.loads(schema_json)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema["properties"]
        required = {name: instances(properties[name]) for name in schema.get("required", [])}
        optional = {name: instances(spec) for name, spec in properties.items() if name not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "string" and set(schema) <= _STRING_KEYS:
        low, high = schema.get("minLength", 0), schema.get("maxLength", 1000)
        base = st.from_regex(schema["pattern"], fullmatch=True) if "pattern" in schema else st.text(max_size=high)
        return base.filter(lambda value: low <= len(value) <= high)
    if kind == "integer" and set(schema) <= _INTEGER_KEYS:
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    raise NotImplementedError(f"schema construct not covered by tests/helpers/strategies.py: {schema}")
