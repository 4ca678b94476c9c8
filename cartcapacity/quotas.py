"""The dated quota table of one region: each default with its unit, whether it can be raised, and its source.

Quotas live in ``cartcapacity/quota_tables/<region>.json``, like the price tables, so a reviewer
checks each figure against its source without reading code. A row may apply only to some
environments (SES's sandbox quotas to an account still in the sandbox): ``when`` names the
environment settings it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cartcost.tables import regional

TABLES = Path(__file__).resolve().parent / "quota_tables"
# How a quota is consumed: per_second and concurrent quotas see the peak rate; per_day quotas the
# average over a day; held quotas the average rate times how long each operation holds a unit.
MEASURES = ("per_second", "per_day", "held", "concurrent")


class QuotaError(ValueError):
    """No table for the region, or a row the model cannot read."""


@dataclass(frozen=True)
class Quota:
    key: str
    service: str
    name: str
    # None: the source documents no figure that binds (shown, never binding).
    default: float | None
    unit: str
    measure: str
    adjustable: bool
    # "confirmed" or "unverified" for AWS's quotas; "setting" for the environment's own limits.
    status: str
    source: str
    # When the source was read (ISO date); None for a setting, read from the environment's files.
    read: str | None


@dataclass(frozen=True)
class QuotaTable:
    region: str
    quotas: dict[str, Quota]

    @property
    def read(self) -> str:
        """The table is as old as its oldest row."""
        return min(quota.read or "" for quota in self.quotas.values())


def _quota(key: str, raw: dict[str, Any]) -> Quota:
    if raw["measure"] not in MEASURES:
        raise QuotaError(f"quota {key} has measure {raw['measure']!r}, not one of {MEASURES}")
    fields = ("service", "name", "default", "unit", "measure", "adjustable", "status", "source", "read")
    return Quota(key=key, **{field: raw[field] for field in fields})


def load(region: str, settings: dict[str, Any]) -> QuotaTable:
    """The region's quotas that apply to an environment of these settings."""
    document = regional(TABLES, region, "quota table", QuotaError)
    quotas = {
        key: _quota(key, raw)
        for key, raw in document["quotas"].items()
        if all(settings.get(name) == value for name, value in raw.get("when", {}).items())
    }
    return QuotaTable(region=document["region"], quotas=quotas)
