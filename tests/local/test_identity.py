"""Identity with auth = "cognito": the caller is who the token says, whatever the body claims.

The local API plays API Gateway's COGNITO_USER_POOLS authorizer (cartlocal.apigateway.tokens) and runs the
contract's request template with the token's claims, against moto; what reached the bus is read
back from the rules' delivery queues and, for the spoofing case, handed to the real
schedule_reminder handler, so "mallory cannot schedule a reminder for ada" is observed end to end
(tests/e2e/test_cognito_identity.py does the same over HTTP against the local stack running the real zip).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from cartflow import contract, schedules
from cartflow.models import DETAIL_MODELS
from cartlocal.apigateway.http_server import HttpApi
from cartlocal.apigateway.rest_api import ApiResponse, LocalRestApi, identity_model
from cartlocal.apigateway.templatefile import render_templatefile
from cartlocal.apigateway.tokens import LocalUserPool
from cartlocal.apigateway.vtl import ApiInput, MappingTemplate, VtlMap
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, Stack
from cartlocal.timeline import Timeline
from tests.helpers.aws import RecordingEvents
from tests.helpers.events import routed_envelopes
from tests.helpers.identity import ADA, SPOOFED_ADD
from tests.helpers.lambda_context import FakeLambdaContext

NOW = datetime(2026, 11, 28, 4, 5, 6, tzinfo=UTC)
ROUTES = {route["detail_type"]: route for route in contract.routes()}


@pytest.fixture(scope="module")
def pool() -> LocalUserPool:
    """One pool for the module: an RSA key takes a noticeable moment to generate."""
    return LocalUserPool.generate(REGION)


def cognito_api(stack: Stack, pool: LocalUserPool) -> LocalRestApi:
    events = boto3.client("events")
    bus = stack.settings["EVENT_BUS_ARN"]
    return LocalRestApi(events, bus, REGION, ACCOUNT_ID, clock=lambda: NOW, auth="cognito", user_pool=pool)


def send(api: LocalRestApi, detail_type: str, body: dict[str, Any], token: str | None) -> ApiResponse:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    route = ROUTES[detail_type]
    return api.handle(route["method"], route["path"], headers, json.dumps(body).encode())


def everything_routed(stack: Stack) -> list[dict[str, Any]]:
    return [envelope for function in stack.lambda_delivery_queues for envelope in routed_envelopes(stack, function)]


def test_a_spoofed_body_user_cannot_schedule_a_reminder_for_someone_else(
    stack: Stack, pool: LocalUserPool, load_function: Callable[..., ModuleType]
) -> None:
    api = cognito_api(stack, pool)
    response = send(api, "ItemAddedToCart", SPOOFED_ADD, pool.mint(now=NOW, **ADA))
    assert (response.status, response.json()) == (200, {"message": "message received"})

    [envelope] = routed_envelopes(stack, "schedule_reminder")
    assert envelope["detail-type"] == "ItemAddedToCart"
    detail = envelope["detail"]
    assert (detail["user"], detail["email"]) == ("ada", "ada@example.com")
    assert (detail["product"], detail["quantity"]) == ("sku-42", 2)

    app = load_function("schedule_reminder")
    assert app.handler(envelope, FakeLambdaContext("schedule_reminder"))["outcome"] == "created"
    scheduler = boto3.client("scheduler")
    group = stack.settings["SCHEDULE_GROUP"]
    [listed] = scheduler.list_schedules(GroupName=group)["Schedules"]
    assert listed["Name"] == schedules.schedule_name("ada", "sku-42")
    reminder = json.loads(scheduler.get_schedule(Name=listed["Name"], GroupName=group)["Target"]["Input"])
    assert (reminder["user"], reminder["email"]) == ("ada", "ada@example.com")


@pytest.mark.parametrize("detail_type", sorted(ROUTES))
def test_every_route_takes_the_identity_from_the_token_and_the_body_may_omit_it(
    stack: Stack, pool: LocalUserPool, detail_type: str
) -> None:
    schema = contract.load(ROUTES[detail_type]["schema"])
    body = {"product": "sku-7"} if "product" in schema["properties"] else {}
    response = send(cognito_api(stack, pool), detail_type, body, pool.mint(now=NOW, **ADA))
    assert response.status == 200, response.body

    [envelope] = everything_routed(stack)
    detail = envelope["detail"]
    # The consumers' own model accepts it: the template added exactly the fields the event declares.
    DETAIL_MODELS[detail_type].from_dict(detail)
    assert detail["user"] == "ada"
    assert detail.get("email") == ("ada@example.com" if "email" in schema["properties"] else None)


def test_the_relaxed_models_only_drop_the_identity_fields_from_required() -> None:
    add_item = contract.load(ROUTES["ItemAddedToCart"]["schema"])
    assert identity_model(add_item) == {**add_item, "required": ["product"]}
    checkout = contract.load(ROUTES["CartCheckedOut"]["schema"])
    # Draft 4 forbids an empty "required": the keyword goes.
    assert identity_model(checkout) == {key: value for key, value in checkout.items() if key != "required"}


def test_other_fields_are_still_validated_with_a_token(stack: Stack, pool: LocalUserPool) -> None:
    response = send(cognito_api(stack, pool), "ItemAddedToCart", {"quantity": 0}, pool.mint(now=NOW, **ADA))
    assert response.status == 400
    assert response.json() == {"message": "Invalid request body"}
    assert response.execution_log[0].endswith('[object has missing required properties (["product"])]')
    assert everything_routed(stack) == []


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


def _claims(pool: LocalUserPool, **overrides: Any) -> dict[str, Any]:
    payload = pool.mint(now=NOW, **ADA, **overrides).split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


BAD_TOKENS: dict[str, Callable[[LocalUserPool], str | None]] = {
    "missing": lambda pool: None,
    "empty": lambda pool: "",
    "not a JWT": lambda pool: "ada",
    "expired": lambda pool: pool.mint(now=NOW - timedelta(hours=1), lifetime_seconds=3600, **ADA),
    "signed by another pool": lambda pool: LocalUserPool(
        pool.pool_id, pool.client_id, REGION, pool.key_id, LocalUserPool.generate(REGION).private_key
    ).mint(now=NOW, **ADA),
    "payload swapped after signing": lambda pool: ".".join(
        [
            pool.mint(now=NOW, **ADA).split(".")[0],
            pool.mint(now=NOW, sub="mallory", email="mallory@evil.example").split(".")[1],
            pool.mint(now=NOW, **ADA).split(".")[2],
        ]
    ),
    "alg none": lambda pool: ".".join(
        [_b64url(b'{"alg":"none","kid":"' + pool.key_id.encode() + b'"}'), pool.mint(now=NOW, **ADA).split(".")[1], ""]
    ),
    "HS256 keyed with the key id": lambda pool: _hs256(
        {"alg": "HS256", "kid": pool.key_id}, _claims(pool), pool.key_id.encode()
    ),
    "unknown kid": lambda pool: pool.sign({"alg": "RS256", "kid": "other"}, _claims(pool)),
    "access token": lambda pool: pool.mint(now=NOW, token_use="access", **ADA),
    "another app client": lambda pool: pool.mint(now=NOW, aud="another-client", **ADA),
    "another issuer": lambda pool: pool.mint(now=NOW, iss="https://cognito-idp.eu-west-1.amazonaws.com/x", **ADA),
    # A lenient base64 decoder would skip the stray characters and accept the signature.
    "stray characters in the signature": lambda pool: pool.mint(now=NOW, **ADA) + "!!!!",
    "no exp": lambda pool: pool.sign({"alg": "RS256", "kid": pool.key_id}, _claims(pool, exp=None)),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_token_is_401_unauthorized_and_puts_nothing(stack: Stack, pool: LocalUserPool, case: str) -> None:
    response = send(cognito_api(stack, pool), "ItemAddedToCart", SPOOFED_ADD, BAD_TOKENS[case](pool))
    assert (response.status, response.json()) == (401, {"message": "Unauthorized"})
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert everything_routed(stack) == []


def test_a_raw_token_without_the_bearer_scheme_is_accepted(stack: Stack, pool: LocalUserPool) -> None:
    route = ROUTES["CartCheckedOut"]
    headers = {"Content-Type": "application/json", "authorization": pool.mint(now=NOW, **ADA)}
    response = cognito_api(stack, pool).handle(route["method"], route["path"], headers, b"{}")
    assert response.status == 200
    [envelope] = everything_routed(stack)
    assert envelope["detail"]["user"] == "ada"


def test_claims_with_quotes_still_render_a_valid_detail(pool: LocalUserPool) -> None:
    # Cognito's email rules keep such values out; the template must not depend on that to stay JSON.
    recorder = RecordingEvents()
    api = LocalRestApi(recorder, "arn:bus", REGION, ACCOUNT_ID, clock=lambda: NOW, auth="cognito", user_pool=pool)
    token = pool.mint(now=NOW, sub='o\'brien "x" \\ é', email="a'b\"c@example.com")
    assert send(api, "ItemAddedToCart", {"product": "p"}, token).status == 200
    detail = json.loads(recorder.requests[0]["Entries"][0]["Detail"])
    assert (detail["user"], detail["email"]) == ('o\'brien "x" \\ é', "a'b\"c@example.com")


def test_with_iam_auth_the_body_is_the_identity_and_tokens_are_not_read(stack: Stack, pool: LocalUserPool) -> None:
    """auth = "iam" (the default): unchanged, strict models, the body's user; a token changes nothing."""
    api = LocalRestApi(boto3.client("events"), stack.settings["EVENT_BUS_ARN"], REGION, ACCOUNT_ID, clock=lambda: NOW)
    response = send(api, "ItemAddedToCart", SPOOFED_ADD, pool.mint(now=NOW, **ADA))
    assert response.status == 200
    [envelope] = routed_envelopes(stack, "schedule_reminder")
    assert (envelope["detail"]["user"], envelope["detail"]["email"]) == ("mallory", "mallory@evil.example")
    missing = send(api, "CartCheckedOut", {}, pool.mint(now=NOW, **ADA))
    assert (missing.status, missing.json()) == (400, {"message": "Invalid request body"})
    assert missing.execution_log[0].endswith('[object has missing required properties (["user"])]')


