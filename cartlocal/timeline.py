"""The console view of a running stack: one timestamped line per thing that happened.

Everything the local runtime does (requests, events, invocations, schedules, emails) goes
through here, so `make demo` prints a readable timeline, the tests can read it back and the web
console (cartlocal.console) streams it. Each entry may name the identifiers it is about (an API
request id, which the events, functions and schedules that follow it carry as ``request_id`` or
``correlation_id``; an SES message id), so one request can be traced from the API to the email.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

# Fields of a function's JSON log record that identify what it was about (Powertools puts the
# event's request id in correlation_id; send_reminder logs the SES message id it got).
LINK_FIELDS = ("correlation_id", "request_id", "message_id")


@dataclass(frozen=True)
class Entry:
    """One thing that happened: when (seconds since start), who reported it, what, about which ids."""

    seconds: float
    source: str
    message: str
    keys: frozenset[str] = frozenset()

    @property
    def line(self) -> str:
        return f"[{self.seconds:6.2f}s] {self.source:<18} {self.message}"


@dataclass
class Timeline:
    """Thread-safe, ordered log lines relative to the moment the stack started."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    _listeners: list[Callable[[Entry], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def log(self, source: str, message: str, keys: Iterable[str] = ()) -> None:
        entry = Entry(time.monotonic() - self.started, source, message, frozenset(filter(None, keys)))
        with self._lock:
            self.entries.append(entry)
            self.lines.append(entry.line)
            print(entry.line, file=self.stream, flush=True)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(entry)

    def subscribe(self, listener: Callable[[Entry], None]) -> list[Entry]:
        """Call ``listener`` with every entry from now on; returns the entries logged so far."""
        with self._lock:
            self._listeners.append(listener)
            return list(self.entries)

    def unsubscribe(self, listener: Callable[[Entry], None]) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def function_output(self, function: str, line: str) -> None:
        """A line a function printed: Powertools JSON logs shortened to level and message."""
        shown = summarise(line)
        if shown is not None:
            self.log(f"  {function}", shown, _links(line))

    def trace(self, key: str) -> list[Entry]:
        """The entries about ``key`` and, transitively, about the ids they name (in order).

        An entry can come before the one that ties its id to the request (the outbox logs an email
        before the function's log line naming its message id arrives), so the ids are followed until
        no entry adds one, whatever the order.
        """
        with self._lock:
            entries = list(self.entries)
        known = {key}
        while True:
            grown = set(known)
            for entry in entries:
                if entry.keys & grown:
                    grown |= entry.keys
            if grown == known:
                break
            known = grown
        return [entry for entry in entries if entry.keys & known]


def _links(line: str) -> set[str]:
    """The identifiers a function's JSON log record names (nothing for a plain line)."""
    if not line.startswith("{"):
        return set()
    try:
        record: Any = json.loads(line)
    except ValueError:
        return set()
    if not isinstance(record, dict):
        return set()
    return {str(record[name]) for name in LINK_FIELDS if isinstance(record.get(name), str)}


def summarise(line: str) -> str | None:
    """One readable line for a function's log line; None for metric (EMF) records."""
    if not line.startswith("{"):
        # The runtime client joins a traceback's lines with \r (one log record); the first says it.
        return line.split("\r", 1)[0] or None
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "_aws" in record:
        return None
    extras = {
        key: value
        for key, value in record.items()
        if key in ("outcome", "outcomes", "reason", "reminder_id", "message_id", "code")
    }
    suffix = f" {json.dumps(extras)}" if extras else ""
    return f"{record.get('level', '')} {record.get('message', '')}{suffix}"
