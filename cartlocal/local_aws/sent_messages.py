"""The SES messages moto accepted, served from moto's process a slice at a time.

moto's only way to show them over HTTP is ``/moto-api/data.json``, which serialises every object
every backend holds, attribute by attribute, on each request: its cost grows with all the state a
run builds up (items, messages, schedules), and the outbox asked for it after every send. The
outbox needs only the messages it has not seen yet, so moto's server process (cartlocal.local_aws.
server) answers ``GET /_local/ses/sent?from=N`` with the messages from the N-th on, read straight
from moto's SES backend, before any request reaches the authorization gate or moto. No AWS
endpoint has this path.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from moto.ses.models import ses_backends

PATH = "/_local/ses/sent"
# The attributes of moto's Message and RawMessage the outbox writes as .eml (a templated message has no body).
FIELDS = ("id", "source", "destinations", "subject", "body", "raw_data")
TIMEOUT_SECONDS = 30.0

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _slice(account: str, region: str, start: int) -> dict[str, Any]:
    """The messages with a body from the ``start``-th on, and where the next slice starts."""
    sent = list(ses_backends[account][region].sent_messages)
    messages = [
        {field: getattr(message, field) for field in FIELDS if hasattr(message, field)}
        for message in sent[start:]
        if hasattr(message, "body") or hasattr(message, "raw_data")
    ]
    return {"messages": messages, "next": len(sent)}


class SentMessages:
    """Wraps moto's WSGI application, answering :data:`PATH` itself."""

    def __init__(self, app: WsgiApp, account: str, region: str) -> None:
        self._app, self._account, self._region = app, account, region

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return self._app(environ, start_response)
        start = int(parse_qs(environ.get("QUERY_STRING", "")).get("from", ["0"])[0])
        body = json.dumps(_slice(self._account, self._region, start)).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def sent_since(moto_url: str, start: int) -> tuple[list[dict[str, Any]], int]:
    """The messages moto accepted from the ``start``-th on (0: all), in order, and the next start."""
    connection = http.client.HTTPConnection(urlsplit(moto_url).netloc, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("GET", f"{PATH}?from={start}")
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{PATH} answered {response.status}: {payload[:200]!r}")
        answer = json.loads(payload)
        return list(answer["messages"]), int(answer["next"])
    finally:
        connection.close()
