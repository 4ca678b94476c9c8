"""The console's HTTP server on 127.0.0.1: the page, its fragments, its actions and the live timeline.

Actions (Fire now, Redrive, Send) are POSTs that must carry htmx's ``HX-Request`` header: a page
on another origin cannot add it without a CORS preflight this server never grants, so a web page
the developer happens to visit cannot fire schedules or send requests through the console.
"""

from __future__ import annotations

import http.client
import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from cartlocal import ports, samples
from cartlocal.console import assets, pages, state
from cartlocal.local_http import LocalHandler
from cartlocal.timeline import Entry, Timeline
from cartops.redrive import RedriveError, redrive

HTML = "text/html; charset=utf-8"
# Scripts and styles only from here; htmx adds one small inline <style> of its own.
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
)
# How many past entries a newly opened page receives, and how often an idle stream is kept alive.
BACKLOG = 500
KEEPALIVE_SECONDS = 15.0
API_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Sources:
    """What the console reads and acts on: the running stack's clients, names and pollers."""

    timeline: Timeline
    api_url: str
    moto_url: str
    scheduler: Any
    schedule_group: str
    fire_now: Callable[[str], None]
    sqs: Any
    events: Any
    bus_arn: str
    queue_urls: dict[str, str]
    dlq_urls: dict[str, str]
    outbox_files: Callable[[], list[Any]]


