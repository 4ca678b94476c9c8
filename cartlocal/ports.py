"""The local stack's ports: stable defaults for `make local`, and one clear line when one is taken.

Bookmarks, curl scripts and SDK configurations outlive a run, so `make local` listens where SAM
(API, 3000) and moto (AWS endpoint, 5000) users expect it, every time. A port already in use is a
problem of the developer's machine: it ends the run before anything starts, naming the make
variable that moves it.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from cartlocal.errors import LocalError


@dataclass(frozen=True)
class Port:
    """One listening socket of the stack: what it serves, its make variable, its default."""

    what: str
    variable: str
    default: int


API = Port("local API", "API_PORT", 3000)
MOTO = Port("AWS endpoint (moto)", "MOTO_PORT", 5000)
CONSOLE = Port("web console", "CONSOLE_PORT", 3030)


def ensure_free(port: int, role: Port) -> None:
    """Fail with one line naming ``role.variable`` when ``port`` is taken (0 means any free port)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # The servers themselves set SO_REUSEADDR, so a port left in TIME_WAIT by the previous
        # run is free for them; the probe must judge it the same way.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise LocalError(
                    f"port {port} on 127.0.0.1 is in use ({role.what}); "
                    f"set {role.variable}=<free port>, e.g. make local {role.variable}={port + 1}"
                ) from None
            raise
