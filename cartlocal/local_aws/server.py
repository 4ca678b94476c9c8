"""moto's server in a process of its own: ``python -m cartlocal.local_aws.server [PORT [AUTHZ_CONFIG]]``.

cartlocal.local_aws.endpoint starts it so that moto's request handling does not share one GIL with
the local API, the pollers and whoever drives the stack (in one process they all wait for each
other). With AUTHZ_CONFIG (cartlocal.iam.local.write_config) every request passes the
authorization gate (cartlocal.iam.gate) before moto sees it. It prints the port it listens on as
its first stdout line, then one line per refused request, and serves until its stdin closes: the
parent closes it to stop the server, and a parent that dies closes it too, so the server never
outlives the stack.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.ses.models import ses_backends
from werkzeug.serving import make_server

from cartlocal.iam import local
from cartlocal.iam.deliveries import authorize_deliveries
from cartlocal.iam.gate import Gate, stdout_reporter
from cartlocal.local_aws import moto_speedups
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from cartlocal.local_aws.sent_messages import SentMessages


def _verified(address: str) -> bool:
    """Is ``address``, or its domain, a verified identity in this server's SES (the sandbox's test)?"""
    identities = ses_backends[ACCOUNT_ID][REGION].email_identities
    return address in identities or address.rsplit("@", 1)[-1] in identities


def main(argv: list[str]) -> int:
    port = int(argv[0]) if argv else 0
    moto_speedups.install()
    # werkzeug logs every request moto serves; the timeline reports what matters instead.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = DomainDispatcherApplication(create_backend_app)
    if len(argv) > 1:
        plane = local.plane(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
        report = stdout_reporter()
        authorize_deliveries(plane, report)
        app = Gate(app, plane, report, _verified)  # type: ignore[assignment]  # a WSGI app all the same
    app = SentMessages(app, ACCOUNT_ID, REGION)  # type: ignore[assignment]  # a WSGI app all the same
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()
    thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
