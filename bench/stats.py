"""Summaries of repeated measurements: median, p99 and spread, the only figures the report quotes.

Shared CPUs make single timings meaningless; every row is many samples reduced the same way here.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    """Median, 99th percentile, fastest and slowest of ``n`` samples (in the samples' unit)."""

    median: float
    p99: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("no samples to summarise")
        ordered = sorted(samples)
        # quantiles() needs two samples; with one, every percentile is that sample.
        p99 = statistics.quantiles(ordered, n=100, method="inclusive")[98] if len(ordered) > 1 else ordered[0]
        return cls(statistics.median(ordered), p99, ordered[0], ordered[-1], len(ordered))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ratio(ours: float, anchor: float) -> float:
    """``ours / anchor``; infinite when the anchor measured nothing (never a division error)."""
    return ours / anchor if anchor else float("inf")
