"""API Gateway's validation error string, reproduced: the validator's messages (its message bundle),
its order (a node's keywords sorted, no descent below a failed node, members sorted) and its
``[a, b]`` list. The sources of each rule are in docs/aws-fidelity.md ("Local API Gateway")."""

from __future__ import annotations

from typing import Any

import pytest

from cartflow import contract
from cartlocal.apigateway.gateway_validator import validation_error_string

ADD = contract.load("api/add_item.schema.json")
CHECKOUT = contract.load("api/checkout.schema.json")
VALID = {"user": "ada", "product": "sku-42", "quantity": 2, "email": "ada@example.com"}
USER_PATTERN = ADD["properties"]["user"]["pattern"]

CASES: list[tuple[str, dict[str, Any], Any, str]] = [
    # Strings seen from deployed APIs (docs/aws-fidelity.md), for our models.
    ("missing", ADD, {"user": "ada"}, '[object has missing required properties (["product","email"])]'),
    ("all missing", ADD, {}, '[object has missing required properties (["user","product","email"])]'),
    (
        "string for integer",
        ADD,
        {**VALID, "quantity": "2"},
        '[instance type (string) does not match any allowed primitive type (allowed: ["integer"])]',
    ),
    (
        "number for integer",
        ADD,
        {**VALID, "quantity": 2.5},
        '[instance type (number) does not match any allowed primitive type (allowed: ["integer"])]',
    ),
    (
        "array body",
        CHECKOUT,
        [{"user": "ada"}],
        '[instance type (array) does not match any allowed primitive type (allowed: ["object"])]',
    ),
    # The validator's message bundle, for the other keywords our models use.
    (
        "below minimum",
        ADD,
        {**VALID, "quantity": 0},
        "[numeric instance is lower than the required minimum (minimum: 1, found: 0)]",
    ),
    (
        "above maximum",
        ADD,
        {**VALID, "quantity": 1000},
        "[numeric instance is greater than the required maximum (maximum: 999, found: 1000)]",
    ),
    (
        "extra fields, sorted",
        CHECKOUT,
        {"user": "ada", "zeta": 1, "alpha": 2},
        '[object instance has properties which are not allowed by the schema: ["alpha","zeta"]]',
    ),
    (
        "too long",
        CHECKOUT,
        {"user": "a" * 129},
        f'[string "{"a" * 129}" is too long (length: 129, maximum allowed: 128)]',
    ),
    (
        "pattern, ECMA $",
        CHECKOUT,
        {"user": "ada\n"},
        f'[ECMA 262 regex "{USER_PATTERN}" does not match input string "ada\n"]',
    ),
    # Order: a node's keywords by name (minLength before pattern); members by name (email < user).
    (
        "keywords then members sorted",
        ADD,
        {**VALID, "user": "", "email": "x"},
        '[string "x" is too short (length: 1, required minimum: 6), '
        f'ECMA 262 regex "{ADD["properties"]["email"]["pattern"]}" does not match input string "x", '
        'string "" is too short (length: 0, required minimum: 1), '
        f'ECMA 262 regex "{USER_PATTERN}" does not match input string ""]',
    ),
    # A failed object is not descended into: the bad quantity is not reported with the missing email.
    (
        "no descent below a failure",
        ADD,
        {"user": "ada", "product": "p", "quantity": 0},
        '[object has missing required properties (["email"])]',
    ),
    ("valid", ADD, VALID, ""),
]


@pytest.mark.parametrize(("case", "schema", "document", "expected"), CASES, ids=[case[0] for case in CASES])
def test_the_string_is_api_gateways(case: str, schema: dict[str, Any], document: Any, expected: str) -> None:
    assert validation_error_string(schema, document) == expected, case


def test_number_admits_integers_and_lists_both() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "number"}}}

    assert validation_error_string(schema, {"n": 1}) == ""
    assert validation_error_string(schema, {"n": "1"}) == (
        '[instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]'
    )


def test_enum_echoes_the_value_as_json() -> None:
    schema = {"type": "object", "properties": {"state": {"enum": ["A", "B"]}}}

    assert validation_error_string(schema, {"state": "AB"}) == (
        '[instance value ("AB") not found in enum (possible values: ["A","B"])]'
    )
    assert validation_error_string(schema, {"state": True}) == (
        '[instance value (true) not found in enum (possible values: ["A","B"])]'
    )
