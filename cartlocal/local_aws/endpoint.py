"""moto in server mode on 127.0.0.1, in a process of its own, and boto3 clients that talk to it.

Handlers reach it through ``AWS_ENDPOINT_URL`` like any boto3 client would reach AWS. With an
authorization config the server authorizes each request by the access key id it is signed with
(cartlocal.iam.gate): :meth:`MotoEndpoint.client` signs as the operator (the local stack itself) or
as a role's session, and :meth:`MotoEndpoint.environment` hands a function its role's credentials. The server runs
in a child process (cartlocal.local_aws.server) so that moto's request handling, most of the CPU an
event costs, runs beside the local API and the pollers instead of taking turns with them for one
GIL; everything the local runtime knows about moto's state it learns over HTTP, as a client of
AWS would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from cartlocal.errors import LocalError
from cartlocal.local_aws.provision import REGION
from cartlocal.ports import MOTO, ensure_free

# The folder holding the cartlocal package: the child imports cartlocal.local_aws.server from there,
# whatever the caller's working directory.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# A server that has not exited this long after its stdin closed is killed.
STOP_SECONDS = 10.0

# Fake credentials: moto accepts any; they only have to look like keys.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}  # nosec B105


class MotoEndpoint:
    """A running moto server and a factory of clients bound to it."""

    def __init__(
        self,
        port: int = 0,
        authz_config: Path | None = None,
        on_denial: Callable[[dict[str, str]], None] | None = None,
    ) -> None:
        ensure_free(port, MOTO)
        self._relay: threading.Thread | None = None
        path = os.pathsep.join(filter(None, (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH"))))
        # A session of its own: Ctrl-C reaches only the parent, which then stops the server in order.
        self._process = subprocess.Popen(  # noqa: S603  # fixed argv, no shell
            [
                sys.executable,
                "-m",
                "cartlocal.local_aws.server",
                str(port),
                *([str(authz_config)] if authz_config else []),
            ],
            env=os.environ | {"PYTHONPATH": path},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self._process.stdout is not None
        bound = self._process.stdout.readline().strip()
        if not bound.isdigit():
            self.stop()
            raise LocalError(
                f"the moto server did not start (exit code {self._process.returncode}; its error is above)"
            )
        self.url = f"http://127.0.0.1:{bound}"
        self._sessions: dict[str, boto3.session.Session] = {}
        self._relay = threading.Thread(target=self._relay_denials, args=(on_denial,), name="moto-denials", daemon=True)
        self._relay.start()

    def _relay_denials(self, on_denial: Callable[[dict[str, str]], None] | None) -> None:
        """Hand each ``denied <json>`` line of the server to ``on_denial``."""
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith("denied ") and on_denial is not None:
                on_denial(json.loads(line.removeprefix("denied ")))

    def client(self, service: str, access_key: str = CREDENTIALS["AWS_ACCESS_KEY_ID"]) -> Any:
        """A client signing as the operator, or as the role session ``access_key`` names."""
        if access_key not in self._sessions:
            self._sessions[access_key] = boto3.session.Session(
                aws_access_key_id=access_key,
                aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=CREDENTIALS["AWS_SESSION_TOKEN"],
                region_name=REGION,
            )
        return self._sessions[access_key].client(service, endpoint_url=self.url)  # type: ignore[call-overload]

    def environment(self, access_key: str = CREDENTIALS["AWS_ACCESS_KEY_ID"]) -> dict[str, str]:
        """What a process needs so boto3 reaches this server: endpoint, region, credentials."""
        credentials = {**CREDENTIALS, "AWS_ACCESS_KEY_ID": access_key}
        return {**credentials, "AWS_ENDPOINT_URL": self.url, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}

    def stop(self) -> None:
        """Close the server's stdin, which ends it; kill it if it does not end in time."""
        process = self._process
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._relay is not None:
            self._relay.join(timeout=STOP_SECONDS)
        if process.stdout is not None:
            process.stdout.close()
