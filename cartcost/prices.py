"""The dated price table of one region: each price with its unit, source and whether it is confirmed.

Prices live in ``cartcost/price_tables/<region>.json`` so a reviewer checks them against their
sources without reading code; an estimate names the table's date. Free-tier allowances sit in
the same file and are applied only on request, because most accounts have used them up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cartcost.tables import regional

TABLES = Path(__file__).resolve().parent / "price_tables"


class PriceError(ValueError):
    """No table for the region, or a table without a price the estimate needs."""


@dataclass(frozen=True)
class Price:
    """``amount`` dollars per ``per`` units of ``unit``."""

    amount: float
    per: float
    unit: str
    status: str
    source: str

    def of(self, units: float) -> float:
        return units / self.per * self.amount


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str
    prices: dict[str, Price]
    free_units: dict[str, float]

    def __getitem__(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise PriceError(f"the {self.region} price table ({self.as_of}) has no price {key!r}") from None

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> PriceTable:
        prices = {
            key: Price(**{field: raw[field] for field in ("amount", "per", "unit", "status", "source")})
            for key, raw in document["prices"].items()
        }
        free = {key: float(raw["units"]) for key, raw in document["free_tier"]["allowances"].items()}
        return cls(region=document["region"], as_of=document["as_of"], prices=prices, free_units=free)


def load(region: str) -> PriceTable:
    return PriceTable.from_json(regional(TABLES, region, "price table", PriceError))
