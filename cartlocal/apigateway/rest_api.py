"""The deployed REST API, executed locally: moto stores API Gateway configuration but never runs it.

:class:`LocalRestApi` answers an HTTP request the way the Terraform-declared REST API does, from
the same contract files: routes and models from ``api/routes.json``, the request validator on the
route's JSON Schema, the BAD_REQUEST_BODY gateway response from ``bad_request_body.vtl``, the AWS
integration to EventBridge ``PutEvents`` rendered from ``put_events.request.vtl`` (Terraform's
``templatefile`` pass, then VTL), and the integration responses ``put_events.response.vtl``
(200) and ``put_events.failure.vtl`` (500, selected for any 4xx/5xx from EventBridge).

Choices where AWS behaviour depends on configuration, documented so they can be checked:
- Unknown resource, or a method the resource does not declare: 403 ``Missing Authentication Token``
  (what REST APIs answer). Methods are case-sensitive, as in HTTP. ``path`` is the resource path
  below the stage (``/cart``), optionally with a query string; one trailing slash is ignored.
- Content type: only ``application/json`` has a model and a template, and the integration's
  passthrough behaviour is NEVER, so any other type is 415 ``Unsupported Media Type``. A request
  without ``Content-Type`` is treated as ``application/json``, as API Gateway does
  (docs: integration-passthrough-behaviors). Matching is case-insensitive; parameters
  (``charset``) are allowed.
- A body over routes.json ``max_body_bytes`` is 413 before anything else reads it.
- ``$context.requestOverride`` is available to templates but has nothing to override on an AWS
  integration called through boto3; ``$context.responseOverride`` (status, header) is honoured.
- A mapping template that fails at run time is 500 ``Internal server error``, as in AWS, and logged;
  EventBridge unreachable (no HTTP answer) is INTEGRATION_FAILURE, 504.
- ``x-amzn-ErrorType`` is set on the gateway responses whose AWS error type is well known.

Integration credentials: before the integration request, ``assume_integration_role`` says whether
API Gateway may assume the integration's role (the local authorization plane evaluates the role's
trust policy with the context API Gateway sends); if not, the client gets 500 ``Internal server
error`` and the execution log gets AWS's line ("Execution failed due to configuration error: API
Gateway does not have permission to assume the provided role ...").

Authorization (``auth``): "iam", the default, does not check SigV4 locally (there are no local IAM
principals) and leaves ``$context.authorizer`` out, as for an IAM-authorized method. "cognito"
plays the COGNITO_USER_POOLS authorizer Terraform attaches to every method: after routing and the
size check, the ``Authorization`` header (a raw ID token, or ``Bearer <token>``) must verify against
``user_pool`` (see :mod:`cartlocal.apigateway.tokens`), else 401 ``Unauthorized``; its claims become
``$context.authorizer.claims`` (strings, as API Gateway passes them), from which the request
template takes ``user`` and ``email``. The models are then :func:`identity_model` of the contract
schemas, the same derivation the contract module applies in Terraform.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from cartflow import contract
from cartlocal.apigateway.templatefile import render_templatefile
from cartlocal.apigateway.tokens import InvalidToken, LocalUserPool
from cartlocal.apigateway.validation import BodyValidator
from cartlocal.apigateway.vtl import ApiInput, MappingTemplate, VtlError, VtlMap, java_string

LOG = logging.getLogger(__name__)
JSON = "application/json"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Body fields a Cognito token supplies (claims sub and email): never required from the client then.
IDENTITY_FIELDS = ("user", "email")
# Longest name first, so $context.error.messageString is not read as $context.error.message.
_ERROR_VARIABLE = re.compile(r"\$context\.error\.(messageString|validationErrorString|message)")
# $context.error.message(String) of BAD_REQUEST_BODY, whatever the validator found.
BAD_REQUEST_BODY_MESSAGE = "Invalid request body"
# API Gateway's default gateway response template.
DEFAULT_GATEWAY_RESPONSE = '{"message":$context.error.messageString}'

_ERROR_TYPES = {
    400: "BadRequestException",
    401: "UnauthorizedException",
    403: "MissingAuthenticationTokenException",
    415: "UnsupportedMediaTypeException",
    500: "InternalServerErrorException",
}


@dataclass(frozen=True)
class ApiResponse:
    """What the client receives; what API Gateway's execution log would add, and the local stack's
    own explanation for a developer (both shown on the timeline, never sent)."""

    status: int
    headers: dict[str, str]
    body: bytes
    execution_log: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class _Route:
    path: str
    method: str
    validator: BodyValidator
    request_template: MappingTemplate


def identity_model(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without :data:`IDENTITY_FIELDS` in ``required``: the model of a Cognito-authorized route.

    The fields stay declared (a body may still carry them; the template ignores them) so the one
    schema file remains the only description of the body. Draft 4 forbids an empty ``required``,
    so the keyword is dropped when nothing is left; the contract module derives the same in HCL.
    """
    required = [name for name in schema.get("required", []) if name not in IDENTITY_FIELDS]
    relaxed = {key: value for key, value in schema.items() if key != "required"}
    return relaxed | ({"required": required} if required else {})


