"""The BAD_REQUEST_BODY gateway response is JSON on AWS, and the local API renders it as AWS does.

A gateway response template is not VTL: API Gateway substitutes ``$context`` variables as they
are, and ``$context.error.validationErrorString`` holds quotes (``[object has missing required
properties (["email"])]``). So only the already-quoted ``$context.error.messageString`` may stand
as a JSON value, and the local API must substitute raw too, or it would hide a template that
breaks on AWS.
"""

from __future__ import annotations

import json

from cartflow import contract
from cartlocal.apigateway.rest_api import LocalRestApi, render_gateway_response
from tests.helpers.aws import RecordingEvents
from tests.helpers.paths import ROOT

TEMPLATE = contract.text(contract.load("api/routes.json")["templates"]["bad_request_body"])
# What API Gateway puts in the variables for a body missing a required field.
AWS_VALIDATION_ERROR = '[object has missing required properties (["email"])]'
AWS_MESSAGE = "Invalid request body"


def test_the_bad_request_template_is_json_with_what_aws_substitutes() -> None:
    body = render_gateway_response(TEMPLATE, message=AWS_MESSAGE, validation_error=AWS_VALIDATION_ERROR)
    assert json.loads(body) == {"message": AWS_MESSAGE}


def test_substitution_is_raw_as_on_aws() -> None:
    quoted, unquoted = '"a": "$context.error.validationErrorString"', '"b": $context.error.messageString'
    template = "{" + f'{quoted}, {unquoted}, "c": "$context.error.message"' + "}"
    rendered = render_gateway_response(template, message='say "hi"', validation_error='["x"]')
    assert rendered == '{"a": "["x"]", "b": "say \\"hi\\"", "c": "say "hi""}'


def test_the_local_400_is_the_template_rendered_raw_with_what_aws_substitutes() -> None:
    api = LocalRestApi(RecordingEvents(), "arn:bus", "eu-west-1", "123456789012")
    body = {"user": "ada", "product": "sku:1", "email": "ada@example.com", 'we"ird': 1}
    response = api.handle("POST", "/cart", {"content-type": "application/json"}, json.dumps(body).encode())
    reason = '[object instance has properties which are not allowed by the schema: ["we\\"ird"]]'
    assert response.status == 400
    assert response.body.decode() == render_gateway_response(TEMPLATE, message=AWS_MESSAGE, validation_error=reason)
    assert json.loads(response.body) == {"message": AWS_MESSAGE}
    assert response.execution_log == (
        f"Request body does not match model schema for content type application/json: {reason}",
    )


def test_no_access_log_field_or_gateway_response_quotes_the_validation_error() -> None:
    api_tf = (ROOT / "terraform" / "modules" / "cartflow" / "api.tf").read_text()
    stage = api_tf.split('resource "aws_api_gateway_stage"', 1)[1].split("\nresource ", 1)[0]
    assert "access_log_settings" in stage
    assert "validationErrorString" not in stage
    assert "validationErrorString" not in TEMPLATE