def test_cognito_auth_needs_a_user_pool() -> None:
    with pytest.raises(ValueError, match="user pool"):
        LocalRestApi(RecordingEvents(), "arn:bus", REGION, ACCOUNT_ID, auth="cognito")


@pytest.fixture
def http_api(pool: LocalUserPool) -> Iterator[tuple[str, RecordingEvents]]:
    recorder = RecordingEvents()
    api = LocalRestApi(recorder, "arn:bus", REGION, ACCOUNT_ID, auth="cognito", user_pool=pool)
    server = HttpApi(api, 0, Timeline())
    server.start()
    try:
        yield server.url, recorder
    finally:
        server.stop()


def test_the_http_endpoint_passes_the_authorization_header_through(
    http_api: tuple[str, RecordingEvents], pool: LocalUserPool
) -> None:
    url, recorder = http_api
    body = json.dumps({"user": "mallory"}).encode()
    request = urllib.request.Request(f"{url}/checkout", body, {"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    request.add_header("Authorization", f"Bearer {pool.mint(**ADA)}")
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200
    [request_sent] = recorder.requests
    assert json.loads(request_sent["Entries"][0]["Detail"])["user"] == "ada"


def test_without_claims_the_template_renders_exactly_as_without_an_authorizer() -> None:
    """An IAM-authorized method has no claims: the Detail must be the body's, byte for byte."""
    name = contract.load("api/routes.json")["templates"]["request"]
    variables = {"event_bus_name": "arn:bus", "source": "cartflow.cart", "detail_type": "ItemAddedToCart"}
    template = MappingTemplate(render_templatefile(contract.text(name), variables, name), name)
    rendered = []
    for extra in ({}, {"authorizer": {"claims": VtlMap()}}, {"authorizer": {"claims": VtlMap({"email": "a@b.cd"})}}):
        context = {
            "requestId": "r-1",
            "requestTime": "28/Nov/2026:04:05:06 +0000",
            "requestTimeEpoch": 1795838706007,
            **extra,
        }
        rendered.append(template.render(context, ApiInput(json.dumps(SPOOFED_ADD), {})))
    assert rendered[0] == rendered[1] == rendered[2]
    detail = json.loads(json.loads(rendered[0])["Entries"][0]["Detail"])
    assert detail == {**SPOOFED_ADD, "request_id": "r-1", "occurred_at": "2026-11-28T04:05:06.007Z"}
