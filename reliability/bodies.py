"""Generated API requests for the bad-input scenario, each with the answer the contract demands.

Every case is built from one route's model: a valid body (tests/helpers/strategies.py), then at most one
deliberate defect whose effect is known by construction — the status, and for a 400 the JSONPaths
the reason must name. So the oracle is the generator, not the validator under test. Hypothesis
draws the cases (derandomized: the same corpus every run, so the published figures reproduce).
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cartflow import contract
from cartlocal.apigateway.validation import json_path
from tests.helpers.strategies import instances

ROUTES = contract.routes()
MAX_BODY = int(contract.load("api/routes.json")["max_body_bytes"])
JSON = "application/json"
# Values of each JSON type, keyed by the type, for "wrong type" defects (integral floats would pass as integers).
WRONG_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "number": st.floats(allow_nan=False, allow_infinity=False).filter(lambda value: not value.is_integer()),
    "integer": st.integers(),
    "string": st.text(max_size=20),
    "array": st.lists(st.integers(), max_size=3),
    "object": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
}


@dataclass(frozen=True)
class Case:
    """One request and the answer it must get."""

    kind: str
    method: str
    path: str
    content_type: str | None
    body: bytes
    status: int
    fields: tuple[str, ...] = ()


def _encode(document: Any, ascii_only: bool) -> bytes:
    return json.dumps(document, ensure_ascii=ascii_only).encode("utf-8")


@st.composite
def cases(draw: st.DrawFn) -> Case:
    route = draw(st.sampled_from(ROUTES))
    schema = contract.load(route["schema"])
    properties: dict[str, Any] = schema["properties"]
    body: dict[str, Any] = draw(instances(schema))
    kind = draw(
        st.sampled_from(
            [
                "valid",
                "boundary length (valid)",
                "boundary length (invalid)",
                "wrong type",
                "missing field",
                "extra field",
                "unicode",
                "huge string",
                "out of range",
                "not JSON",
                "not an object",
                "empty body",
                "no content type (valid)",
                "wrong content type",
                "oversize",
            ]
        )
    )
    ascii_only = draw(st.booleans())
    status = 400
    fields: list[str] = []
    content_type: str | None = JSON
    strings = sorted(name for name, spec in properties.items() if spec["type"] == "string")
    # user and product share the simple pattern a run of letters satisfies; email has its own.
    plain = [name for name in strings if name != "email"]
    if kind == "valid":
        status = 200
    elif kind == "no content type (valid)":
        status, content_type = 200, None
    elif kind.startswith("boundary length"):
        name = draw(st.sampled_from(plain))
        limit = properties[name]["maxLength"]
        inside = kind.endswith("(valid)")
        body[name] = "a" * (limit if inside else limit + 1)
        status, fields = (200, []) if inside else (400, [name])
    elif kind == "wrong type":
        name = draw(st.sampled_from(sorted(properties)))
        others = sorted(set(WRONG_VALUES) - {properties[name]["type"]})
        body[name] = draw(st.sampled_from(others).flatmap(lambda chosen: WRONG_VALUES[chosen]))
        fields = [name]
    elif kind == "missing field":
        name = draw(st.sampled_from(schema["required"]))
        body.pop(name)
        fields = [name]
    elif kind == "extra field":
        name = draw(st.text(min_size=0, max_size=12).filter(lambda key: key not in properties))
        body[name] = draw(st.sampled_from(sorted(WRONG_VALUES)).flatmap(lambda chosen: WRONG_VALUES[chosen]))
        fields = [name]
    elif kind == "unicode":
        name = draw(st.sampled_from(strings))
        foreign = draw(st.text(st.characters(min_codepoint=0x80), min_size=1, max_size=8))
        body[name] = foreign + body[name]
        fields = [name]
    elif kind == "huge string":
        name = draw(st.sampled_from(strings))
        body[name] = "a" * draw(
            st.integers(properties[name]["maxLength"] + 1, MAX_BODY - 1000)
        )  # the whole body stays under the limit
        fields = [name]
    elif kind == "out of range":
        numbers = sorted(name for name, spec in properties.items() if spec["type"] == "integer")
        if not numbers:
            return draw(cases())
        name = draw(st.sampled_from(numbers))
        spec = properties[name]
        body[name] = draw(st.integers(max_value=spec["minimum"] - 1) | st.integers(min_value=spec["maximum"] + 1))
        fields = [name]
    elif kind == "not JSON":
        raw = draw(
            st.binary(min_size=1, max_size=60) | st.text(string.printable, min_size=1, max_size=60).map(str.encode)
        )
        if _parses(raw):
            return draw(cases())
        return Case(kind, route["method"], route["path"], JSON, raw, 400, ("$",))
    elif kind == "not an object":
        document = draw(st.one_of(*(WRONG_VALUES[name] for name in WRONG_VALUES if name != "object")))
        return Case(kind, route["method"], route["path"], JSON, _encode(document, ascii_only), 400, ("$",))
    elif kind == "empty body":
        required = tuple(json_path([name]) for name in schema["required"])
        return Case(kind, route["method"], route["path"], JSON, b"", 400, required)
    elif kind == "wrong content type":
        other = draw(st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "application/xml"]))
        return Case(kind, route["method"], route["path"], other, _encode(body, ascii_only), 415)
    else:  # oversize: one byte over the limit or far over it
        padding = draw(st.integers(MAX_BODY, 3 * MAX_BODY))
        return Case(kind, route["method"], route["path"], JSON, _encode({**body, "pad": "x" * padding}, True), 413)
    return Case(
        kind,
        route["method"],
        route["path"],
        content_type,
        _encode(body, ascii_only),
        status,
        tuple(json_path([name]) for name in fields),
    )


def _parses(raw: bytes) -> bool:
    try:
        json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def corpus(count: int) -> list[Case]:
    """``count`` cases, the same ones on every run."""
    drawn: list[Case] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases())
    def collect(case: Case) -> None:
        drawn.append(case)

    collect()
    return drawn[:count]
