"""The deployed HTTP API (``api = "http"``), executed locally: moto stores its configuration but never runs it.

:class:`LocalHttpApi` answers a request the way the Terraform-declared HTTP API does: each route's
integration is the EventBridge-PutEvents subtype, whose request parameters (EventBusName, Source,
DetailType, Detail) are :func:`request_parameters` of the contract route, the same derivation the
contract module's ``http_routes`` makes in HCL (a contract test compares the two). Nothing is
validated: the body's fields are substituted into the Detail text as they are, and the client
receives PutEvents' own answer. ``occurred_at`` is ``$context.requestTime`` (CLF, whole seconds),
the only request time a mapping has; the event contract accepts that form. docs/aws-fidelity.md
("HTTP API") lists what is verified and what is not:
- No route for the method and path: 404 ``{"message":"Not Found"}``.
- ``auth = "cognito"``: the JWT authorizer; without a valid ID token 401 ``{"message":"Unauthorized"}``;
  the claims become ``$context.authorizer.claims``. "iam" does not check SigV4 locally, as the REST
  emulation does not.
- A mapping of a body field the body lacks (or of a body that is not a JSON object) is empty text.
- PutEvents answered: its HTTP status and its JSON body (``Entries``, ``FailedEntryCount``), even
  when the entry failed; EventBridge unreachable: 500 ``{"message":"Internal Server Error"}``.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from cartflow import contract
from cartlocal.apigateway.rest_api import IDENTITY_FIELDS, ApiResponse, bearer, clf_time
from cartlocal.apigateway.tokens import InvalidToken, LocalUserPool

LOG = logging.getLogger(__name__)
JSON = "application/json"
# The claim each identity field comes from with auth = "cognito" (the REST template's choice too).
CLAIM_NAMES = {"user": "sub", "email": "email"}
_MAPPING = re.compile(r"\$\{(request\.body|context)\.([A-Za-z0-9_.]+)\}")


def request_parameters(route: Mapping[str, Any], event_bus: str, *, cognito: bool) -> dict[str, str]:
    """The EventBridge-PutEvents request parameters of ``route``: contract module ``http_routes``.

    Detail is JSON text with one mapping per schema property in name order (a string property in
    quotes, any other bare); with ``cognito`` the identity fields come from the token's claims,
    after every body field: a body value is substituted unescaped, so it can add a key, and a JSON
    object's last duplicate key is the one a parser keeps. Then the request id and the request
    time, as the REST template adds them.
    """
    fields, claims = [], []
    # In name order: the order Terraform iterates the properties in.
    for name, spec in sorted(contract.load(route["schema"])["properties"].items()):
        if cognito and name in IDENTITY_FIELDS:
            claims.append(f'"{name}":"${{context.authorizer.claims.{CLAIM_NAMES[name]}}}"')
        elif spec["type"] == "string":
            fields.append(f'"{name}":"${{request.body.{name}}}"')
        else:
            fields.append(f'"{name}":${{request.body.{name}}}')
    fields += [*claims, '"request_id":"${context.requestId}"', '"occurred_at":"${context.requestTime}"']
    return {
        "EventBusName": event_bus,
        "Source": route["source"],
        "DetailType": route["detail_type"],
        "Detail": "{" + ",".join(fields) + "}",
    }


def substitute(value: str, body: Any, context: Mapping[str, Any]) -> str:
    """``value`` with every ``${request.body.x}`` and ``${context.x.y}`` replaced by its text, unescaped."""

    def lookup(match: re.Match[str]) -> str:
        found: Any = body if match.group(1) == "request.body" else context
        for key in match.group(2).split("."):
            found = found.get(key) if isinstance(found, Mapping) else None
        if found is None:
            return ""
        return found if isinstance(found, str) else json.dumps(found)

    return _MAPPING.sub(lookup, value)


class LocalHttpApi:
    """The cartflow HTTP API on top of an EventBridge client (moto locally)."""

    def __init__(
        self,
        events_client: Any,
        bus_arn: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        request_ids: Callable[[], str] = lambda: str(uuid.uuid4()),
        auth: Literal["iam", "cognito"] = "iam",
        user_pool: LocalUserPool | None = None,
        assume_integration_role: Callable[[], str | None] = lambda: None,
        execution_log: Callable[[str], None] = LOG.error,
    ) -> None:
        if (auth == "cognito") != (user_pool is not None):
            raise ValueError('a user pool is needed exactly when auth is "cognito"')
        self._events, self._user_pool = events_client, user_pool
        # As for the REST API: the integration's credentials role is assumed before each call; a
        # refusal is logged and the client gets the stage's generic 500 (docs/aws-fidelity.md).
        self._assume_integration_role, self._execution_log = assume_integration_role, execution_log
        self._clock, self._request_ids = clock, request_ids
        # Terraform passes the bus name (contract names.event_bus); the ARN's last part is that name.
        bus_name = bus_arn.rsplit("/", 1)[-1]
        self._routes = {
            (route["path"], route["method"]): request_parameters(route, bus_name, cognito=user_pool is not None)
            for route in contract.routes()
        }

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, source_ip: str = "127.0.0.1"
    ) -> ApiResponse:
        """Answer one request as the deployed $default stage would; ``source_ip`` is the client's address."""
        request_id = self._request_ids()
        resource = path.partition("?")[0]
        parameters = self._routes.get((resource, method))
        if parameters is None:
            return _answer(request_id, 404, {"message": "Not Found"})
        context: dict[str, Any] = {"requestId": request_id, "requestTime": clf_time(self._clock())}
        context["identity"] = {"sourceIp": source_ip}
        if self._user_pool is not None:
            lowered = {name.lower(): value for name, value in headers.items()}
            try:
                claims = self._user_pool.verify(bearer(lowered.get("authorization", "")), self._clock())
            except InvalidToken as error:
                LOG.info("request %s unauthorized: %s", request_id, error)
                return _answer(request_id, 401, {"message": "Unauthorized"})
            context["authorizer"] = {"claims": {name: str(value) for name, value in claims.items()}}
        entry = {name: substitute(value, _json_object(body), context) for name, value in parameters.items()}
        if (refusal := self._assume_integration_role()) is not None:
            self._execution_log(f"({request_id}) {refusal}")
            return _answer(request_id, 500, {"message": "Internal Server Error"})
        return self._put(request_id, entry)

    def _put(self, request_id: str, entry: dict[str, str]) -> ApiResponse:
        try:
            result = self._events.put_events(Entries=[entry])
        except ParamValidationError as error:
            LOG.error("PutEvents request rejected: %s", error)
            return _answer(request_id, 400, {"__type": "ValidationException", "message": str(error)})
        except BotoCoreError as error:
            LOG.error("PutEvents unreachable: %s", error)
            return _answer(request_id, 500, {"message": "Internal Server Error"})
        except ClientError as error:
            LOG.error("PutEvents failed: %s", error)
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
            details = error.response["Error"]
            return _answer(request_id, status, {"__type": details["Code"], "message": details["Message"]})
        return _answer(request_id, 200, {key: value for key, value in result.items() if key != "ResponseMetadata"})


def _json_object(body: bytes) -> Any:
    """The body as JSON when it parses to an object; otherwise nothing maps from it."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return document if isinstance(document, dict) else None


def _answer(request_id: str, status: int, payload: Any) -> ApiResponse:
    headers = {"Content-Type": JSON, "apigw-requestid": request_id}
    return ApiResponse(status, headers, json.dumps(payload).encode("utf-8"))
