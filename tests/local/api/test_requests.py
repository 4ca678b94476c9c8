"""Valid requests to the local REST API: one event, routed to its consumer, as AWS would.

Every request goes through ``LocalRestApi.handle`` with an EventBridge client on the moto stack
provisioned from the contract; what reached the bus is read back from the rules' delivery queues,
so "one event for a valid request, none for a rejected one" is observed, not assumed.
"""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft4Validator

from cartflow import contract
from cartflow.models import DETAIL_MODELS, ItemAdded, parse_event
from cartlocal.apigateway.rest_api import LocalRestApi
from cartlocal.local_aws.provision import Stack
from tests.helpers.local_api import (
    JSON_HEADERS,
    ROUTES,
    bus_events,
    consumers,
    event_count,
    send,
    valid_body,
)


@pytest.mark.parametrize("detail_type", sorted(ROUTES))
def test_valid_request_puts_exactly_one_event_routed_to_its_consumer(
    stack: Stack, tap: str, api: LocalRestApi, detail_type: str
) -> None:
    body = valid_body(detail_type)
    response = send(api, detail_type, body)

    assert response.status == 200
    assert response.json() == {"message": "message received"}
    Draft4Validator(contract.load("api/response.schema.json")).validate(response.json())
    assert response.headers["Content-Type"] == "application/json"
    request_id = response.headers["x-amzn-RequestId"]

    assert event_count(tap) == 1
    routed = bus_events(stack)
    assert {function: len(envelopes) for function, envelopes in routed.items() if envelopes} == {
        function: 1 for function in consumers(detail_type)
    }
    [envelope] = routed[consumers(detail_type)[0]]
    assert envelope["source"] == ROUTES[detail_type]["source"]
    assert envelope["detail-type"] == detail_type
    assert envelope["detail"] == {**body, "request_id": request_id, "occurred_at": "2026-11-28T04:05:06.789Z"}
    Draft4Validator(contract.event_schema(detail_type)).validate(envelope["detail"])
    DETAIL_MODELS[detail_type].from_dict(envelope["detail"])


def test_added_item_envelope_is_what_the_consumer_parses(stack: Stack, api: LocalRestApi) -> None:
    assert send(api, "ItemAddedToCart", valid_body("ItemAddedToCart")).status == 200
    [envelope] = bus_events(stack)["schedule_reminder"]
    event = parse_event(envelope, ItemAdded)
    assert event.detail.user == valid_body("ItemAddedToCart")["user"]


def test_quantity_may_be_omitted_and_the_consumer_applies_the_schema_default(stack: Stack, api: LocalRestApi) -> None:
    body = {key: value for key, value in valid_body("ItemAddedToCart").items() if key != "quantity"}
    assert send(api, "ItemAddedToCart", body).status == 200
    [envelope] = bus_events(stack)["schedule_reminder"]
    assert "quantity" not in envelope["detail"]
    default = contract.event_schema("ItemAddedToCart")["properties"]["quantity"]["default"]
    assert DETAIL_MODELS["ItemAddedToCart"].from_dict(envelope["detail"]).to_dict()["quantity"] == default


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "Application/JSON; charset=UTF-8"},
        {"CONTENT-TYPE": "application/json;charset=utf-8"},
        # API Gateway treats a request without Content-Type as application/json.
        {},
    ],
)
def test_json_content_type_is_matched_case_insensitively_with_parameters(
    stack: Stack, tap: str, api: LocalRestApi, headers: dict[str, str]
) -> None:
    assert send(api, "CartCheckedOut", valid_body("CartCheckedOut"), headers).status == 200
    assert event_count(tap) == 1


def test_query_string_and_one_trailing_slash_keep_the_route_and_methods_are_case_sensitive(
    stack: Stack, tap: str, api: LocalRestApi
) -> None:
    body = json.dumps(valid_body("CartCheckedOut")).encode()
    assert api.handle("POST", "/checkout/?source=app", JSON_HEADERS, body).status == 200
    assert api.handle("post", "/checkout", JSON_HEADERS, body).status == 403
    assert event_count(tap) == 1
