"""A local stand-in for the X-Ray daemon Lambda runs beside a traced function: it keeps the segments.

With Active tracing Lambda points the X-Ray SDK at its daemon (``AWS_XRAY_DAEMON_ADDRESS``) and
the SDK sends each finished subsegment there as one UDP datagram: a JSON header line, then the
segment document. This listener takes those datagrams on 127.0.0.1 and keeps the documents, so the
local stack can show, and tests can check, which AWS calls each invocation made.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

# The daemon's UDP payload limit; the SDK never sends a larger datagram.
MAX_DATAGRAM = 64 * 1024
# How often the receive loop re-checks for shutdown.
POLL_SECONDS = 0.2


class XRayDaemon:
    """Receives trace segment documents on a UDP port of 127.0.0.1."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(POLL_SECONDS)
        self._lock = threading.Lock()
        self._documents: list[dict[str, Any]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="xray-daemon", daemon=True)

    @property
    def address(self) -> str:
        """``host:port``, as ``AWS_XRAY_DAEMON_ADDRESS`` takes it."""
        host, port = self._socket.getsockname()[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _receive(self) -> None:
        while not self._stopping.is_set():
            try:
                datagram = self._socket.recv(MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError:
                return
            _, _, body = datagram.partition(b"\n")
            try:
                document = json.loads(body)
            except ValueError:
                continue  # not a segment: the real daemon drops it too
            if isinstance(document, dict):
                with self._lock:
                    self._documents.append(document)

    @property
    def documents(self) -> list[dict[str, Any]]:
        """Every document received so far, in arrival order."""
        with self._lock:
            return list(self._documents)

    def subsegments(self) -> list[dict[str, Any]]:
        """Every subsegment received, nested ones too, each with the ``parent_id`` it hangs from."""
        return [entry for document in self.documents for entry in _flatten(document, document.get("parent_id"))]


def _flatten(entity: dict[str, Any], parent_id: str | None) -> Iterator[dict[str, Any]]:
    yield {**entity, "parent_id": parent_id}
    for child in entity.get("subsegments", []):
        yield from _flatten(child, entity.get("id"))
