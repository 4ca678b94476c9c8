"""Background pollers: a step run again and again on a daemon thread until stopped.

Every poller of the local runtime (event sources, scheduler, outbox, bus tap) is one of these,
so they all stop the same way: each step is itself bounded (short long-polls), and ``stop``
waits a bounded time for the current step to finish.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

# Pause after a step that found nothing to do (or failed), so idle pollers do not spin.
IDLE_SECONDS = 0.2
JOIN_SECONDS = 35.0


def failure(name: str, error: BaseException) -> str:
    """How a poller's failure is reported: the poller, the error's type and its message."""
    return f"{name}: {type(error).__name__}: {error}"


class Loop:
    """Runs ``step`` until stopped; ``step`` returns True when it did work (no pause then)."""

    def __init__(self, name: str, step: Callable[[], bool], on_error: Callable[[str], None]) -> None:
        self.name = name
        self._step, self._on_error = step, on_error
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self._step()
            except Exception as error:  # a poller reports and carries on, like AWS's
                if not self._stopping.is_set():  # failures caused by shutting down are expected
                    self._on_error(failure(self.name, error))
                busy = False
            if not busy:
                self._stopping.wait(IDLE_SECONDS)

    def stop(self) -> None:
        self._stopping.set()

    def join(self) -> None:
        self._thread.join(timeout=JOIN_SECONDS)
