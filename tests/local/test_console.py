"""The web console over HTTP (the browser test drives the same page in Chromium): its assets are
the locked npm files served locally, its actions need the page, Send shows the API's answer as a
client gets it, Fire now fires, and a request is traced from the API call to the email."""

from __future__ import annotations

import http.client
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from cartlocal.console import assets
from cartlocal.local_stack import LocalStack, Options
from cartlocal.timeline import Timeline

DELAY_SECONDS = 3600
CONSOLE_DIR = Path(assets.__file__).parent


@pytest.fixture(scope="module")
def running(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    options = Options(
        dist=built_dist,
        workdir=tmp_path_factory.mktemp("console"),
        name="cartflow-console",
        reminder_delay_seconds=DELAY_SECONDS,
        time_scale=1 / 360,
        console_port=0,
        bus_tap=True,
    )
    with LocalStack(options, Timeline(stream=io.StringIO())) as stack:
        yield stack


def request(
    running: LocalStack, method: str, path: str, form: dict[str, str] | None = None, *, page: bool = True
) -> tuple[int, dict[str, str], str]:
    assert running.console is not None
    connection = http.client.HTTPConnection(urlsplit(running.console.url).netloc, timeout=30)
    headers = {"HX-Request": "true"} if page else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def wait_until(check: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_the_assets_are_the_locked_packages_served_from_here(running: LocalStack) -> None:
    lock = json.loads((CONSOLE_DIR / "package-lock.json").read_text(encoding="utf-8"))
    status, headers, page = request(running, "GET", "/")

    assert status == 200
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    loaded = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page)

    assert loaded == ["/assets/pico.min.css", "/assets/htmx.min.js", "/assets/sse.min.js"]
    assert all(request(running, "GET", source)[0] == 200 for source in loaded)
    for package in ("htmx.org", "htmx-ext-sse", "@picocss/pico"):
        assert lock["packages"][f"node_modules/{package}"]["integrity"].startswith("sha512-")
    assert request(running, "GET", "/assets/package.json")[0] == 404


def test_actions_refuse_a_request_that_is_not_from_the_page(running: LocalStack) -> None:
    status, _, _ = request(running, "POST", "/send", {"route": "POST /cart"}, page=False)

    assert status == 403


def test_send_shows_the_api_answer_as_the_client_gets_it(running: LocalStack) -> None:
    _, _, page = request(running, "GET", "/")
    fields = dict(re.findall(r'name="(field\.[a-z_]+)" value="([^"]*)"', page.split('data-route="POST /cart"')[1]))

    _, _, accepted = request(running, "POST", "/send", {"route": "POST /cart", **fields})
    _, _, refused = request(running, "POST", "/send", {"route": "POST /cart", **fields, "field.quantity": "0"})

    assert 'data-status="200"' in accepted
    assert "message received" in accepted
    assert 'data-status="400"' in refused
    assert "x-amzn-ErrorType: BadRequestException" in refused


def test_fire_now_fires_and_the_trace_reaches_the_email(running: LocalStack) -> None:
    form = {"route": "POST /cart", "field.user": "grace", "field.product": "sku-7", "field.email": "g@example.com"}
    _, _, answer = request(running, "POST", "/send", form)
    request_id = re.search(r"x-amzn-RequestId: ([0-9a-f-]+)", answer)
    assert request_id is not None
    wait_until(lambda: "grace / sku-7" in request(running, "GET", "/schedules")[2])
    name = re.search(
        r'data-schedule="([^"]+)"><td><code>[^<]+</code></td><td>CartReminderDue: grace',
        request(running, "GET", "/schedules")[2],
    )
    assert name is not None

    request(running, "POST", f"/schedules/{name[1]}/fire", {})
    wait_until(lambda: "sku-7" in request(running, "GET", "/outbox")[2])
    # The outbox lists the file a moment before its timeline line is written.
    wait_until(lambda: "email to g@example.com" in request(running, "GET", f"/trace?request_id={request_id[1]}")[2])
    _, _, trace = request(running, "GET", f"/trace?request_id={request_id[1]}")

    assert "grace / sku-7" not in request(running, "GET", "/schedules")[2]
    assert "<iframe sandbox=" in request(running, "GET", "/outbox")[2]
    for step in (
        "POST /cart",
        "ItemAddedToCart",
        "reminder scheduled",
        "fired",
        "reminder sent",
        "email to g@example.com",
    ):
        assert step in trace, step
