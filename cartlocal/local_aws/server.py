"""moto's server in a process of its own: ``python -m cartlocal.local_aws.server [PORT]``.

cartlocal.local_aws.endpoint starts it so that moto's request handling does not share one GIL with
the local API, the pollers and whoever drives the stack (in one process they all wait for each
other). It prints the port it listens on as its first stdout line, then serves until its stdin
closes: the parent closes it to stop the server, and a parent that dies closes it too, so the
server never outlives the stack.
"""

from __future__ import annotations

import logging
import sys

from moto.server import ThreadedMotoServer


def main(argv: list[str]) -> int:
    port = int(argv[0]) if argv else 0
    # werkzeug logs every request moto serves; the timeline reports what matters instead.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(server.get_host_and_port()[1], flush=True)
    sys.stdin.read()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
