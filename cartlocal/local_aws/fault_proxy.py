"""A fault-injecting HTTP proxy in front of moto, for one AWS service of the functions.

moto cannot be told to throttle, fail or stall, and the functions run in their own processes, so
faults cannot be injected inside boto3 there. Instead a function's worker gets a per-service
endpoint (``AWS_ENDPOINT_URL_SESV2=<proxy>``, see ``Options.extra_environment``) and this proxy
forwards each request to moto unless a :class:`Fault` matches it. An injected error has the shape
AWS gives it: restJson services (SES v2, Scheduler) name it in the ``x-amzn-ErrorType`` header,
awsJson ones (EventBridge) in the body's ``__type``, so botocore parses it into the modelled
exception (``TooManyRequestsException``, ``MessageRejected``) and its own retry rules apply exactly
as against AWS. A :class:`Quota` enforces one operation's request rate the same way, as AWS's
quotas do (SES's sending rate, Scheduler's CreateSchedule rate). The upstream may be set after the
proxy starts, because the proxy's address has to be known before the local stack (and moto) start.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.model import ServiceModel

from cartlocal.local_http import LocalHandler

# Hop-by-hop headers are the proxy's own business (RFC 9110 section 7.6.1).
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
UPSTREAM_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Fault:
    """What to do with a request whose body contains ``match`` (every request when empty).

    ``delay_seconds`` stalls the request first (longer than a function's timeout: a timeout).
    Then, with a ``status``, the proxy answers that AWS error and the request never reaches moto;
    without one it is forwarded (slow but successful).
    """

    match: bytes = b""
    status: int = 0
    code: str = ""
    delay_seconds: float = 0.0
    # awsJson services read the error's code from the body's __type, not from a header.
    aws_json: bool = False

    def applies(self, body: bytes) -> bool:
        return self.match in body


def throttled(match: bytes = b"") -> Fault:
    """What SES answers over its sending rate (sesv2: HTTP 429 TooManyRequestsException)."""
    return replace(throttling("sesv2"), match=match)


def rejected(match: bytes = b"") -> Fault:
    """SES refusing a message for good (sesv2: HTTP 400 MessageRejected)."""
    return Fault(match, 400, "MessageRejected")


def server_error(match: bytes = b"") -> Fault:
    """An AWS-side failure (HTTP 500 InternalFailure): transient, so the caller tries again."""
    return Fault(match, 500, "InternalFailure")


def stalled(seconds: float, match: bytes = b"") -> Fault:
    """A request that hangs ``seconds`` and then fails with a 500, never reaching moto."""
    return Fault(match, 500, "InternalFailure", seconds)


@dataclass(frozen=True)
class Operation:
    """One API operation as its requests show it: awsJson by ``X-Amz-Target``, restJson by method and path."""

    name: str
    method: str
    path: re.Pattern[str]
    target: str | None = None

    def covers(self, method: str, path: str, headers: dict[str, str]) -> bool:
        if self.target is not None:
            return any(k.lower() == "x-amz-target" and v == self.target for k, v in headers.items())
        return method == self.method and self.path.fullmatch(urlsplit(path).path) is not None


@functools.cache
def _model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation(service: str, name: str) -> Operation:
    """How botocore's model of ``service`` sends ``name`` (``/schedules/{Name}``: any one path segment)."""
    model = _model(service)
    http = model.operation_model(name).http
    if model.protocol == "json":
        target = f"{model.metadata['targetPrefix']}.{name}"
        return Operation(name, http["method"], re.compile(re.escape(http["requestUri"])), target)
    template = re.escape(http["requestUri"].split("?", 1)[0])
    return Operation(name, http["method"], re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", template)))


# What each service answers above a request rate: the error its botocore model names for it.
THROTTLING = {"sesv2": "TooManyRequestsException", "scheduler": "ThrottlingException", "events": "ThrottlingException"}


def throttling(service: str) -> Fault:
    """``service``'s throttling error with the HTTP status its model gives it (awsJson's default is 400)."""
    model = _model(service)
    code = THROTTLING[service]
    status = int(model.shape_for(code).metadata.get("error", {}).get("httpStatusCode", 400))
    return Fault(status=status, code=code, aws_json=model.protocol == "json")


class Quota:
    """The request rate of one operation, answered with its service's throttling error above it.

    A token bucket holding one second's worth of requests (at least one, so a rate below one per
    second still lets a request through now and then), refilled at ``rate`` per second: a burst of
    ``rate`` requests passes, then one per ``1 / rate`` seconds. How AWS meters a rate within a
    second is not documented; this is the usual model of such a quota. One bucket per quota,
    whichever function calls: AWS's request-rate quotas are per account and region.
    """

    def __init__(
        self, operation: Operation, rate: float, answer: Fault, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.operation, self.rate, self.answer = operation, rate, answer
        self._clock = clock
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._at = clock()
        self._lock = threading.Lock()
        # Requests of the operation seen, and how many of them were throttled.
        self.requests = 0
        self.throttled = 0

    def admits(self) -> bool:
        """Whether one more request is within the quota now (spending one of its requests)."""
        with self._lock:
            self.requests += 1
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                self.throttled += 1
                return False
            self._tokens -= 1
            return True


def throttle(service: str, name: str, rate: float, clock: Callable[[], float] = time.monotonic) -> Quota:
    """Operation ``name`` of ``service`` held to ``rate`` requests per second, as that service throttles."""
    return Quota(operation(service, name), rate, throttling(service), clock)


def ses_send_rate(rate: float, clock: Callable[[], float] = time.monotonic) -> Quota:
    """SES's maximum send rate: above it SendEmail answers 429 TooManyRequestsException (sesv2)."""
    return throttle("sesv2", "SendEmail", rate, clock)


class FaultProxy:
    """Forwards HTTP requests to ``upstream`` on 127.0.0.1, injecting the current faults."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream
        self._faults: tuple[Fault, ...] = ()
        self._quotas: tuple[Quota, ...] = ()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.forwarded = 0
        self.injected: Counter[str] = Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled requests
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def inject(self, *faults: Fault) -> None:
        """Replace the active faults (the first that applies to a request wins); none: pass through."""
        with self._lock:
            self._faults = faults

    def limit(self, *quotas: Quota | None) -> None:
        """Enforce ``quotas``, each on the requests it covers and before any fault, replacing those before.

        ``limit()`` and ``limit(None)`` lift every quota.
        """
        with self._lock:
            self._quotas = tuple(quota for quota in quotas if quota is not None)

    def _fault_for(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Fault | None:
        with self._lock:
            quotas = self._quotas
            fault = next((fault for fault in self._faults if fault.applies(body)), None)
        for quota in quotas:
            if quota.operation.covers(method, path, headers) and not quota.admits():
                return quota.answer
        return fault

    def _count(self, fault: Fault | None) -> None:
        with self._lock:
            if fault is None or not fault.status:
                self.forwarded += 1
            else:
                self.injected[fault.code] += 1

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], bytes]:
        """Status, headers and body for one request."""
        fault = self._fault_for(method, path, headers, body)
        self._count(fault)
        if fault is not None and fault.delay_seconds:
            self._stopping.wait(fault.delay_seconds)
        if fault is not None and fault.status:
            return fault.status, *_error(fault)
        return self._forward(method, path, headers, body)

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], bytes]:
        if self.upstream is None:
            raise RuntimeError("FaultProxy: no upstream set")
        target = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(target.netloc, timeout=UPSTREAM_TIMEOUT_SECONDS)
        try:
            kept = {name: value for name, value in headers.items() if name.lower() not in _HOP_BY_HOP}
            connection.request(method, path, body=body, headers=kept)
            response = connection.getresponse()
            payload = response.read()
            relayed = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}]
            return response.status, relayed, payload
        finally:
            connection.close()


def _error(fault: Fault) -> tuple[list[Any], bytes]:
    """The headers and body of ``fault``'s error as its service's protocol shapes it."""
    message = f"injected {fault.code}"
    if fault.aws_json:
        body = {"__type": fault.code, "message": message}
        return [("Content-Type", "application/x-amz-json-1.1")], json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", fault.code)]
    return headers, json.dumps({"message": message}).encode()


def _handler(proxy: FaultProxy) -> type[LocalHandler]:
    class Handler(LocalHandler):
        def _serve(self) -> None:
            status, headers, payload = proxy.answer(
                self.command, self.path, dict(self.headers.items()), self.read_body()
            )
            # The caller may have given up (its function was killed at its timeout): nothing to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.reply(status, headers, payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    return Handler
