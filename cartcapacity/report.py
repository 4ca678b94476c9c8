"""The text ``make capacity`` prints: the rate and settings used, a line per quota, the first binding per path."""

from __future__ import annotations

import math

from cartcapacity.calls import OPERATIONS
from cartcapacity.model import Binding, Capacity, Row

MARKS = {"confirmed": " ", "unverified": "*", "setting": "="}


def number(value: float | None) -> str:
    """Thousands separated, fractions only where they carry information."""
    if value is None:
        return "-"
    if math.isclose(value, round(value), abs_tol=1e-9) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def headline(capacity: Capacity) -> str:
    shape, environment = capacity.shape, capacity.environment
    rates = {name: shape.adds_per_second * share for name, share in shape.shares().items()}
    return (
        f"cartflow-{environment.deployed.environment} in {capacity.region}: {number(rates['add'])} adds/s on average"
        f" (peaks x{shape.peak_factor:g}), {number(rates['removal'])} removals/s,"
        f" {number(rates['checkout'])} checkouts/s of {shape.cart.items} item(s),"
        f" {number(rates['reminder'])} reminders/s"
    )


def binding_line(binding: Binding | None) -> str:
    if binding is None:
        return "no quota binds"
    quota = binding.row.quota
    return (
        f"{quota.key} ({quota.service}, {'adjustable' if quota.adjustable else 'not adjustable'}, {quota.status})"
        f" at {number(binding.adds_per_second)} adds/s = {number(binding.operations_per_second)}"
        f" {binding.operation}s/s"
    )


def first_bindings(capacity: Capacity) -> list[str]:
    lines = []
    for name in OPERATIONS:
        aws = capacity.first_binding(name, settings=False)
        own = capacity.first_binding(name, settings=True)
        line = f"  {name:<9} {binding_line(aws)}"
        if own is not None and own.row is not (aws.row if aws else None):
            line += f"; before it, the setting {own.row.quota.key} at {number(own.adds_per_second)} adds/s"
        lines.append(line)
    return lines


def row_line(row: Row, adds_per_second: float, width: int) -> str:
    quota = row.quota
    units = " ".join(f"{number(row.units[name]):>9}" for name in OPERATIONS)
    adjustable = "yes" if quota.adjustable else "no"
    return (
        f"  {MARKS[quota.status]}{quota.key:<{width}} {number(quota.default):>11} {adjustable:>4}"
        f" {units} {percent(row.utilisation(adds_per_second)):>8} {number(row.binds_at):>11}"
    )


def render(capacity: Capacity) -> str:
    environment, shape = capacity.environment, capacity.shape
    width = max(len(row.quota.key) for row in capacity.rows)
    operations = " ".join(f"{name:>9}" for name in OPERATIONS)
    out = [
        headline(capacity),
        f"settings: reminder delay {environment.delay_seconds} s (each add holds a schedule that long),"
        f" SES sandbox {'on' if environment.settings.get('ses_sandbox') else 'off'},"
        f" API {environment.deployed.api}",
        f"quotas: cartcapacity/quota_tables/{capacity.region}.json, sources read {capacity.read} or later"
        " (* unverified, = the environment's own setting; sources below)",
        "",
        f"   {'quota':<{width}} {'default':>11} {'adj':>4} {operations} {'used':>8} {'binds at':>11}",
        f"   {'':<{width}} {'':>11} {'':>4} {'units per operation':^{len(operations)}} {'':>8} {'adds/s':>11}",
    ]
    out += [row_line(row, shape.adds_per_second, width) for row in capacity.rows]
    out += ["", "first quota that binds, per path, as adds grow in this shape:", *first_bindings(capacity), ""]
    out += ["sources:"]
    out += [f"  {row.quota.key}: {row.quota.name} ({row.quota.unit}). {row.quota.source}" for row in capacity.rows]
    return "\n".join(out) + "\n"
