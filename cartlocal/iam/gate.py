"""The authorization gate in front of moto: a WSGI middleware in the moto server's process.

Every request signed with a principal's credentials (the access key id names the role session,
see :func:`cartlocal.iam.plane.access_key_id`) is authorized by the :class:`Plane` before moto sees
it; a refused one never reaches moto and is answered as the service would answer it. Requests
signed with the operator's credentials (the local stack provisioning, as Terraform would, and
playing AWS's own internals: the Lambda async queue, Scheduler's bookkeeping, the outbox) pass
untouched; any other key is an invalid token. A presigned request (query authentication,
``X-Amz-Credential``) is attributed to its key like a signed one. STS's AssumeRoleWithWebIdentity
is unsigned on AWS too: with ``web_identity`` it reaches moto only if the role's trust policy
takes the token. Any other unsigned request is refused as AWS refuses it, moto's own control API
(``/moto-api/``, no AWS endpoint) included: nothing reaches a service unattributed. Running
inside moto's process costs no extra hop and no extra GIL for the local stack (an HTTP proxy would
add both to every call).

Each refusal is printed as one ``denied <json>`` line on stdout, which the parent relays to the
timeline (cartlocal.local_aws.endpoint).
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

from cartlocal.iam.operations import HttpRequest, Unmodelled, describe
from cartlocal.iam.plane import Plane
from cartlocal.iam.refusals import Response, refusal, refused, unverified_recipients

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/[^/]*/([^/]+)/")
# Query authentication: X-Amz-Credential=KEY/DATE/REGION/SERVICE/aws4_request, URL-encoded.
_QUERY_CREDENTIAL = re.compile(r"(?:^|&)X-Amz-Credential=([^&]+)", re.IGNORECASE)
# The operator: the local stack itself (cartlocal.local_aws.endpoint.CREDENTIALS).
OPERATOR_KEY = "testing"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_REASONS = {400: "Bad Request", 403: "Forbidden"}


class Gate:
    """Wraps moto's WSGI application with the authorization ``plane``."""

    def __init__(
        self,
        app: WsgiApp,
        plane: Plane,
        report: Callable[[dict[str, str]], None],
        verified: Callable[[str], bool] = lambda address: True,
        *,
        operator: str = OPERATOR_KEY,
        web_identity: Callable[[str, str], bool] | None = None,
    ) -> None:
        # ``verified``: is an address (or its domain) a verified SES identity? (the SES sandbox)
        # ``operator``: the access key that provisions, unchecked. ``web_identity``: does the trust
        # policy of a role take a web identity token? (STS's AssumeRoleWithWebIdentity is unsigned)
        self._app, self._plane, self._report, self._verified = app, plane, report, verified
        self._operator, self._web_identity = operator, web_identity

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        signed = _signer(environ)
        if signed is None:
            if self._web_identity is not None and (assumed := _web_identity_request(environ)) is not None:
                if self._web_identity(*assumed):
                    return self._app(environ, start_response)
                return _answer(start_response, refused("sts", WEB_IDENTITY_DENIED))
            self._report({"principal": "", "action": "", "resource": "", "message": UNSIGNED})
            return _answer(start_response, missing_authentication())
        if signed[0] == self._operator:
            return self._app(environ, start_response)
        return self._authorize(*signed, environ, start_response)

    def _authorize(
        self, key: str, service: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        principal = self._plane.principal(key)
        if principal is None:
            message = "The security token included in the request is invalid."
            return _answer(start_response, refused(service, message))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {
            name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")
        }
        try:
            http = HttpRequest(
                service,
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""),
                headers,
                body,
            )
            call = describe(http, self._plane.where)
        except Unmodelled as error:
            message = f"User: {principal.arn} is not authorized: {error} (cartlocal fails closed)"
            self._report({"principal": principal.arn, "action": service, "resource": "", "message": message})
            return _answer(start_response, refused(service, message))
        denial = self._plane.check(principal, call)
        if denial is None:
            unverified = [address for address in call.recipients if not self._verified(address)]
            if self._plane.where.ses_sandbox and unverified:
                message = f"SES sandbox: {', '.join(unverified)} not verified"
                self._report(
                    {"principal": principal.arn, "action": "ses:SendEmail", "resource": "", "message": message}
                )
                return _answer(start_response, unverified_recipients(self._plane.where.region, unverified))
            return self._app(environ, start_response)
        self._report(
            {
                "principal": principal.arn,
                "action": denial.request.action,
                "resource": denial.request.resource,
                "via": denial.via or "",
                "message": denial.message,
            }
        )
        return _answer(start_response, refusal(service, denial))


UNSIGNED = "Request is missing Authentication Token"
# STS's answer when the role's trust policy does not take the token (AccessDenied).
WEB_IDENTITY_DENIED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def _web_identity_request(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(role ARN, token) of an STS AssumeRoleWithWebIdentity request (form-encoded), else None."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    form = parse_qs(body.decode("utf-8", "replace"))
    if form.get("Action") != ["AssumeRoleWithWebIdentity"]:
        return None
    return form.get("RoleArn", [""])[0], form.get("WebIdentityToken", [""])[0]


def _signer(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(access key id, signing service) of a SigV4-signed or presigned request, else None."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found is not None:
        return found.group(1), found.group(2)
    query = _QUERY_CREDENTIAL.search(environ.get("QUERY_STRING", ""))
    if query is not None:
        parts = unquote(query.group(1)).split("/")
        if len(parts) == len(("key", "date", "region", "service", "aws4_request")):
            return parts[0], parts[3]
    return None


def missing_authentication() -> Response:
    """AWS's answer to a request without a signature (HTTP 403, MissingAuthenticationToken)."""
    body = json.dumps({"__type": "MissingAuthenticationTokenException", "message": UNSIGNED}).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-ErrorType", "MissingAuthenticationTokenException"),
    ]
    return 403, headers, body


def _answer(start_response: StartResponse, response: Response) -> Iterable[bytes]:
    status, headers, body = response
    start_response(f"{status} {_REASONS.get(status, '')}", [*headers, ("Content-Length", str(len(body)))])
    return [body]


def stdout_reporter() -> Callable[[dict[str, str]], None]:
    """Report denials as ``denied <json>`` lines on stdout, one whole line at a time."""
    lock = threading.Lock()

    def report(denial: dict[str, str]) -> None:
        with lock:
            print(f"denied {json.dumps(denial)}", flush=True)

    return report
