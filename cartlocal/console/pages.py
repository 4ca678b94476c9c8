"""The console's HTML: the page and the fragments htmx swaps into it.

Every value shown is escaped here (events and emails carry user input). Controls are native
buttons, links and labelled form fields, so everything works from the keyboard; controls that
are re-rendered while focused keep their ``id``, which htmx uses to restore the focus.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from cartlocal.console.state import Answer, Email, Queue, Schedule, text_of
from cartlocal.timeline import Entry


def _attribute(value: str) -> str:
    return escape(value, quote=True)


def _slug(value: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in value)


def page(api_url: str, moto_url: str, send_forms: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cartflow local console</title>
<link rel="stylesheet" href="/assets/pico.min.css">
<script src="/assets/htmx.min.js"></script>
<script src="/assets/sse.min.js"></script>
</head>
<body>
<a href="#main" class="secondary">Skip to content</a>
<header class="container-fluid">
<h1>cartflow local console</h1>
<p>API <a href="{_attribute(api_url)}">{escape(api_url)}</a> · AWS endpoint (moto) <code>{escape(moto_url)}</code></p>
<nav aria-label="Sections"><ul>
<li><a href="#send-heading">Send</a></li><li><a href="#schedules-heading">Schedules</a></li>
<li><a href="#queues-heading">Queues</a></li><li><a href="#outbox-heading">Outbox</a></li>
<li><a href="#trace-heading">Trace</a></li><li><a href="#timeline-heading">Timeline</a></li>
</ul></nav>
</header>
<main id="main" class="container-fluid" hx-ext="sse" sse-connect="/events">
<div class="grid">
<div>
<section aria-labelledby="send-heading">
<h2 id="send-heading">Send a request</h2>
<p><small>Bodies are prefilled with a valid sample generated from the route's JSON Schema; the
answer is shown exactly as a client receives it (a 400 included).</small></p>
{send_forms}
<div id="send-result" role="status" aria-live="polite"></div>
</section>
<section aria-labelledby="trace-heading">
<h2 id="trace-heading">Trace a request</h2>
<form hx-get="/trace" hx-target="#trace" role="search">
<label for="trace-request-id">API request id</label>
<fieldset role="group">
<input id="trace-request-id" name="request_id" required autocomplete="off">
<button type="submit">Trace</button>
</fieldset>
</form>
<div id="trace" aria-live="polite"></div>
</section>
</div>
<div>
<section aria-labelledby="schedules-heading">
<h2 id="schedules-heading">Pending schedules</h2>
<div id="schedules" hx-get="/schedules" hx-trigger="load, every 1s"></div>
</section>
<section aria-labelledby="queues-heading">
<h2 id="queues-heading">Queues and dead-letter queues</h2>
<div id="queues" hx-get="/queues" hx-trigger="load, every 2s"></div>
</section>
<section aria-labelledby="outbox-heading">
<h2 id="outbox-heading">Outbox</h2>
<div id="outbox" hx-get="/outbox" hx-trigger="load, sse:email"></div>
</section>
</div>
</div>
<section aria-labelledby="timeline-heading">
<h2 id="timeline-heading">Live timeline</h2>
<ol id="timeline" reversed sse-swap="timeline" hx-swap="afterbegin"></ol>
</section>
</main>
</body>
</html>
"""


def timeline_entry(entry: Entry) -> str:
    """One timeline line; a line about an API request links to its trace."""
    trace = ""
    if entry.source == "api" and entry.keys:
        request_id = sorted(entry.keys)[0]
        trace = (
            f' <a href="/trace?request_id={quote(request_id)}" hx-get="/trace?request_id={quote(request_id)}"'
            f' hx-target="#trace" data-request-id="{_attribute(request_id)}">trace {escape(request_id)}</a>'
        )
    return (
        f'<li class="entry" data-source="{_attribute(entry.source.strip())}">'
        f"<code>{entry.seconds:7.2f}s</code> <strong>{escape(entry.source.strip())}</strong> "
        f"{escape(entry.message)}{trace}</li>"
    )


def _countdown(seconds: float | None) -> str:
    if seconds is None:
        return "no due time"
    if seconds <= 0:
        return "due now"
    return f"fires in {seconds:.0f} s"


