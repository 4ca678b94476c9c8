"""The console view of a running stack: one timestamped line per thing that happened.

Everything the local runtime does (requests, events, invocations, schedules, emails) goes
through here, so `make demo` prints a readable timeline and the tests can read it back.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Timeline:
    """Thread-safe, ordered log lines relative to the moment the stack started."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def log(self, source: str, message: str) -> None:
        line = f"[{time.monotonic() - self.started:6.2f}s] {source:<18} {message}"
        with self._lock:
            self.lines.append(line)
            print(line, file=self.stream, flush=True)

    def function_output(self, function: str, line: str) -> None:
        """A line a function printed: Powertools JSON logs shortened to level and message."""
        shown = summarise(line)
        if shown is not None:
            self.log(f"  {function}", shown)


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
