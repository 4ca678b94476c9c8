"""The text ``make cost`` prints: the settings used, a line per billed unit, totals per component."""

from __future__ import annotations

from cartcost.deployment import Deployment
from cartcost.estimate import Line, by_component
from cartcost.prices import PriceTable
from cartcost.usage import Traffic, Usage


def money(amount: float) -> str:
    return f"${amount:,.2f}"


def render(
    deployment: Deployment, traffic: Traffic, usage: Usage, lines: list[Line], prices: PriceTable, *, free_tier: bool
) -> str:
    architectures = sorted({fn.architecture for fn in deployment.functions.values()})
    memory = ", ".join(f"{fn.name} {fn.memory_mb} MB/{fn.timeout_seconds} s" for fn in deployment.functions.values())
    out = [
        f"cartflow-{deployment.environment} in {deployment.region}: {traffic.adds:,} adds, "
        f"{traffic.removes:,} removes, {traffic.checkouts:,} checkouts, {traffic.reminders:,} reminders a month",
        f"settings: {deployment.api} API, {'/'.join(architectures)}, {memory}; "
        f"logs kept {deployment.log_retention_days} d, archive {deployment.archive_retention_days} d, "
        f"{deployment.alarms} alarms, {deployment.kms_keys} KMS key(s), {deployment.dashboards} dashboard(s), "
        f"SnapStart {'on' if deployment.snapstart else 'off'}",
        f"prices: cartcost/price_tables/{prices.region}.json of {prices.as_of}"
        f" ({'free tier applied' if free_tier else 'no free tier'}; lines marked * are unverified for this region)",
        "",
    ]
    width = max(len(line.key) for line in lines)
    for line in lines:
        price = prices[line.key]
        mark = " " if price.status == "confirmed" else "*"
        out.append(f"  {mark}{line.key:<{width}} {line.billed_units:>16,.1f} {price.unit:<24} {money(line.cost):>12}")
    out.append("")
    totals = by_component(lines)
    for component, total in totals.items():
        out.append(f"  {component:<34} {money(total):>12}")
    out.append(f"  {'total per month':<34} {money(sum(totals.values())):>12}")
    lambda_price = sum(prices[f"lambda_gb_second_{arch}"].amount for arch in architectures) / len(architectures)
    out.append(
        f"  ceiling if every invocation ran to its timeout: {usage.ceiling_gb_seconds:,.0f} GB-s of Lambda, "
        f"{money(usage.ceiling_gb_seconds * lambda_price)}"
    )
    return "\n".join(out) + "\n"
