"""Reading the contract: names built from its templates, and unknown names refused by name."""

from __future__ import annotations

import pytest

from cartflow import contract


def test_names_come_from_the_templates_with_underscores_of_keys_written_as_dashes() -> None:
    assert contract.resource_name("queue_dlq", "cartflow-dev", "send_reminder") == "cartflow-dev-send-reminder-dlq"
    assert contract.resource_name("kms_alias", "cartflow-dev") == "alias/cartflow-dev"


def test_a_name_is_refused_for_an_unknown_kind_the_description_or_a_wrong_key() -> None:
    for kind in ("nope", "description"):
        with pytest.raises(KeyError, match=f"no name template '{kind}' in contract/stack.json"):
            contract.resource_name(kind, "s")
    with pytest.raises(ValueError, match=r"^name template 'rule' needs a key$"):
        contract.resource_name("rule", "s")
    with pytest.raises(ValueError, match=r"^name template 'event_bus' takes no key$"):
        contract.resource_name("event_bus", "s", "k")


def test_unknown_functions_and_detail_types_are_refused_naming_the_contract_file() -> None:
    with pytest.raises(KeyError, match=r"function 'nope' is not declared in contract/stack.json"):
        contract.function_spec("nope")
    with pytest.raises(KeyError, match=r"detail-type 'Nope' is not declared in contract/events.json"):
        contract.event_type("Nope")


def test_every_route_names_its_schema_and_the_event_it_emits() -> None:
    routes = contract.routes()
    assert {(route["method"], route["detail_type"]) for route in routes} == {
        ("POST", "ItemAddedToCart"),
        ("DELETE", "ItemRemovedFromCart"),
        ("POST", "CartCheckedOut"),
    }
    assert contract.text(routes[0]["schema"]).startswith("{")


def test_a_consumer_accepts_unknown_fields_at_any_depth_and_every_other_rule_stays() -> None:
    # Producers add fields to nested objects too (inside an object, or an array of objects).
    closed = {
        "type": "object",
        "additionalProperties": False,
        "required": ["user"],
        "properties": {
            "user": {"type": "string", "minLength": 1},
            "address": {"type": "object", "additionalProperties": False, "properties": {"zip": {"type": "string"}}},
            "lines": {
                "type": "array",
                "uniqueItems": False,
                "items": {"type": "object", "additionalProperties": False},
            },
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "legacy": True,
        },
    }
    assert contract.open_objects(closed) == {
        "type": "object",
        "required": ["user"],
        "properties": {
            "user": {"type": "string", "minLength": 1},
            "address": {"type": "object", "properties": {"zip": {"type": "string"}}},
            "lines": {"type": "array", "uniqueItems": False, "items": {"type": "object"}},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "legacy": True,
        },
    }
    assert contract.consumer_schema("CartCheckedOut") == {
        key: value for key, value in contract.event_schema("CartCheckedOut").items() if key != "additionalProperties"
    }
