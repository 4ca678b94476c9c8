"""The local REST API against moto: same models, same mapping templates, same answers as AWS.

Every request goes through ``LocalRestApi.handle`` with an EventBridge client on the moto stack
provisioned from the contract; what reached the bus is read back from the rules' delivery queues,
so "one event for a valid request, none for a rejected one" is observed, not assumed.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from moto import mock_aws

from cartflow import contract
from cartflow.models import DETAIL_MODELS, ItemAdded, parse_event
from cartlocal.apigateway.rest_api import ApiResponse, LocalRestApi, clf_time
from cartlocal.apigateway.templatefile import TemplateFileError, render_templatefile
from cartlocal.apigateway.validation import BodyValidator
from cartlocal.apigateway.vtl import ApiInput, MappingTemplate, VtlError, escape_ecmascript
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, Stack, provision
from tests.conftest import RecordingEvents, aws_answer, aws_error, cart_detail, drain, queue_arn, routed_envelopes

JSON_HEADERS = {"Content-Type": "application/json"}
NOW = datetime(2026, 11, 28, 4, 5, 6, 789000, tzinfo=UTC)
ROUTES = {route["detail_type"]: route for route in contract.routes()}
MAX_BODY = contract.load("api/routes.json")["max_body_bytes"]


def consumers(detail_type: str) -> list[str]:
    """Functions whose contract rule matches ``detail_type`` (read from stack.json and the patterns)."""
    return [
        rule["target"]["function"]
        for name, rule in contract.stack()["rules"].items()
        if rule["target"]["type"] == "lambda" and detail_type in contract.rule_pattern(name)["detail-type"]
    ]


def valid_body(detail_type: str) -> dict[str, Any]:
    """A request body the route accepts: the API's event detail without what the API adds."""
    detail = cart_detail(detail_type)
    return {key: value for key, value in detail.items() if key not in {"request_id", "occurred_at"}}


