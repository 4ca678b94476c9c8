"""How long a burst of due reminders takes to drain (``make capacity BURST=N``).

A burst is emailed no faster than the lower of two rates: SES's maximum send rate (send_reminder
paces its invocations to it, cartflow.pacing) and what the reminder queue's event source mapping
carries when each of its invocation slots runs full batches (the ``event_source_mapping`` row).
Reliability scenario 9 measures the same drain on the local stack against this prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

from cartcapacity.environment import mapping_key, mapping_records_per_second
from cartcost.assumptions import Assumptions
from cartflow import pacing

CONSUMER = "send_reminder"


@dataclass(frozen=True)
class Drain:
    reminders: int
    ses_rate: float
    mapping_rate: float

    @property
    def rate(self) -> float:
        """Reminders emailed per second while the burst drains."""
        return min(self.ses_rate, self.mapping_rate)

    @property
    def seconds(self) -> float:
        return self.reminders / self.rate

    @property
    def bound(self) -> str:
        if self.ses_rate <= self.mapping_rate:
            return f"SES's maximum send rate, {self.ses_rate:g} emails/s"
        return f"{mapping_key(pacing.consumed_by(CONSUMER))}, {self.mapping_rate:.1f} records/s"

    def line(self) -> str:
        return f"a burst of {self.reminders} due reminders drains in about {self.seconds:.1f} s (bound: {self.bound})"


def drain(reminders: int, ses_rate: float, assumptions: Assumptions) -> Drain:
    """The drain of ``reminders`` due at once with send_reminder configured for ``ses_rate`` emails/s."""
    mapping = pacing.event_source(pacing.consumed_by(CONSUMER), ses_rate)
    carried = mapping_records_per_second(
        assumptions, CONSUMER, mapping.batch_size, mapping.maximum_concurrency, mapping.sends_per_second
    )
    return Drain(reminders, ses_rate, carried)
