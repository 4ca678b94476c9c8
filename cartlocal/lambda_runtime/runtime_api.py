"""The Lambda Runtime API of one function, served to the real runtime interface client.

awslambdaric polls ``GET /2018-06-01/runtime/invocation/next`` and posts the handler's result
or error back, exactly as it does inside Lambda (public spec: "AWS Lambda runtime API"). This
server hands out one invocation at a time and records every event it hands out, so tests can
check that functions receive what AWS would send.
"""

from __future__ import annotations

import json
import queue
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any

from cartlocal.local_http import LocalHandler

PREFIX = "/2018-06-01/runtime"
# How often a waiting ``next`` request re-checks for shutdown; it never waits unboundedly.
POLL_SECONDS = 0.2


def trace_header() -> str:
    """An X-Ray trace header as Lambda passes it under Active tracing: a new trace, sampled.

    Parent is the id of the function's segment, which Lambda itself records; the SDK in the
    function hangs its subsegments from it.
    """
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=1"


@dataclass
class Invocation:
    """One event on its way to the function and, once it answered, its outcome."""

    request_id: str
    event: bytes
    timeout_seconds: int
    function_arn: str
    answered: threading.Event = field(default_factory=threading.Event)
    payload: bytes = b""
    error_type: str | None = None
    started: float | None = None
    deadline_ms: int = 0
    trace_header: str = field(default_factory=trace_header)

    def answer(self, payload: bytes, error_type: str | None) -> None:
        self.payload, self.error_type = payload, error_type
        self.answered.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A worker killed on timeout or shutdown drops its connection; that is expected."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RuntimeApi:
    """A Runtime API endpoint on 127.0.0.1 for one function's worker process."""

    def __init__(self, handed_out: list[bytes] | None = None) -> None:
        self._pending: queue.Queue[Invocation] = queue.Queue()
        self._active: dict[str, Invocation] = {}
        self._stopping = threading.Event()
        self.init_error: dict[str, Any] | None = None
        # A list of its own, or one shared by the function's environments (cartlocal.lambda_runtime.pool).
        self.handed_out: list[bytes] = [] if handed_out is None else handed_out
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="runtime-api", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def submit(self, invocation: Invocation) -> None:
        self._active[invocation.request_id] = invocation
        self._pending.put(invocation)

    def withdraw(self, invocation: Invocation) -> None:
        """Forget an invocation whose worker was killed, so a late answer is ignored."""
        self._active.pop(invocation.request_id, None)

    def _next(self) -> Invocation | None:
        while not self._stopping.is_set():
            try:
                invocation = self._pending.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if invocation.request_id in self._active:
                # The function's time starts when the runtime takes the event, after its init.
                invocation.started = time.monotonic()
                invocation.deadline_ms = int((time.time() + invocation.timeout_seconds) * 1000)
                self.handed_out.append(invocation.event)
                return invocation
        return None

    def _handler_class(self) -> type[LocalHandler]:
        api = self

        class Handler(LocalHandler):
            def _reply(self, status: HTTPStatus, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.reply(status, {"Content-Type": "application/json", **(headers or {})}.items(), body)

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(HTTPStatus.NOT_FOUND, b'{"errorMessage": "unknown path"}')
                    return
                invocation = api._next()
                if invocation is None:
                    self._reply(HTTPStatus.GONE)
                    return
                self._reply(
                    HTTPStatus.OK,
                    invocation.event,
                    {
                        "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                        "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                        "Lambda-Runtime-Trace-Id": invocation.trace_header,
                    },
                )

            def do_POST(self) -> None:
                body = self.read_body()
                parts = self.path.removeprefix(PREFIX).strip("/").split("/")
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                if parts == ["init", "error"]:
                    api.init_error = _error_body(body, error_type)
                    self._reply(HTTPStatus.ACCEPTED, b'{"status": "OK"}')
                    return
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    invocation = api._active.pop(parts[1], None)
                    if invocation is None:
                        self._reply(HTTPStatus.BAD_REQUEST, b'{"errorMessage": "unknown or expired request id"}')
                        return
                    kind = None if parts[2] == "response" else (error_type or "Unhandled")
                    invocation.answer(body, kind)
                    self._reply(HTTPStatus.ACCEPTED, b'{"status": "OK"}')
                    return
                self._reply(HTTPStatus.NOT_FOUND, b'{"errorMessage": "unknown path"}')

        return Handler


def _error_body(body: bytes, error_type: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    return {"errorType": error_type or "Unknown", "errorMessage": body.decode("utf-8", "replace")}