def bus_events(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Every envelope the bus routed to a function since the last call, per function."""
    return {function: routed_envelopes(stack, function) for function in stack.lambda_delivery_queues}


def event_count(tap: str) -> int:
    """How many events reached the bus since the last call, whatever their source or type."""
    return len(drain(tap))


def send(api: LocalRestApi, detail_type: str, body: Any, headers: dict[str, str] | None = None) -> ApiResponse:
    route = ROUTES[detail_type]
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.handle(route["method"], route["path"], JSON_HEADERS if headers is None else headers, payload)


@pytest.fixture(scope="module")
def shared_stack() -> Iterator[Stack]:
    """One provisioned moto stack for the module: provisioning costs far more than a request."""
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("AWS_DEFAULT_REGION", REGION)
        environment.setenv("AWS_ACCESS_KEY_ID", "testing")
        environment.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield provision(name="cartflow-api-test")


@pytest.fixture(scope="module")
def shared_tap(shared_stack: Stack) -> str:
    """A queue receiving every event put on the bus (every envelope has version "0")."""
    sqs, events, bus = boto3.client("sqs"), boto3.client("events"), shared_stack.settings["EVENT_BUS_ARN"]
    url = sqs.create_queue(QueueName=f"{shared_stack.name}-tap")["QueueUrl"]
    events.put_rule(Name=f"{shared_stack.name}-tap", EventBusName=bus, EventPattern=json.dumps({"version": ["0"]}))
    events.put_targets(
        Rule=f"{shared_stack.name}-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": queue_arn(url)}]
    )
    return url


@pytest.fixture
def tap(shared_tap: str) -> str:
    drain(shared_tap)
    return shared_tap


@pytest.fixture
def stack(shared_stack: Stack, tap: str) -> Stack:
    """The shared stack with nothing left on it from an earlier test."""
    bus_events(shared_stack)
    return shared_stack


@pytest.fixture
def api(stack: Stack) -> LocalRestApi:
    return LocalRestApi(boto3.client("events"), stack.settings["EVENT_BUS_ARN"], REGION, ACCOUNT_ID, clock=lambda: NOW)


# --- valid requests -------------------------------------------------------------------------------


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
    assert envelope["detail"] == {**body, "request_id": request_id, "occurred_at": "2026-11-28T04:05:06Z"}
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


# --- rejected requests: API Gateway's answer, precise reasons for the developer, nothing on the bus ---

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


# --- EventBridge failures ------------------------------------------------------------------------------


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


# --- rendering -----------------------------------------------------------------------------------------


def test_rendering_is_deterministic_for_fixed_inputs() -> None:
    recorders = [RecordingEvents(), RecordingEvents()]
    for recorder in recorders:
        api = LocalRestApi(recorder, "arn:bus", REGION, ACCOUNT_ID, clock=lambda: NOW, request_ids=lambda: "req-1")
        assert send(api, "ItemAddedToCart", valid_body("ItemAddedToCart")).status == 200
    first, second = (recorder.requests for recorder in recorders)
    assert first == second
    [entry] = first[0]["Entries"]
    assert entry["EventBusName"] == "arn:bus"
    assert (entry["Source"], entry["DetailType"]) == (ROUTES["ItemAddedToCart"]["source"], "ItemAddedToCart")
    assert json.loads(entry["Detail"]) == {
        **valid_body("ItemAddedToCart"),
        "request_id": "req-1",
        "occurred_at": "2026-11-28T04:05:06Z",
    }


def test_broken_request_template_fails_at_construction_like_terraform_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    original = contract.text
    request_template = contract.load("api/routes.json")["templates"]["request"]

    def text(path: str) -> str:
        return original(path) + ("${stage}" if path == request_template else "")

    monkeypatch.setattr(contract, "text", text)
    with pytest.raises(TemplateFileError, match='vars map does not contain key "stage"'):
        LocalRestApi(RecordingEvents(), "arn:bus", REGION, ACCOUNT_ID)


# --- property: any body -> 200 iff the model accepts it, never 5xx, one event iff 200 -----------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(["user", "product", "email", "quantity", "admin", ""]) | st.text(max_size=8)


def model_bodies(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies the model accepts, built from its keywords (hypothesis-jsonschema 0.23 breaks on objects).

    Strings come from the pattern with Python's regex semantics, so a trailing newline can appear:
    that is the case where the API's ECMA-262 reading of ``$`` differs from python-jsonschema.
    """
    understood = {"$schema", "title", "description", "type", "additionalProperties", "required", "properties"}
    assert set(schema) <= understood
    assert (schema["type"], schema["additionalProperties"]) == ("object", False)

    def value(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
        if spec["type"] == "integer":
            return st.integers(spec["minimum"], spec["maximum"])
        assert spec["type"] == "string"
        return st.from_regex(spec["pattern"]).filter(lambda text: spec["minLength"] <= len(text) <= spec["maxLength"])

    optional = sorted(set(schema["properties"]) - set(schema["required"]))
    return st.fixed_dictionaries(
        {name: value(schema["properties"][name]) for name in schema["required"]},
        optional={name: value(schema["properties"][name]) for name in optional},
    )


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    detail_type = draw(st.sampled_from(sorted(ROUTES)))
    schema = contract.load(ROUTES[detail_type]["schema"])
    valid = model_bodies(schema)
    mutated = valid.flatmap(
        lambda body: st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=2).map(lambda extra: {**body, **extra})
    )
    dropped = valid.flatmap(
        lambda body: st.sets(st.sampled_from(sorted(body) or [""])).map(
            lambda gone: {key: value for key, value in body.items() if key not in gone}
        )
    )
    document = draw(st.one_of(valid, mutated, dropped, JSON_VALUES))
    raw = json.dumps(document, ensure_ascii=draw(st.booleans())).encode()
    return detail_type, draw(
        st.just(raw) | st.binary(max_size=30) | st.text(string.printable, max_size=30).map(str.encode)
    )


def _has_trailing_newline(document: Any) -> bool:
    return isinstance(document, dict) and any(
        isinstance(value, str) and value.endswith("\n") for value in document.values()
    )


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(case=bodies())
def test_any_body_is_accepted_iff_the_model_accepts_it(
    stack: Stack, tap: str, api: LocalRestApi, case: tuple[str, bytes]
) -> None:
    detail_type, body = case
    response = send(api, detail_type, body)
    routed = [envelope for envelopes in bus_events(stack).values() for envelope in envelopes]
    assert event_count(tap) == (1 if response.status == 200 else 0)
    event(f"HTTP {response.status}")

    assert response.status in {200, 400}, response.body
    try:
        document = json.loads(body.decode("utf-8")) if body else {}
        schema_accepts = Draft4Validator(contract.load(ROUTES[detail_type]["schema"])).is_valid(document)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        schema_accepts = False
    if response.status == 200:
        assert schema_accepts
        [envelope] = routed
        DETAIL_MODELS[detail_type].from_dict(envelope["detail"])
    else:
        assert routed == []
        assert response.json() == {"message": "Invalid request body"}
        # The one deliberate difference from python-jsonschema: ECMA-262 '$' does not match before "\n".
        assert not schema_accepts or _has_trailing_newline(document), response.body
        if schema_accepts:
            event("rejected a trailing newline python-jsonschema accepts")


# --- the pieces: Terraform's templatefile pass, VTL variables, the validator -------------------------


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ('"${source}" ${ detail_type }', '"cartflow.cart" ItemAddedToCart'),
        ("$${source} %%{if} $!{x} $x %d #set", "${source} %{if} $!{x} $x %d #set"),
    ],
)
def test_templatefile_substitutes_variables_and_unescapes_like_terraform(template: str, rendered: str) -> None:
    variables = {"source": "cartflow.cart", "detail_type": "ItemAddedToCart"}
    assert render_templatefile(template, variables) == rendered


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("a\n${stage}", 't:2: Invalid value for "vars" parameter: vars map does not contain key "stage"'),
        ("${upper(source)}", "t:1: ${upper(source)} is not a plain variable reference"),
        ("${~source}", "t:1: ${~source} is not a plain variable reference"),
        ("%{if true}x%{endif}", "t:1: template directive %{if true} is not supported locally"),
        ("${source", "t:1: unterminated '${' sequence"),
    ],
)
def test_templatefile_refuses_what_terraform_would_reject_or_render_differently(template: str, error: str) -> None:
    with pytest.raises(TemplateFileError) as raised:
        render_templatefile(template, {"source": "s"}, "t")
    assert str(raised.value).startswith(error)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('it\'s "quoted" a/b c\\d', 'it\\\'s \\"quoted\\" a\\/b c\\\\d'),
        ("\b\t\n\f\r\x01\x1f\x7f", "\\b\\t\\n\\f\\r\\u0001\\u001F\x7f"),
        ("é€😀", "\\u00E9\\u20AC\\uD83D\\uDE00"),
    ],
)
def test_escape_javascript_is_javas_escape_ecmascript(text: str, escaped: str) -> None:
    assert escape_ecmascript(text) == escaped


