"""The contract is consistent with itself and with the code that reads it.

These tests fail when a schema, a pattern, a model, a route or a setting drifts from the others.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.events.models import EventPattern

from cartflow import contract
from cartflow.models import DETAIL_MODELS, ENVELOPE_SCHEMA, InvalidPayloadError, validate
from tests.helpers.paths import ROOT
from tests.helpers.strategies import instances

FUNCTION_DIRS = sorted(path.name for path in (ROOT / "functions").iterdir() if path.is_dir())
ALL_SCHEMAS = sorted(
    str(path.relative_to(contract.CONTRACT_DIR)) for path in contract.CONTRACT_DIR.rglob("*.schema.json")
)

# Where each event must go: the architecture, stated once as the expectation the patterns must meet.
EXPECTED_ROUTES = {
    "ItemAddedToCart": {"schedule_reminder"},
    "ItemRemovedFromCart": {"cancel_reminders"},
    "CartCheckedOut": {"cancel_reminders"},
    "CartReminderDue": {"reminder_due"},
    "CartReminderSent": set(),
}


@pytest.mark.parametrize("path", ALL_SCHEMAS)
def test_schemas_are_draft4_and_closed(path: str) -> None:
    schema = contract.load(path)
    jsonschema.Draft4Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["additionalProperties"] is False
    assert not any("format" in prop for prop in schema["properties"].values()), "API Gateway ignores format"


def test_every_referenced_file_exists_and_every_file_is_referenced() -> None:
    stack = contract.stack()
    routes = contract.load("api/routes.json")
    referenced = {route["schema"] for route in routes["routes"]} | set(routes["templates"].values())
    referenced |= {entry["schema"] for entry in contract.event_types()}
    referenced |= {rule["pattern"] for rule in stack["rules"].values()}
    referenced |= {"api/routes.json", "events.json", "stack.json", "api/response.schema.json"}
    on_disk = {
        str(path.relative_to(contract.CONTRACT_DIR)) for path in contract.CONTRACT_DIR.rglob("*") if path.is_file()
    }
    assert referenced == on_disk


def test_functions_in_the_contract_are_the_function_folders() -> None:
    assert sorted(contract.stack()["functions"]) == FUNCTION_DIRS
    for name in FUNCTION_DIRS:
        module, _, attribute = contract.function_spec(name)["handler"].partition(".")
        source = (ROOT / "functions" / name / f"{module}.py").read_text()
        assert re.search(rf"^def {attribute}\(", source, re.MULTILINE), f"{name}: no {attribute} in {module}.py"


def test_rule_targets_and_queue_consumers_are_declared() -> None:
    stack = contract.stack()
    for name, rule in stack["rules"].items():
        target = rule["target"]
        if target["type"] == "lambda":
            assert target["function"] in stack["functions"], name
        else:
            assert target["type"] == "sqs"
            assert target["queue"] in stack["queues"], name
    for queue in stack["queues"].values():
        assert queue["consumer"] in stack["functions"]


JSON_TYPES = {"str": "string", "int": "integer", "bool": "boolean"}


@pytest.mark.parametrize("detail_type", sorted(DETAIL_MODELS))
def test_models_declare_the_schemas_fields_with_their_types(detail_type: str) -> None:
    schema = contract.event_schema(detail_type)
    model = DETAIL_MODELS[detail_type]
    declared = {field.name: JSON_TYPES[str(field.type)] for field in dataclasses.fields(model)}
    assert declared == {name: spec["type"] for name, spec in schema["properties"].items()}


@pytest.mark.parametrize("detail_type", sorted(DETAIL_MODELS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_models_accept_exactly_what_the_schemas_accept(detail_type: str, data: st.DataObject) -> None:
    schema = contract.event_schema(detail_type)
    model = DETAIL_MODELS[detail_type]
    instance = data.draw(instances(schema))
    defaults = {name: spec["default"] for name, spec in schema["properties"].items() if "default" in spec}
    assert model.from_dict(instance).to_dict() == {**defaults, **instance}
    # Breaking any one constraint the schema states must be rejected by the model too.
    field = data.draw(st.sampled_from(sorted(schema["properties"])))
    broken = {**instance, field: data.draw(st.sampled_from([None, [], {"x": 1}, "\u0000" * 300, -1]))}
    if jsonschema.Draft4Validator(schema).is_valid(broken):
        return
    with pytest.raises(InvalidPayloadError, match=f"^detail\\.{field}: "):
        model.from_dict(broken)


@pytest.mark.parametrize("detail_type", sorted(DETAIL_MODELS))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_consumers_ignore_unknown_fields_producers_may_not_emit_them(detail_type: str, data: st.DataObject) -> None:
    schema = contract.event_schema(detail_type)
    instance = data.draw(instances(schema))
    unknown = data.draw(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1).filter(
            lambda name: name not in schema["properties"]
        )
    )
    extended = {**instance, unknown: data.draw(st.sampled_from([None, 1, "x", {"nested": [1]}]))}
    assert DETAIL_MODELS[detail_type].from_dict(extended) == DETAIL_MODELS[detail_type].from_dict(instance)
    with pytest.raises(InvalidPayloadError, match=f"^detail\\.{unknown}: unexpected property$"):
        validate(detail_type, extended, "detail")
    # The consumer view opens objects only: every known field keeps every constraint.
    opened = contract.consumer_schema(detail_type)
    assert opened == {key: value for key, value in schema.items() if key != "additionalProperties"}


@pytest.mark.parametrize("detail_type", sorted(EXPECTED_ROUTES))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_patterns_route_every_event_to_exactly_its_consumers(detail_type: str, data: st.DataObject) -> None:
    entry = contract.event_type(detail_type)
    event: Any = {
        "source": entry["source"],
        "detail-type": detail_type,
        "detail": data.draw(instances(contract.event_schema(detail_type))),
    }
    matched = {
        name
        for name in contract.stack()["rules"]
        if EventPattern.load(json.dumps(contract.rule_pattern(name))).matches_event(event)
    }
    assert matched == EXPECTED_ROUTES[detail_type]


def test_every_api_route_emits_a_declared_event_carrying_its_body() -> None:
    for route in contract.routes():
        request = contract.load(route["schema"])
        event = contract.event_type(route["detail_type"])
        assert event["source"] == route["source"]
        assert event["producer"] == "api"
        detail = contract.event_schema(route["detail_type"])
        assert set(detail["properties"]) == set(request["properties"]) | {"request_id", "occurred_at"}
        for name, constraints in request["properties"].items():
            assert detail["properties"][name] == constraints, f"{route['detail_type']}.{name}"
        assert set(detail["required"]) == set(request["required"]) | {"request_id", "occurred_at"}


def test_settings_table_covers_every_function_setting() -> None:
    stack = contract.stack()
    declared = {name for spec in stack["functions"].values() for name in spec["environment"]}
    assert declared == set(stack["settings"])


@pytest.mark.parametrize("function_name", FUNCTION_DIRS)
def test_each_handler_reads_exactly_the_settings_it_declares(function_name: str) -> None:
    source = (ROOT / "functions" / function_name / "app.py").read_text()
    read = set(re.findall(r"""settings(?:\[|\.integer\()\s*["']([A-Z_]+)["']""", source))
    declared = set(contract.function_spec(function_name)["environment"])
    powertools = {name for name in declared if name.startswith("POWERTOOLS_")}
    assert read == declared - powertools


EVENTBRIDGE_ENTRY_LIMIT = 256 * 1024


@pytest.mark.parametrize("detail_type", sorted(DETAIL_MODELS))
def test_largest_valid_event_fits_eventbridges_entry_limit(detail_type: str) -> None:
    # Every string is bounded by the schema; at worst each character is a 6-byte JSON escape.
    schema = contract.event_schema(detail_type)
    for name, spec in schema["properties"].items():
        assert spec.get("type") != "string" or "maxLength" in spec, f"{detail_type}.{name} has no maxLength"
    bounded = {
        name: "x" * 6 * spec["maxLength"] if spec.get("type") == "string" else 10**9
        for name, spec in schema["properties"].items()
    }
    entry = {"Source": "cartflow.reminders", "DetailType": detail_type, "Detail": json.dumps(bounded)}
    assert len(json.dumps(entry).encode()) < EVENTBRIDGE_ENTRY_LIMIT


def test_envelope_schema_is_powertools_eventbridge_model_field_for_field() -> None:
    # cartflow.models checks the envelope with its own schema so a cold start imports neither
    # pydantic nor Powertools' parser; it must accept what Powertools' model accepts.
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    as_json_type = {
        "<class 'str'>": "string",
        "<class 'datetime.datetime'>": "string",  # with format date-time, asserted below
        "list[str]": "array",
        "str | None": ["string", "null"],
    }
    powertools = {
        field.alias or name: (as_json_type[str(field.annotation)], field.is_required())
        for name, field in EventBridgeModel.model_fields.items()
        if name != "detail"
    }
    ours = {
        name: (spec["type"], name in ENVELOPE_SCHEMA["required"])
        for name, spec in ENVELOPE_SCHEMA["properties"].items()
        if name != "detail"
    }
    assert ours == powertools
    assert ENVELOPE_SCHEMA["properties"]["time"]["format"] == "date-time"
    assert "detail" in ENVELOPE_SCHEMA["required"]


def test_the_reminded_record_outlasts_every_redelivery_of_the_add() -> None:
    # A copy of an add delivered after its reminder fired (Scheduler deleted the schedule) is
    # answered "stale" only while the item's reminded record lives (cartflow.newest_reminded). EventBridge
    # retries the rule target and Lambda the async invoke for at most these ages, and the record
    # is written no earlier than the add, so a longer TTL covers every copy, whatever the delay.
    stack = contract.stack()
    longest_redelivery = (
        stack["rules"]["schedule_reminder"]["retry"]["maximum_event_age_in_seconds"]
        + stack["functions"]["schedule_reminder"]["maximum_event_age_in_seconds"]
    )
    assert int(stack["settings"]["IDEMPOTENCY_TTL_SECONDS"]["default"]) > longest_redelivery
    # No environment shortens it: Terraform passes the contract's default.
    terraform_files = [path for path in (ROOT / "terraform").rglob("*") if path.suffix in {".tf", ".tfvars"}]
    assert terraform_files
    assert [path for path in terraform_files if "IDEMPOTENCY_TTL_SECONDS" in path.read_text()] == []


@pytest.mark.parametrize("detail_type", sorted(DETAIL_MODELS))
def test_the_shared_valid_detail_of_each_event_is_valid(detail_type: str) -> None:
    from tests.helpers.events import valid_detail

    jsonschema.Draft4Validator(contract.event_schema(detail_type)).validate(valid_detail(detail_type))
