"""What each quota carries at a rate of adds, and the add rate at which it binds, per path.

Traffic keeps cartcost's shape: for each add, a fifth of a removal, a tenth of a checkout, and
the reminders of the adds neither removed nor checked out. Every operation scales with the add
rate, so each quota's demand is linear in it and binds at quota / demand-per-add. Peaks are
shorter than a day: per-second and concurrency quotas see the peak (average x peak factor),
daily quotas and held schedules the average.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cartcapacity import consumption, quotas
from cartcapacity.calls import OPERATIONS, Call, Cart, operation_calls
from cartcapacity.environment import Environment, setting_quotas
from cartcapacity.quotas import MEASURES, Quota
from cartcost.assumptions import Assumptions
from cartcost.usage import ADDS_PER_CHECKOUT, ADDS_PER_REMOVAL

SECONDS_PER_DAY = 86400
# The calls of one operation: today's code (cartcapacity.calls), or a design docs/capacity.md weighs.
CallsOf = Callable[[str, Cart], list[Call]]


@dataclass(frozen=True)
class Shape:
    adds_per_second: float
    peak_factor: float
    cart: Cart

    def shares(self) -> dict[str, float]:
        """Operations per add."""
        removal, checkout = 1 / ADDS_PER_REMOVAL, 1 / ADDS_PER_CHECKOUT
        return {
            "add": 1.0,
            "removal": removal,
            "checkout": checkout,
            "reminder": max(1.0 - removal - checkout * self.cart.items, 0.0),
        }

    def factor(self, quota: Quota) -> float:
        """Demand on ``quota`` per unit an average add rate of one per second brings."""
        if quota.measure == "per_day":
            return SECONDS_PER_DAY
        if quota.measure == "held":
            return 1.0
        return self.peak_factor


@dataclass(frozen=True)
class Row:
    quota: Quota
    # Units one operation takes, by operation.
    units: dict[str, float]
    # Demand on the quota per average add per second (units x shares x the measure's factor).
    per_add: float

    def demand(self, adds_per_second: float) -> float:
        return self.per_add * adds_per_second

    def utilisation(self, adds_per_second: float) -> float | None:
        return None if self.quota.default is None else self.demand(adds_per_second) / self.quota.default

    @property
    def binds_at(self) -> float | None:
        """The average add rate at which the quota is used up; None if it never is."""
        if self.quota.default is None or not self.per_add:
            return None
        return self.quota.default / self.per_add


@dataclass(frozen=True)
class Binding:
    operation: str
    row: Row
    adds_per_second: float
    # The operation's own average rate at that point.
    operations_per_second: float


@dataclass(frozen=True)
class Capacity:
    environment: Environment
    shape: Shape
    region: str
    read: str
    rows: list[Row]

    def first_binding(self, operation: str, *, settings: bool, measures: tuple[str, ...] = MEASURES) -> Binding | None:
        """The first quota (with ``settings``, or setting) of these measures the operation runs into as adds grow."""
        candidates = [
            row
            for row in self.rows
            if row.units.get(operation)
            and row.binds_at is not None
            and (settings or row.quota.status != "setting")
            and row.quota.measure in measures
        ]
        if not candidates:
            return None
        row = min(candidates, key=lambda candidate: candidate.binds_at or 0.0)
        at = row.binds_at or 0.0
        return Binding(operation, row, at, at * self.shape.shares()[operation])


def build(
    environment: Environment, shape: Shape, assumptions: Assumptions, calls_of: CallsOf = operation_calls
) -> Capacity:
    table = quotas.load(environment.deployed.region, environment.settings)
    every = {**table.quotas, **setting_quotas(environment, assumptions)}
    by_operation = {
        name: consumption.units(calls_of(name, shape.cart), environment, assumptions) for name in OPERATIONS
    }
    shares = shape.shares()
    rows = []
    for key, quota in every.items():
        units = {name: by_operation[name].get(key, 0.0) for name in OPERATIONS}
        per_add = sum(units[name] * shares[name] for name in OPERATIONS) * shape.factor(quota)
        rows.append(Row(quota, units, per_add))
    return Capacity(environment, shape, table.region, table.read, rows)