def render(template: str, body: str = "", context: dict[str, Any] | None = None, **params: dict[str, str]) -> str:
    return MappingTemplate(template, "t.vtl").render(context or {}, ApiInput(body, params))


def test_input_json_path_body_and_params() -> None:
    body = '{"a": {"b": [1, {"c": "x"}]}, "odd key": true}'
    assert render("$input.json('$.a.b[1]')|$input.json('$.missing')|$input.json('$')", body) == (
        '{"c":"x"}||{"a":{"b":[1,{"c":"x"}]},"odd key":true}'
    )
    assert render("$input.path('$.a.b').size() $input.path('$.a') $input.path(\"$['odd key']\")", body) == (
        "2 {b=[1, {c=x}]} true"
    )
    assert render("$input.body", body) == body
    assert (
        render(
            "$input.params('id') $input.params('Accept') $input.params().querystring.size()",
            querystring={"id": "q"},
            header={"accept": "application/json"},
        )
        == "q application/json 1"
    )


@pytest.mark.parametrize("path", ["$..a", "$.a[*]", "a.b", "$.a[?(@.b)]"])
def test_unsupported_jsonpath_fails_loudly(path: str) -> None:
    with pytest.raises(VtlError, match="JSONPath"):
        render(f"$input.json('{path}')", '{"a": 1}')


def test_util_functions() -> None:
    template = (
        "$util.base64Encode('héllo')|$util.base64Decode('aMOpbGxv')|$util.urlEncode('a b&c~*')|"
        "$util.urlDecode('a+b%26c')|$util.parseJson('{\"k\": [1, 2]}').k.size()|$util.escapeJavaScript('<\"/>')"
    )
    assert render(template) == 'aMOpbGxv|héllo|a+b%26c%7E*|a b&c|2|<\\"\\/>'


def test_response_override_status_is_written_back_to_the_context() -> None:
    context: dict[str, Any] = {"responseOverride": {"header": {}, "status": None}}
    assert render("#set($context.responseOverride.status = 418)ok", context=context) == "ok"
    assert context["responseOverride"]["status"] == 418


