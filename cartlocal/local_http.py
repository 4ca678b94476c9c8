"""The request handler every local HTTP endpoint builds on: the REST API, the Runtime API, the fault proxy.

They all answer small requests on keep-alive connections and report what matters on the
timeline themselves, so they share how a request is read and answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from typing import Any


class LocalHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no Nagle delay, no access log."""

    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: a reply goes out as two writes (headers, body); with Nagle the body waits for
    # the client's delayed ACK on every request (docs/benchmarks.md).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # base-class signature
        """Per-request access lines would be noise: each endpoint reports what it did itself."""

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
