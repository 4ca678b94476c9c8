"""The local API endpoint: an HTTP server on 127.0.0.1 that hands every request to the local API.

It only moves bytes: routing, validation, mapping and PutEvents are LocalRestApi's or
LocalHttpApi's (the same contract files Terraform deploys), so this server cannot drift from the
real API.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import ThreadingHTTPServer
from typing import Protocol

from cartlocal.apigateway.rest_api import ApiResponse
from cartlocal.local_http import LocalHandler
from cartlocal.ports import API, ensure_free
from cartlocal.timeline import Timeline

INTERNAL_ERROR = b'{"message": "Internal server error"}'


class LocalApi(Protocol):
    """What both local APIs (REST and HTTP) offer the server."""

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, *, source_ip: str = ...
    ) -> ApiResponse: ...


class HttpApi:
    """Serves ``api`` at http://127.0.0.1:<port>/ (port 0 picks a free one)."""

    def __init__(self, api: LocalApi, port: int, timeline: Timeline) -> None:
        ensure_free(port, API)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(api, timeline))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-api", daemon=True)
        host, bound = self._server.server_address[:2]
        self.url = f"http://{host!s}:{bound}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(api: LocalApi, timeline: Timeline) -> type[LocalHandler]:
    class Handler(LocalHandler):
        def _serve(self) -> None:
            try:
                response = api.handle(self.command, self.path, dict(self.headers.items()), self.read_body())
            except Exception as error:  # what API Gateway answers when its integration breaks
                timeline.log("api", f"{self.command} {self.path} failed: {type(error).__name__}: {error}")
                response = ApiResponse(500, {"Content-Type": "application/json"}, INTERNAL_ERROR)
            answer = " ".join(response.body.decode("utf-8", "replace").split())
            request_id = response.headers.get("x-amzn-RequestId", "")
            timeline.log("api", f"{self.command} {self.path} → {response.status} {answer[:160]}", [request_id])
            for line in response.execution_log:
                timeline.log("api", line, [request_id])
            if response.reasons:
                timeline.log("api", f"local: {'; '.join(response.reasons)}", [request_id])
            self.reply(response.status, response.headers.items(), response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return Handler
