"""The local HTTP API (api = "http") against moto: PutEvents' answer, no validation, what reaches the bus.

Every request goes through ``LocalHttpApi.handle`` with an EventBridge client on a moto stack
provisioned from the contract; what reached the bus is read back from a tap queue, so "the bad
body reaches the bus" and "the dropped entry still answers 200" are observed, not assumed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from cartflow import contract
from cartflow.models import DETAIL_MODELS, ItemAdded
from cartflow.parsing import parse
from cartlocal.apigateway.http_api import LocalHttpApi, request_parameters
from cartlocal.apigateway.rest_api import ApiResponse
from cartlocal.apigateway.tokens import LocalUserPool
from cartlocal.lambda_runtime.envelopes import restore_eventbridge_envelope
from cartlocal.local_aws.provision import REGION, Stack
from tests.helpers.aws import drain
from tests.helpers.events import cart_detail

NOW = datetime(2026, 11, 28, 4, 5, 6, tzinfo=UTC)
ROUTES = {route["detail_type"]: route for route in contract.routes()}


@pytest.fixture
def tap(shared_tap: str) -> str:
    drain(shared_tap)
    return shared_tap


@pytest.fixture
def api(shared_stack: Stack) -> LocalHttpApi:
    return LocalHttpApi(
        boto3.client("events"), shared_stack.settings["EVENT_BUS_ARN"], clock=lambda: NOW, request_ids=lambda: "req-1"
    )


def send(api: LocalHttpApi, detail_type: str, body: Any, headers: dict[str, str] | None = None) -> ApiResponse:
    route = ROUTES[detail_type]
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.handle(route["method"], route["path"], headers or {}, payload)


def details(tap: str) -> list[dict[str, Any]]:
    return [json.loads(message["Body"])["detail"] for message in drain(tap)]


def body_of(detail_type: str) -> dict[str, Any]:
    return {key: value for key, value in cart_detail(detail_type).items() if key not in {"request_id", "occurred_at"}}


@pytest.mark.parametrize("detail_type", sorted(ROUTES))
def test_a_valid_body_answers_putevents_response_and_its_event_carries_the_clf_request_time(
    tap: str, api: LocalHttpApi, detail_type: str
) -> None:
    body = body_of(detail_type)
    response = send(api, detail_type, body)

    assert response.status == 200
    answer = response.json()
    assert answer["FailedEntryCount"] == 0
    assert [set(entry) for entry in answer["Entries"]] == [{"EventId"}]
    [detail] = details(tap)
    # The request time in the only form the mapping has, CLF, which the event contract accepts.
    assert detail == {**body, "request_id": "req-1", "occurred_at": "28/Nov/2026:04:05:06 +0000"}
    assert DETAIL_MODELS[detail_type].from_dict(detail).to_dict() == detail


def test_an_invalid_body_is_not_validated_and_reaches_the_bus(tap: str, api: LocalHttpApi) -> None:
    response = send(api, "ItemAddedToCart", {"user": "ada", "quantity": 0, "extra": "ignored"})

    assert (response.status, response.json()["FailedEntryCount"]) == (200, 0)
    [detail] = details(tap)
    # Absent fields map to empty text; fields outside the schema are not mapped at all.
    assert detail == {
        "user": "ada",
        "product": "",
        "quantity": 0,
        "email": "",
        "request_id": "req-1",
        "occurred_at": "28/Nov/2026:04:05:06 +0000",
    }


@pytest.mark.parametrize(
    "body",
    [{"user": 'ada"', "product": "sku-1", "quantity": 1, "email": "a@b.co"}, {"user": "ada", "product": "sku-1"}],
    ids=["quote-in-a-string", "absent-integer"],
)
def test_a_body_that_breaks_the_detail_json_is_dropped_yet_answers_200(
    tap: str, api: LocalHttpApi, body: dict[str, Any]
) -> None:
    response = send(api, "ItemAddedToCart", body)

    assert response.status == 200
    assert response.json() == {
        "FailedEntryCount": 1,
        "Entries": [{"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}],
    }
    assert details(tap) == []


def test_an_unknown_route_is_404_not_found(tap: str, api: LocalHttpApi) -> None:
    response = api.handle("GET", "/cart", {}, b"")
    assert (response.status, response.json()) == (404, {"message": "Not Found"})
    assert details(tap) == []


def test_with_cognito_the_token_is_required_and_its_claims_replace_the_identity_fields(
    shared_stack: Stack, tap: str
) -> None:
    pool = LocalUserPool.generate(REGION)
    api = LocalHttpApi(
        boto3.client("events"),
        shared_stack.settings["EVENT_BUS_ARN"],
        clock=lambda: NOW,
        request_ids=lambda: "req-1",
        auth="cognito",
        user_pool=pool,
    )
    body = {"user": "mallory", "product": "sku-1", "quantity": 1, "email": "mallory@example.com"}

    assert send(api, "ItemAddedToCart", body).status == 401
    token = pool.mint("ada-sub", "ada@example.com", now=NOW)
    response = send(api, "ItemAddedToCart", body, {"Authorization": f"Bearer {token}"})

    assert response.status == 200
    [detail] = details(tap)
    assert (detail["user"], detail["email"]) == (str(pool.verify(token, NOW)["sub"]), "ada@example.com")


@pytest.mark.parametrize(
    ("product", "quantity"),
    [('sku-1","email":"victim@example.com', 1), ("sku-1", '1,"user":"victim","email":"victim@example.com"')],
    ids=["email-after-the-product", "user-and-email-after-the-quantity"],
)
def test_with_cognito_no_body_field_can_override_the_identity_the_token_gives(
    shared_stack: Stack, tap: str, product: str, quantity: Any
) -> None:
    """A mapping substitutes body text unescaped, so a body field can add keys to the Detail JSON; a
    JSON object's last duplicate key wins (Python's json, the consumers' parser), so the claims come
    after every body field and a shopper can never name another user or email address."""
    pool = LocalUserPool.generate(REGION)
    api = LocalHttpApi(
        boto3.client("events"),
        shared_stack.settings["EVENT_BUS_ARN"],
        clock=lambda: NOW,
        request_ids=lambda: "req-1",
        auth="cognito",
        user_pool=pool,
    )
    token = pool.mint("ada-sub", "ada@example.com", now=NOW)
    body = {"user": "mallory", "product": product, "quantity": quantity, "email": "mallory@example.com"}

    response = send(api, "ItemAddedToCart", body, {"Authorization": f"Bearer {token}"})

    assert (response.status, response.json()["FailedEntryCount"]) == (200, 0)
    [message] = drain(tap)
    # What the consumers (schedule_reminder, and send_reminder after it) take from the event, as
    # the local runtime hands it to them.
    account = shared_stack.settings["EVENT_BUS_ARN"].split(":")[4]
    added = parse(json.loads(restore_eventbridge_envelope(message["Body"], account)), ItemAdded).detail
    assert (added.user, added.email) == (str(pool.verify(token, NOW)["sub"]), "ada@example.com")


def test_mappings_are_substituted_raw_strings_quoted_integers_bare() -> None:
    route = ROUTES["ItemAddedToCart"]
    parameters = request_parameters(route, "bus", cognito=False)
    assert parameters["Detail"] == (
        '{"email":"${request.body.email}","product":"${request.body.product}","quantity":${request.body.quantity},'
        '"user":"${request.body.user}","request_id":"${context.requestId}","occurred_at":"${context.requestTime}"}'
    )
