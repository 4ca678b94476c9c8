"""The mapping templates: Terraform's templatefile pass, the VTL variables, deterministic rendering."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cartflow import contract
from cartlocal.apigateway.rest_api import LocalRestApi, clf_time
from cartlocal.apigateway.templatefile import TemplateFileError, render_templatefile
from cartlocal.apigateway.validation import BodyValidator
from cartlocal.apigateway.vtl import ApiInput, MappingTemplate, VtlError, escape_ecmascript
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from tests.helpers.aws import RecordingEvents
from tests.helpers.local_api import (
    JSON_HEADERS,
    NOW,
    ROUTES,
    send,
    valid_body,
)


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
        "occurred_at": "2026-11-28T04:05:06.789Z",
    }


def test_broken_request_template_fails_at_construction_like_terraform_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    original = contract.text
    request_template = contract.load("api/routes.json")["templates"]["request"]

    def text(path: str) -> str:
        return original(path) + ("${stage}" if path == request_template else "")

    monkeypatch.setattr(contract, "text", text)
    with pytest.raises(TemplateFileError, match='vars map does not contain key "stage"'):
        LocalRestApi(RecordingEvents(), "arn:bus", REGION, ACCOUNT_ID)


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
    context = {"requestId": "req-1", "requestTime": "28/Nov/2026:04:05:06 +0000", "requestTimeEpoch": 1795838706789}
    rendered = json.loads(template.render(context, ApiInput(json.dumps(body), {})))
    detail = json.loads(rendered["Entries"][0]["Detail"])
    assert detail == {**body, "request_id": "req-1", "occurred_at": "2026-11-28T04:05:06.789Z"}
