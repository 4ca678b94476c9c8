"""moto in server mode on 127.0.0.1, and boto3 clients that talk to it.

Handlers reach it through ``AWS_ENDPOINT_URL`` like any boto3 client would reach AWS; the local
runtime's own pollers use the same endpoint with the same fake credentials.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from cartlocal.errors import LocalError
from cartlocal.provision import REGION

# Fake credentials: moto accepts any; they only have to look like keys.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}  # nosec B105


def ensure_free(port: int, what: str) -> None:
    """Fail with one line when ``port`` is taken (ThreadedMotoServer would wait forever)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise LocalError(f"port {port} on 127.0.0.1 is in use ({what}); choose another one") from None
            raise


class MotoEndpoint:
    """A running moto server and a factory of clients bound to it."""

    def __init__(self, port: int = 0) -> None:
        ensure_free(port, "moto server")
        # werkzeug logs every request moto serves; the timeline reports what matters instead.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        host, bound = self._server.get_host_and_port()
        self.url = f"http://{host}:{bound}"
        self._session = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=REGION,
        )

    def client(self, service: str) -> Any:
        return self._session.client(service, endpoint_url=self.url)  # type: ignore[call-overload]

    def environment(self) -> dict[str, str]:
        """What a process needs so boto3 reaches this server: endpoint, region, fake credentials."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.url, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}

    def stop(self) -> None:
        self._server.stop()
