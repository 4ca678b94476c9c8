"""Paced sending: a queue consumer's event source mapping and its pace, derived from one rate.

SES answers over the account's maximum send rate with a throttling error, so the reminder
queue is drained no faster than that rate: at most ``maximum_concurrency`` invocations at once,
each sending at its share of the rate. The formula's parameters live in the contract
(stack.json ``queues.<queue>.pacing``); Terraform's contract module applies the same formula, and
a test holds the two to each other. A reminder SES still cannot take waits in the queue with a
growing delay (:func:`deferral_delay`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cartflow import contract

# SQS message timers: 0 to 900 seconds (docs/aws-fidelity.md).
MAX_DELAY_SECONDS = 900


@dataclass(frozen=True)
class EventSource:
    """What the event source mapping of a paced queue is set to, and how fast each invocation sends."""

    batch_size: int
    maximum_concurrency: int
    sends_per_second: float

    @property
    def send_interval_seconds(self) -> float:
        return 1 / self.sends_per_second


def _spec(queue: str) -> dict[str, Any]:
    spec: dict[str, Any] = contract.stack()["queues"][queue]
    return spec


def rate_setting(queue: str) -> str:
    """The name of the setting that holds ``queue``'s rate."""
    return str(_spec(queue)["pacing"]["rate_setting"])


def event_source(queue: str, rate: float) -> EventSource:
    """The event source mapping of ``queue`` for a downstream ``rate`` (sends per second)."""
    spec = _spec(queue)
    pacing = spec["pacing"]
    timeout = contract.function_spec(spec["consumer"])["timeout"]
    concurrency = max(pacing["minimum_concurrency"], math.ceil(rate / pacing["sends_per_second_per_invocation"]))
    pace = rate / concurrency
    batch = math.floor(pace * timeout * pacing["sending_share_of_timeout"])
    return EventSource(max(1, min(pacing["maximum_batch_size"], batch)), concurrency, pace)


def deferral_delay(deferrals: int) -> int:
    """Seconds a message deferred ``deferrals`` times before waits now: 1 s, doubling, up to SQS's maximum."""
    return int(min(MAX_DELAY_SECONDS, 2 ** min(deferrals, 10)))


class Pacer:
    """Spaces calls at least ``interval`` seconds apart; the first goes at once."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._next: float | None = None

    def wait(self) -> None:
        now = self._clock()
        if self._next is not None and self._next > now:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def consumed_by(function: str) -> str:
    """The queue ``function`` consumes."""
    queues: dict[str, Any] = contract.stack()["queues"]
    return next(name for name, spec in queues.items() if spec["consumer"] == function)