def clf_time(moment: datetime) -> str:
    """``$context.requestTime``: CLF format, ``dd/MMM/yyyy:HH:mm:ss +0000`` (always UTC here).

    Month names are English whatever the process locale (``%b`` would follow it).
    """
    utc = moment.astimezone(UTC)
    return f"{utc:%d}/{_MONTHS[utc.month - 1]}/{utc:%Y:%H:%M:%S} +0000"


class LocalRestApi:
    """The cartflow REST API on top of an EventBridge client (moto locally).

    ``clock`` and ``request_ids`` exist so tests can render deterministically; by default they are
    the wall clock and random UUIDs, like ``$context.requestTime`` and ``$context.requestId``.
    """

    def __init__(
        self,
        events_client: Any,
        bus_arn: str,
        region: str,
        account_id: str,
        *,
        stage: str = "local",
        api_id: str = "cartflowlocal",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        request_ids: Callable[[], str] = lambda: str(uuid.uuid4()),
        auth: Literal["iam", "cognito"] = "iam",
        user_pool: LocalUserPool | None = None,
        assume_integration_role: Callable[[], str | None] = lambda: None,
        execution_log: Callable[[str], None] = LOG.error,
    ) -> None:
        if (auth == "cognito") != (user_pool is not None):
            raise ValueError('a user pool is needed exactly when auth is "cognito"')
        self._user_pool = user_pool
        self._events = events_client
        self._stage, self._account_id, self._api_id, self._region = stage, account_id, api_id, region
        self._clock, self._request_ids = clock, request_ids
        self._assume_integration_role, self._execution_log = assume_integration_role, execution_log
        spec = contract.load("api/routes.json")
        templates = spec["templates"]
        self.max_body_bytes: int = spec["max_body_bytes"]
        self._bad_request_template = contract.text(templates["bad_request_body"])
        self._response = MappingTemplate(contract.text(templates["response"]), templates["response"])
        self._failure = MappingTemplate(contract.text(templates["failure"]), templates["failure"])
        request_text = contract.text(templates["request"])
        self._routes = {
            (route["path"], route["method"]): _Route(
                path=route["path"],
                method=route["method"],
                validator=BodyValidator(
                    identity_model(contract.load(route["schema"])) if user_pool else contract.load(route["schema"])
                ),
                # Terraform's pass happens once, at deploy time: a bad template fails here, loudly.
                request_template=MappingTemplate(
                    render_templatefile(
                        request_text,
                        {"event_bus_name": bus_arn, "source": route["source"], "detail_type": route["detail_type"]},
                        templates["request"],
                    ),
                    templates["request"],
                ),
            )
            for route in contract.routes()
        }

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, source_ip: str = "127.0.0.1"
    ) -> ApiResponse:
        """Answer one request as the deployed stage would; ``source_ip`` is the client's address."""
        request_id = self._request_ids()
        resource, _, query = path.partition("?")
        if len(resource) > 1:
            resource = resource.removesuffix("/")
        lowered = {name.lower(): value for name, value in headers.items()}
        route = self._routes.get((resource, method))
        if route is None:
            return self._gateway_error(request_id, 403, "Missing Authentication Token")
        refusal, claims = self._admit(request_id, lowered, body)
        if refusal is not None:
            return refusal
        media_type = lowered.get("content-type", JSON).split(";", 1)[0].strip().lower()
        if media_type != JSON:
            return self._gateway_error(request_id, 415, "Unsupported Media Type")
        if validation_error := route.validator.validation_error_string(body):
            rejected = self._bad_request_body(request_id, validation_error)
            return replace(rejected, reasons=tuple(route.validator.violations(body)))
        context = self._context(request_id, route, lowered, source_ip)
        if claims is not None:
            context["authorizer"] = {"claims": VtlMap({name: java_string(value) for name, value in claims.items()})}
        params = {"path": {}, "querystring": dict(parse_qsl(query)), "header": dict(headers)}
        try:
            rendered = route.request_template.render(context, ApiInput(body.decode("utf-8"), params))
        except VtlError:
            LOG.exception("integration request template failed")
            return self._gateway_error(request_id, 500, "Internal server error")
        return self._integrate(request_id, context, params, rendered)

    def _admit(
        self, request_id: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[ApiResponse | None, dict[str, Any] | None]:
        """The front door, before the method runs: the size limit, then the authorizer (claims or 401)."""
        if len(body) > self.max_body_bytes:
            message = f"Request body is {len(body)} bytes; the limit is {self.max_body_bytes}"
            return self._gateway_error(request_id, 413, message), None
        if self._user_pool is None:
            return None, None
        try:
            return None, self._user_pool.verify(bearer(headers.get("authorization", "")), self._clock())
        except InvalidToken as error:
            LOG.info("request %s unauthorized: %s", request_id, error)
            return self._gateway_error(request_id, 401, "Unauthorized"), None

    def _context(self, request_id: str, route: _Route, headers: Mapping[str, str], source_ip: str) -> dict[str, Any]:
        moment = self._clock()
        return {
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": clf_time(moment),
            "requestTimeEpoch": int(moment.timestamp() * 1000),
            "httpMethod": route.method,
            "resourcePath": route.path,
            "path": f"/{self._stage}{route.path}",
            "stage": self._stage,
            "accountId": self._account_id,
            "apiId": self._api_id,
            "domainName": f"{self._api_id}.execute-api.{self._region}.amazonaws.com",
            "protocol": "HTTP/1.1",
            "identity": {
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestOverride": {"header": {}, "path": {}, "querystring": {}},
            "responseOverride": {"header": {}, "status": None},
        }

    def _integrate(
        self, request_id: str, context: dict[str, Any], params: dict[str, Any], rendered: str
    ) -> ApiResponse:
        """Send the rendered PutEvents request and map EventBridge's answer to the method response."""
        # The integration's credentials role is assumed first; if that fails the client sees only
        # API Gateway's 500, and the reason is in the execution log.
        if (refusal := self._assume_integration_role()) is not None:
            self._execution_log(f"({request_id}) {refusal}")
            return self._gateway_error(request_id, 500, "Internal server error")
        try:
            request = json.loads(rendered)
            if not isinstance(request, dict):
                raise TypeError(f"PutEvents request must be a JSON object, got {type(request).__name__}")
            result = self._events.put_events(**request)
        except (json.JSONDecodeError, TypeError, ParamValidationError) as error:
            # EventBridge answers 400 (SerializationException/ValidationException): a 4xx, so failure.vtl.
            LOG.error("PutEvents request rejected: %s", error)
            payload, template, status = {"__type": "ValidationException", "message": str(error)}, self._failure, 500
        except BotoCoreError as error:
            # No HTTP answer from EventBridge at all (connection refused, timeout): INTEGRATION_FAILURE.
            LOG.error("PutEvents unreachable: %s", error)
            return self._gateway_error(request_id, 504, "Internal server error")
        except ClientError as error:
            LOG.error("PutEvents failed: %s", error)
            payload = {"__type": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}
            template, status = self._failure, 500
        else:
            payload = {key: value for key, value in result.items() if key != "ResponseMetadata"}
            template, status = self._response, 200
        try:
            body = template.render(context, ApiInput(json.dumps(payload), params))
        except VtlError:
            LOG.exception("integration response template failed")
            return self._gateway_error(request_id, 500, "Internal server error")
        override = context["responseOverride"]
        headers = {"Content-Type": JSON, "x-amzn-RequestId": request_id, **override["header"]}
        return ApiResponse(int(override["status"] or status), headers, body.encode("utf-8"))

    def _bad_request_body(self, request_id: str, validation_error: str) -> ApiResponse:
        # What AWS puts in the variables: its fixed message, and the validator's report, which
        # its execution log also shows (so the local timeline shows it too).
        body = render_gateway_response(
            self._bad_request_template, message=BAD_REQUEST_BODY_MESSAGE, validation_error=validation_error
        )
        response = self._answer(request_id, 400, body)
        log = f"Request body does not match model schema for content type {JSON}: {validation_error}"
        return ApiResponse(response.status, response.headers, response.body, (log,))

    def _gateway_error(self, request_id: str, status: int, message: str) -> ApiResponse:
        return self._answer(request_id, status, render_gateway_response(DEFAULT_GATEWAY_RESPONSE, message=message))

    @staticmethod
    def _answer(request_id: str, status: int, body: str) -> ApiResponse:
        headers = {"Content-Type": JSON, "x-amzn-RequestId": request_id}
        if status in _ERROR_TYPES:
            headers["x-amzn-ErrorType"] = _ERROR_TYPES[status]
        return ApiResponse(status, headers, body.encode("utf-8"))


def render_gateway_response(template: str, *, message: str, validation_error: str = "") -> str:
    """A gateway response body: ``$context.error`` variables substituted as they are, as AWS does.

    Gateway response templates are not VTL and escape nothing, so only ``messageString`` (the
    message already in JSON quotes) is safe as a JSON value; ``message`` and
    ``validationErrorString`` go in raw, quotes included.
    """
    values = {
        "messageString": json.dumps(message),
        "message": message,
        "validationErrorString": validation_error,
    }
    return _ERROR_VARIABLE.sub(lambda match: values[match.group(1)], template)


def bearer(header: str) -> str:
    """The token of an ``Authorization`` header: API Gateway takes it raw or after ``Bearer ``."""
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else header.strip()