def schedules(items: Iterable[Schedule], now: datetime) -> str:
    rows = [
        f'<tr data-schedule="{_attribute(item.name)}"><td><code>{escape(item.name)}</code></td>'
        f"<td>{escape(item.detail_type)}: {escape(str(item.detail.get('user', '')))} / "
        f"{escape(str(item.detail.get('product', '')))}</td>"
        f'<td class="countdown">{_countdown(item.seconds_left(now))}</td>'
        f'<td><button id="fire-{_slug(item.name)}" class="fire" hx-post="/schedules/{quote(item.name)}/fire"'
        f' hx-target="#schedules" aria-label="Fire {_attribute(item.name)} now">Fire now</button></td></tr>'
        for item in items
    ]
    if not rows:
        return '<p class="empty">No pending schedules.</p>'
    return (
        '<div class="overflow-auto"><table><caption class="sr-only">Pending schedules</caption>'
        '<thead><tr><th scope="col">Schedule</th>'
        '<th scope="col">Reminder</th><th scope="col">Due</th><th scope="col">Action</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def queues(items: Iterable[Queue], notice: str = "") -> str:
    rows = []
    for item in items:
        action = "—"
        if item.redrive is not None and item.visible:
            action = (
                f'<button id="redrive-{_slug(item.key)}" class="redrive" hx-post="/queues/{quote(item.key)}/redrive"'
                f' hx-target="#queues" aria-label="Redrive {_attribute(item.name)}">Redrive</button>'
            )
        elif item.dead_letter and item.redrive is None:
            action = "no redrive target"
        rows.append(
            f'<tr data-queue="{_attribute(item.name)}"><td><code>{escape(item.name)}</code></td>'
            f"<td>{'DLQ' if item.dead_letter else 'queue'}</td>"
            f'<td class="depth">{item.visible}</td><td>{item.in_flight}</td><td>{action}</td></tr>'
        )
    return (
        f'<p role="status">{escape(notice)}</p>'
        '<div class="overflow-auto"><table><thead><tr>'
        '<th scope="col">Queue</th><th scope="col">Kind</th><th scope="col">Messages</th>'
        '<th scope="col">In flight</th><th scope="col">Action</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def outbox(items: Iterable[Email]) -> str:
    articles = []
    for item in items:
        html = (
            f'<iframe sandbox="" title="HTML body of email {item.number}" srcdoc="{_attribute(item.html)}"></iframe>'
            if item.html is not None
            else "<p>No HTML part.</p>"
        )
        text = escape(item.text if item.text is not None else text_of(item.html or ""))
        text_note = (
            ""
            if item.text is not None
            else "<p><small>moto keeps only the HTML part of a message that has both, so this is the"
            " HTML's text, not the Text part SES would deliver.</small></p>"
        )
        articles.append(
            f'<article class="email" data-number="{item.number}"><header><strong>{escape(item.subject)}</strong>'
            f" to {escape(item.to)} <small>({escape(item.path.name)})</small></header>"
            f"<h3>HTML</h3>{html}<details><summary>Text</summary>{text_note}<pre>{text}</pre></details></article>"
        )
    return "".join(articles) or '<p class="empty">No email sent yet.</p>'


def trace(request_id: str, entries: list[Entry]) -> str:
    if not entries:
        return f"<p>Nothing on the timeline names request id <code>{escape(request_id)}</code>.</p>"
    return (
        f'<p>{len(entries)} entries for request <code class="traced">{escape(request_id)}</code>, from the API'
        " call through its events, invocations and schedules to the email:</p>"
        f'<ol class="trace">{"".join(timeline_entry(entry) for entry in entries)}</ol>'
    )


def send_form(name: str, schema: dict[str, Any], sample: dict[str, Any], *, open_: bool = False) -> str:
    """One route's form, in a disclosure: a labelled field per schema property, prefilled with ``sample``."""
    slug = _slug(name)
    fields = []
    required = set(schema.get("required", []))
    for field, spec in schema.get("properties", {}).items():
        rules = ", ".join(
            f"{rule} {spec[rule]}"
            for rule in ("type", "minimum", "maximum", "minLength", "maxLength", "pattern")
            if rule in spec
        )
        value = sample.get(field, "")
        field_id = f"send-{slug}-{field}"
        fields.append(
            f'<label for="{field_id}">{escape(field)}{" (required)" if field in required else ""}</label>'
            f'<input id="{field_id}" name="field.{_attribute(field)}" value="{_attribute(str(value))}"'
            f' aria-describedby="{field_id}-rules" autocomplete="off">'
            f'<small id="{field_id}-rules">{escape(rules)}</small>'
        )
    return (
        f"<details{' open' if open_ else ''}><summary>{escape(name)}</summary>"
        f'<form class="send" data-route="{_attribute(name)}" hx-post="/send" hx-target="#send-result" novalidate>'
        f'<input type="hidden" name="route" value="{_attribute(name)}">{"".join(fields)}'
        f'<button id="send-{slug}" type="submit">Send {escape(name)}</button></form></details>'
    )


def send_result(answer: Answer) -> str:
    shown = "\n".join(f"{name}: {value}" for name, value in answer.headers)
    try:
        pretty = json.dumps(json.loads(answer.body), indent=2)
    except ValueError:
        pretty = answer.body.decode("utf-8", "replace")
    return (
        f'<article class="answer" data-status="{answer.status}"><header>{escape(answer.route)} → '
        f'<strong class="status">{answer.status} {escape(answer.reason)}</strong></header>'
        f"<h3>Request body</h3><pre>{escape(answer.request.decode('utf-8', 'replace'))}</pre>"
        f"<h3>Response headers</h3><pre>{escape(shown)}</pre>"
        f'<h3>Response body</h3><pre class="body">{escape(pretty)}</pre></article>'
    )
