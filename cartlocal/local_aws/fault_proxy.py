"""A fault-injecting HTTP proxy in front of moto, for one AWS service of one function.

moto cannot be told to throttle, fail or stall, and the functions run in their own processes, so
faults cannot be injected inside boto3 there. Instead a function's worker gets a per-service
endpoint (``AWS_ENDPOINT_URL_SESV2=<proxy>``, see ``Options.extra_environment``) and this proxy
forwards each request to moto unless a :class:`Fault` matches it. An injected error has the shape
AWS's restJson services answer (status, ``x-amzn-ErrorType``, ``{"message": ...}``), so botocore
parses it into the modelled exception (``TooManyRequestsException``, ``MessageRejected``) and its
own retry rules apply exactly as against AWS. A :class:`Quota` enforces a request rate the same
way, as AWS's quotas do (SES's sending rate). The upstream may be set after the proxy starts,
because the proxy's address has to be known before the local stack (and moto) start.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

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

    def applies(self, body: bytes) -> bool:
        return self.match in body


def throttled(match: bytes = b"") -> Fault:
    """What SES answers over its sending rate (sesv2: HTTP 429 TooManyRequestsException)."""
    return Fault(match, 429, "TooManyRequestsException")


def rejected(match: bytes = b"") -> Fault:
    """SES refusing a message for good (sesv2: HTTP 400 MessageRejected)."""
    return Fault(match, 400, "MessageRejected")


def server_error(match: bytes = b"") -> Fault:
    """An AWS-side failure (HTTP 500 InternalFailure): transient, so the caller tries again."""
    return Fault(match, 500, "InternalFailure")


def stalled(seconds: float, match: bytes = b"") -> Fault:
    """A request that hangs ``seconds`` and then fails with a 500, never reaching moto."""
    return Fault(match, 500, "InternalFailure", seconds)


class Quota:
    """A request rate of the requests whose path starts with ``path``, answered ``code`` above it.

    A token bucket holding one second's worth of requests, refilled at ``rate`` per second: a
    burst of ``rate`` requests passes, then one per ``1 / rate`` seconds. How SES meters its
    sending rate within a second is not documented; this is the usual model of such a quota.
    """

    def __init__(
        self, path: str, rate: float, status: int, code: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path, self.rate, self.status, self.code = path, rate, status, code
        self._clock = clock
        self._tokens = rate
        self._at = clock()
        self._lock = threading.Lock()

    def admits(self, path: str) -> bool:
        """Whether a request to ``path`` is within the quota now (spending one of its requests)."""
        if not path.startswith(self.path):
            return True
        with self._lock:
            now = self._clock()
            self._tokens = min(self.rate, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


# SES v2 SendEmail is POST /v2/email/outbound-emails.
SES_SEND_EMAIL_PATH = "/v2/email/outbound-emails"


def ses_send_rate(rate: float, clock: Callable[[], float] = time.monotonic) -> Quota:
    """SES's maximum send rate: above it SendEmail answers 429 TooManyRequestsException (sesv2)."""
    return Quota(SES_SEND_EMAIL_PATH, rate, 429, "TooManyRequestsException", clock)


class FaultProxy:
    """Forwards HTTP requests to ``upstream`` on 127.0.0.1, injecting the current faults."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream
        self._faults: tuple[Fault, ...] = ()
        self._quota: Quota | None = None
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

    def limit(self, quota: Quota | None) -> None:
        """Enforce ``quota`` on the requests it covers (None: no quota), before any fault."""
        with self._lock:
            self._quota = quota

    def _fault_for(self, path: str, body: bytes) -> Fault | None:
        with self._lock:
            quota = self._quota
            fault = next((fault for fault in self._faults if fault.applies(body)), None)
        if quota is not None and not quota.admits(path):
            return Fault(status=quota.status, code=quota.code)
        return fault

    def _count(self, fault: Fault | None) -> None:
        with self._lock:
            if fault is None or not fault.status:
                self.forwarded += 1
            else:
                self.injected[fault.code] += 1

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], bytes]:
        """Status, headers and body for one request."""
        fault = self._fault_for(path, body)
        self._count(fault)
        if fault is not None and fault.delay_seconds:
            self._stopping.wait(fault.delay_seconds)
        if fault is not None and fault.status:
            payload = json.dumps({"message": f"injected {fault.code}"}).encode()
            error_headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", fault.code)]
            return fault.status, error_headers, payload
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
