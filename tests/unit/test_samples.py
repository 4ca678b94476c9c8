"""`make event`: samples from the contract's schemas are valid, reach the handlers as AWS events,
and an override that breaks the schema names the field and the rule."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsModel
from jsonschema import Draft4Validator

from cartflow import contract
from cartlocal import samples
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.paths import ROOT


def make_event(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "event", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("route", contract.routes(), ids=lambda route: f"{route['method']} {route['path']}")
def test_a_route_sample_is_a_body_its_model_accepts(route: dict[str, Any]) -> None:
    body = samples.generate(f"{route['method']} {route['path']}")

    assert list(Draft4Validator(contract.load(route["schema"])).iter_errors(body)) == []


@pytest.mark.parametrize("event", contract.event_types(), ids=lambda event: event["detail_type"])
def test_an_event_sample_is_the_aws_shaped_event_with_a_valid_detail(event: dict[str, Any]) -> None:
    sample = samples.generate(event["detail_type"])

    records = SqsModel.model_validate(sample).Records if "Records" in sample else []
    envelope = json.loads(str(records[0].body)) if records else sample
    EventBridgeModel.model_validate(envelope)
    assert (envelope["source"], envelope["detail-type"]) == (event["source"], event["detail_type"])
    assert list(Draft4Validator(contract.load(event["schema"])).iter_errors(envelope["detail"])) == []


def test_samples_drive_the_real_handlers(load_function: Callable[..., ModuleType]) -> None:
    added = load_function("schedule_reminder").handler(
        samples.generate("ItemAddedToCart"), FakeLambdaContext("schedule_reminder")
    )
    due = load_function("send_reminder").handler(
        samples.generate("CartReminderDue"), FakeLambdaContext("send_reminder")
    )

    assert added["outcome"] == "created"
    assert due == {"batchItemFailures": []}


def test_make_event_prints_only_the_json_with_the_overrides_applied() -> None:
    run = make_event("TYPE=POST /cart", "SET=quantity=3 user=bob")

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"user": "bob", "product": "sku-42", "quantity": 3, "email": "ada@example.com"}


@pytest.mark.parametrize(
    ("assignment", "reason"),
    [
        ("quantity=0", "$.quantity: must be >= 1"),
        ("quantity=two", "$.quantity: must be of type integer, got string"),
        ("colour=red", "$.colour: is not allowed (not a field of this request)"),
        ("user=a b", "$.user: must match the pattern ^[A-Za-z0-9._@:-]+$"),
    ],
)
def test_an_invalid_set_names_the_field_and_the_rule(assignment: str, reason: str) -> None:
    with pytest.raises(samples.SampleError, match="breaks the POST /cart schema") as raised:
        samples.generate("POST /cart", [assignment])

    assert reason in str(raised.value)


def test_make_event_refuses_an_invalid_set_in_one_line() -> None:
    run = make_event("TYPE=ItemAddedToCart", "SET=quantity=1000")

    assert run.returncode != 0
    assert run.stdout == ""
    assert "error: SET quantity=1000 breaks the ItemAddedToCart schema: $.quantity: must be <= 999" in run.stderr