def test_contract_response_template_overrides_status_when_an_entry_failed() -> None:
    routes = contract.load("api/routes.json")["templates"]
    response = MappingTemplate(contract.text(routes["response"]), routes["response"])
    for failed, status, message in [(0, None, "message received"), (1, 500, "event not accepted")]:
        context: dict[str, Any] = {"responseOverride": {"header": {}, "status": None}}
        rendered = response.render(context, ApiInput(json.dumps({"FailedEntryCount": failed, "Entries": []}), {}))
        assert (json.loads(rendered), context["responseOverride"]["status"]) == ({"message": message}, status)


def test_request_time_is_clf_in_utc() -> None:
    assert clf_time(datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)) == "04/Mar/2026:05:06:07 +0000"


def test_template_syntax_error_is_raised_at_construction() -> None:
    with pytest.raises(VtlError, match=r"t.vtl: .*expected"):
        MappingTemplate("#if($x", "t.vtl")


def test_body_nested_beyond_the_parser_is_a_precise_400_reason() -> None:
    validator = BodyValidator(contract.load(ROUTES["CartCheckedOut"]["schema"]))
    assert validator.violations(b"[" * 100_000) == ["$: body is not valid JSON (nested too deeply)"]


def test_request_template_sees_context_input_and_templatefile_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in request template echoing what API Gateway supplies, rendered through the real pipeline."""
    request_template = contract.load("api/routes.json")["templates"]["request"]
    probe = (
        '{"Entries": [{"EventBusName": "${event_bus_name}", "Source": "${source}", "DetailType": "${detail_type}", '
        '"Detail": "$util.escapeJavaScript("$context.requestId $context.requestTime $context.requestTimeEpoch '
        "$context.httpMethod $context.resourcePath $context.path $context.stage $context.accountId $context.apiId "
        "$context.identity.sourceIp $context.identity.userAgent $input.params('src') $input.path('$.user')\")\"}]}"
    )
    original = contract.text
    monkeypatch.setattr(contract, "text", lambda path: probe if path == request_template else original(path))
    recorder = RecordingEvents()
    api = LocalRestApi(
        recorder,
        "arn:bus",
        REGION,
        ACCOUNT_ID,
        stage="dev",
        api_id="a1b2c3",
        clock=lambda: NOW,
        request_ids=lambda: "r-1",
    )
    body = json.dumps({"user": "ada"}).encode()
    headers = {**JSON_HEADERS, "User-Agent": "curl/8"}
    assert api.handle("POST", "/checkout?src=app", headers, body, source_ip="10.0.0.9").status == 200

    [entry] = recorder.requests[0]["Entries"]
    assert (entry["EventBusName"], entry["Source"], entry["DetailType"]) == (
        "arn:bus",
        "cartflow.cart",
        "CartCheckedOut",
    )
    assert entry["Detail"].split(" ") == [
        "r-1",
        "28/Nov/2026:04:05:06",
        "+0000",
        str(int(NOW.timestamp() * 1000)),
        "POST",
        "/checkout",
        "/dev/checkout",
        "dev",
        ACCOUNT_ID,
        "a1b2c3",
        "10.0.0.9",
        "curl/8",
        "app",
        "ada",
    ]


@pytest.mark.parametrize("body", [{"note": 'o\'brien "quoted" \\ back/slash'}, {}])
def test_request_template_renders_valid_json_for_quotes_and_empty_bodies(body: dict[str, Any]) -> None:
    # The schemas keep such values out today; the template must not depend on that to stay valid JSON.
    from cartlocal.apigateway.templatefile import render_templatefile
    from cartlocal.apigateway.vtl import ApiInput, MappingTemplate

    name = contract.load("api/routes.json")["templates"]["request"]
    variables = {"event_bus_name": "arn:bus", "source": "cartflow.cart", "detail_type": "ItemAddedToCart"}
    template = MappingTemplate(render_templatefile(contract.text(name), variables, name), name)
    context = {"requestId": "req-1", "requestTime": "28/Nov/2026:04:05:06 +0000"}
    rendered = json.loads(template.render(context, ApiInput(json.dumps(body), {})))
    detail = json.loads(rendered["Entries"][0]["Detail"])
    assert detail == {**body, "request_id": "req-1", "occurred_at": "2026-11-28T04:05:06Z"}
