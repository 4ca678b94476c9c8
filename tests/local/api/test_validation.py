"""Rejected requests: API Gateway's answer, precise reasons for the developer, nothing on the bus.

Every request goes through ``LocalRestApi.handle`` with an EventBridge client on the moto stack
provisioned from the contract; what reached the bus is read back from the rules' delivery queues,
so "one event for a valid request, none for a rejected one" is observed, not assumed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cartflow import contract
from cartlocal.apigateway.rest_api import LocalRestApi
from cartlocal.apigateway.validation import BodyValidator
from cartlocal.local_aws.provision import Stack
from tests.helpers.local_api import (
    JSON_HEADERS,
    MAX_BODY,
    ROUTES,
    event_count,
    send,
    valid_body,
)

LONG = "a" * 129
EMAIL_PATTERN = contract.load(ROUTES["ItemAddedToCart"]["schema"])["properties"]["email"]["pattern"]
INVALID = [
    ("missing field", "ItemAddedToCart", {"user": "ada", "product": "sku:1"}, ["$.email: is required"]),
    (
        "extra field",
        "ItemRemovedFromCart",
        {"user": "ada", "product": "sku:1", "admin": True},
        ["$.admin: is not allowed (not a field of this request)"],
    ),
    (
        "string quantity",
        "ItemAddedToCart",
        {**valid_body("ItemAddedToCart"), "quantity": "2"},
        ["$.quantity: must be of type integer, got string"],
    ),
    (
        "float quantity",
        "ItemAddedToCart",
        {**valid_body("ItemAddedToCart"), "quantity": 2.5},
        ["$.quantity: must be of type integer, got number"],
    ),
    (
        "boolean quantity",
        "ItemAddedToCart",
        {**valid_body("ItemAddedToCart"), "quantity": True},
        ["$.quantity: must be of type integer, got boolean"],
    ),
    (
        "quantity below",
        "ItemAddedToCart",
        {**valid_body("ItemAddedToCart"), "quantity": 0},
        ["$.quantity: must be >= 1"],
    ),
    (
        "quantity above",
        "ItemAddedToCart",
        {**valid_body("ItemAddedToCart"), "quantity": 1000},
        ["$.quantity: must be <= 999"],
    ),
    (
        "empty user",
        "CartCheckedOut",
        {"user": ""},
        ["$.user: must be at least 1 character long, got 0", "$.user: must match the pattern ^[A-Za-z0-9._@:-]+$"],
    ),
    ("long user", "CartCheckedOut", {"user": LONG}, ["$.user: must be at most 128 characters long, got 129"]),
    ("pattern", "CartCheckedOut", {"user": "ada lovelace"}, ["$.user: must match the pattern ^[A-Za-z0-9._@:-]+$"]),
    ("trailing newline", "CartCheckedOut", {"user": "ada\n"}, ["$.user: must match the pattern ^[A-Za-z0-9._@:-]+$"]),
    ("unicode", "CartCheckedOut", {"user": "adä"}, ["$.user: must match the pattern ^[A-Za-z0-9._@:-]+$"]),
    (
        "unicode email",
        "ItemAddedToCart",
        {**valid_body("ItemAddedToCart"), "email": "adä@example.com"},
        [f"$.email: must match the pattern {EMAIL_PATTERN}"],
    ),
    (
        "nested junk",
        "CartCheckedOut",
        {"user": {"$ne": None}},
        ["$.user: must be of type string, got object"],
    ),
    (
        "quoted field name",
        "CartCheckedOut",
        {"user": "ada", 'x"y\\': [1]},
        ['$["x\\"y\\\\"]: is not allowed (not a field of this request)'],
    ),
    ("empty body", "CartCheckedOut", b"", ["$.user: is required"]),
    ("array body", "CartCheckedOut", [{"user": "ada"}], ["$: must be of type object, got array"]),
    ("null body", "CartCheckedOut", b"null", ["$: must be of type object, got null"]),
    ("not JSON", "CartCheckedOut", b"user=ada", ["$: body is not valid JSON (Expecting value at line 1 column 1)"]),
    (
        "truncated JSON",
        "CartCheckedOut",
        b'{"user": "ada"',
        ["$: body is not valid JSON (Expecting ',' delimiter at line 1 column 15)"],
    ),
    ("NaN", "ItemAddedToCart", b'{"quantity": NaN}', ["$: body is not valid JSON (NaN is not a JSON value)"]),
    (
        "huge integer",
        "ItemAddedToCart",
        b'{"quantity": ' + b"1" * 5000 + b"}",
        ["$: body has an integer longer than 4300 digits"],
    ),
    ("not UTF-8", "CartCheckedOut", b'{"user": "\xff"}', ["$: body is not valid UTF-8 (byte 10)"]),
    ("deep nesting", "CartCheckedOut", b"[" * 5000 + b"]" * 5000, ["$: must be of type object, got array"]),
]


@pytest.mark.parametrize(("case", "detail_type", "body", "reasons"), INVALID, ids=[case[0] for case in INVALID])
def test_invalid_body_is_api_gateways_400_the_reasons_name_each_field_and_nothing_is_put(
    stack: Stack, tap: str, api: LocalRestApi, case: str, detail_type: str, body: Any, reasons: list[str]
) -> None:
    response = send(api, detail_type, body)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    explained = BodyValidator(contract.load(ROUTES[detail_type]["schema"])).violations(raw)

    assert response.status == 400, case
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert response.json() == {"message": "Invalid request body"}
    assert response.execution_log[0].startswith("Request body does not match model schema for content type")
    assert list(response.reasons) == explained
    for reason in reasons:
        assert reason in explained, explained
    assert event_count(tap) == 0


def test_the_developer_sees_every_violation_sorted_and_the_same_every_time() -> None:
    body = {"user": "", "product": "a b", "email": "x", "quantity": "9", "zeta": 1, "alpha": 2}
    validator = BodyValidator(contract.load(ROUTES["ItemAddedToCart"]["schema"]))
    first, second = (validator.violations(json.dumps(body).encode()) for _ in range(2))

    assert first == second
    lines = first
    assert lines == sorted(lines)
    assert [line.split(":")[0] for line in lines] == [
        "$.alpha",
        "$.email",
        "$.email",
        "$.product",
        "$.quantity",
        "$.user",
        "$.user",
        "$.zeta",
    ]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_other_content_types_are_415(stack: Stack, tap: str, api: LocalRestApi, content_type: str) -> None:
    response = send(api, "CartCheckedOut", valid_body("CartCheckedOut"), {"Content-Type": content_type})
    assert (response.status, response.json()) == (415, {"message": "Unsupported Media Type"})
    assert event_count(tap) == 0


def test_body_over_the_contract_limit_is_413(stack: Stack, tap: str, api: LocalRestApi) -> None:
    padded = json.dumps({"user": "ada", "pad": "x" * MAX_BODY}).encode()
    at_limit = json.dumps({"user": "a" * (MAX_BODY - len('{"user": ""}'))}).encode()
    assert len(at_limit) == MAX_BODY

    response = send(api, "CartCheckedOut", padded)
    assert response.status == 413
    assert response.json() == {"message": f"Request body is {len(padded)} bytes; the limit is {MAX_BODY}"}
    assert send(api, "CartCheckedOut", at_limit).status == 400  # read and validated: too long a user
    assert event_count(tap) == 0


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/cart"), ("PUT", "/checkout"), ("POST", "/"), ("POST", "/carts"), ("POST", "/cart/x")]
)
def test_unknown_resource_or_method_is_403_missing_authentication_token(
    stack: Stack, tap: str, api: LocalRestApi, method: str, path: str
) -> None:
    response = api.handle(method, path, JSON_HEADERS, json.dumps(valid_body("ItemAddedToCart")).encode())
    assert (response.status, response.json()) == (403, {"message": "Missing Authentication Token"})
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert event_count(tap) == 0
