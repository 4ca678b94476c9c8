"""EventBridge failing behind the local API: the answers AWS's integration gives, nothing hangs.

moto cannot be told to fail, so the failures are injected at botocore's hooks of the API's client.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from cartlocal.apigateway.rest_api import LocalRestApi
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, Stack
from tests.helpers.aws import aws_answer, aws_error
from tests.helpers.local_api import (
    event_count,
    send,
    valid_body,
)


def test_dropped_entry_is_500_event_not_accepted(stack: Stack) -> None:
    events = boto3.client("events")
    api = LocalRestApi(events, stack.settings["EVENT_BUS_ARN"], REGION, ACCOUNT_ID)
    dropped = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "dropped"}]}
    with aws_answer(events, "PutEvents", 200, dropped):
        response = send(api, "ItemAddedToCart", valid_body("ItemAddedToCart"))
    assert (response.status, response.json()) == (500, {"message": "event not accepted"})


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 400), ("InternalException", 500)])
def test_eventbridge_error_is_500_event_not_accepted(stack: Stack, tap: str, code: str, status: int) -> None:
    events = boto3.client("events")
    api = LocalRestApi(events, stack.settings["EVENT_BUS_ARN"], REGION, ACCOUNT_ID)
    with aws_error(events, "PutEvents", code, status):
        response = send(api, "ItemRemovedFromCart", valid_body("ItemRemovedFromCart"))
    assert (response.status, response.json()) == (500, {"message": "event not accepted"})
    assert event_count(tap) == 0


def test_unreachable_eventbridge_is_504_and_nothing_hangs(stack: Stack, tap: str) -> None:
    events = boto3.client("events")
    api = LocalRestApi(events, stack.settings["EVENT_BUS_ARN"], REGION, ACCOUNT_ID)

    def refuse(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://events.us-east-1.amazonaws.com")

    events.meta.events.register("before-call.eventbridge.PutEvents", refuse)
    response = send(api, "CartCheckedOut", valid_body("CartCheckedOut"))
    assert (response.status, response.json()) == (504, {"message": "Internal server error"})
    assert event_count(tap) == 0


def test_bus_that_does_not_exist_is_500_event_not_accepted(stack: Stack, tap: str) -> None:
    missing_bus = stack.settings["EVENT_BUS_ARN"] + "-missing"
    api = LocalRestApi(boto3.client("events"), missing_bus, REGION, ACCOUNT_ID)
    response = send(api, "CartCheckedOut", valid_body("CartCheckedOut"))
    assert (response.status, response.json()) == (500, {"message": "event not accepted"})
    assert event_count(tap) == 0