class Console:
    """Serves the console for ``sources`` at http://127.0.0.1:<port>/ (port 0 picks a free one)."""

    def __init__(self, sources: Sources, port: int) -> None:
        assets.check_installed()
        ports.ensure_free(port, ports.CONSOLE)
        self.sources = sources
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="console", daemon=True)
        host, bound = self._server.server_address[:2]
        self.url = f"http://{host!s}:{bound}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def send_forms(self) -> str:
        routes = [(name, kind) for name, kind in samples.kinds().items() if kind.route is not None]
        return "".join(
            pages.send_form(name, kind.schema, samples.body(kind.schema), open_=index == 0)
            for index, (name, kind) in enumerate(routes)
        )

    def send(self, form: dict[str, str]) -> state.Answer:
        """Make the request a client would make with the form's values, and return the API's answer."""
        kind = samples.kind(form.get("route", ""))
        if kind.route is None:
            raise samples.SampleError(f"{kind.name} is not a route")
        body = json.dumps(_typed(kind.schema, form)).encode()
        connection = http.client.HTTPConnection(urlsplit(self.sources.api_url).netloc, timeout=API_TIMEOUT_SECONDS)
        try:
            connection.request(
                kind.route["method"], kind.route["path"], body=body, headers={"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            return state.Answer(
                kind.name, body, response.status, response.reason, response.getheaders(), response.read()
            )
        finally:
            connection.close()

    def redrive(self, key: str) -> str:
        sources = self.sources
        url = sources.dlq_urls.get(key)
        if url is None:
            return f"no dead-letter queue {key!r}"
        try:
            if key in sources.queue_urls:
                done = redrive(sources.sqs, url)
            elif key == "async_failures":
                done = redrive(sources.sqs, url, bus=sources.bus_arn, events=sources.events)
            else:
                return f"{key}: nothing to redrive to"
        except RedriveError as error:
            return f"redrive failed: {error}"
        name = url.rsplit("/", 1)[-1]
        target = done.destination.rsplit("/", 1)[-1]
        sources.timeline.log("console", f"redrove {done.moved} message(s) from {name} to {target} ({done.method})")
        return f"Moved {done.moved} message(s) from {name} back to {target}."


def _typed(schema: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The JSON body of a submitted form: each non-empty field as its schema's type when it parses as one.

    A value that does not parse is sent as the string it is, so the API's 400 says what a client
    sending it would be told.
    """
    body: dict[str, Any] = {}
    for name, spec in schema.get("properties", {}).items():
        raw = form.get(f"field.{name}", "")
        if raw == "":
            continue
        kind = spec.get("type")
        if kind in ("integer", "number", "boolean"):
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
            body[name] = value
        else:
            body[name] = raw
    return body


def _handler(console: Console) -> type[LocalHandler]:
    sources = console.sources

    class Handler(LocalHandler):
        def _html(self, body: str, status: int = 200) -> None:
            self.reply(status, (("Content-Type", HTML), *SECURITY_HEADERS), body.encode("utf-8"))

        def handle_one_request(self) -> None:
            # A console request that fails is one timeline line and a 500, never a traceback.
            try:
                super().handle_one_request()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            except Exception as error:
                sources.timeline.log("console", f"{self.command} {self.path} failed: {type(error).__name__}: {error}")
                self.close_connection = True
                self._html(f"<p>console error: {escape(type(error).__name__)}: {escape(str(error))}</p>", 500)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query))
            if url.path == "/":
                self._html(pages.page(sources.api_url, sources.moto_url, console.send_forms()))
            elif url.path.startswith("/assets/"):
                found = assets.read(url.path.removeprefix("/assets/"))
                if found is None:
                    self._html("not found", 404)
                else:
                    self.reply(200, (("Content-Type", found[1]), ("Cache-Control", "max-age=3600")), found[0])
            elif url.path == "/events":
                self._stream()
            elif url.path == "/schedules":
                items = state.schedules(sources.scheduler, sources.schedule_group)
                self._html(pages.schedules(items, datetime.now(UTC)))
            elif url.path == "/queues":
                self._html(pages.queues(state.queues(sources.sqs, sources.queue_urls, sources.dlq_urls)))
            elif url.path == "/outbox":
                self._html(pages.outbox(state.emails(sources.outbox_files())))
            elif url.path == "/trace":
                request_id = query.get("request_id", "").strip()
                self._html(pages.trace(request_id, sources.timeline.trace(request_id) if request_id else []))
            else:
                self._html("not found", 404)

        def do_POST(self) -> None:
            form = dict(parse_qsl(self.read_body().decode("utf-8", "replace"), keep_blank_values=True))
            if self.headers.get("HX-Request") != "true":
                self._html("actions need the console page (HX-Request header)", 403)
                return
            parts = [unquote(part) for part in urlsplit(self.path).path.strip("/").split("/")]
            if len(parts) == 3 and parts[0] == "schedules" and parts[2] == "fire":
                sources.fire_now(parts[1])
                sources.timeline.log("console", f"Fire now: {parts[1]}", [parts[1]])
                items = state.schedules(sources.scheduler, sources.schedule_group)
                self._html(pages.schedules(items, datetime.now(UTC)))
            elif len(parts) == 3 and parts[0] == "queues" and parts[2] == "redrive":
                notice = console.redrive(parts[1])
                self._html(pages.queues(state.queues(sources.sqs, sources.queue_urls, sources.dlq_urls), notice))
            elif parts == ["send"]:
                try:
                    self._html(pages.send_result(console.send(form)))
                except samples.SampleError as error:
                    self._html(f"<p>{escape(str(error))}</p>", 400)
            else:
                self._html("not found", 404)

        def _stream(self) -> None:
            """Server-sent events: every timeline entry as a list item (``timeline``), emails also as ``email``."""
            entries: queue.Queue[Entry] = queue.Queue()
            backlog = sources.timeline.subscribe(entries.put)
            self.close_connection = True
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                for entry in backlog[-BACKLOG:]:
                    self._event(entry)
                while not console.stopping.is_set():
                    try:
                        self._event(entries.get(timeout=KEEPALIVE_SECONDS))
                    except queue.Empty:
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the page was closed
            finally:
                sources.timeline.unsubscribe(entries.put)

        def _event(self, entry: Entry) -> None:
            self.wfile.write(f"event: timeline\ndata: {pages.timeline_entry(entry)}\n\n".encode())
            if entry.source == "ses":
                self.wfile.write(b"event: email\ndata: new\n\n")
            self.wfile.flush()

    return Handler
