"""docs/cost.md and docs/cost.png, written by ``make cost-doc`` from the same estimate ``make cost`` prints.

The document compares REST with HTTP API and x86_64 with arm64 for one environment's settings and
one traffic shape, and lists every price with its source, so nothing in it is typed by hand.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

from cartcost import estimate
from cartcost.assumptions import Assumptions
from cartcost.deployment import ROOT, Deployment
from cartcost.prices import PriceTable
from cartcost.report import money
from cartcost.usage import Traffic, compute

DOC = ROOT / "docs" / "cost.md"
CHART = ROOT / "docs" / "cost.png"
VARIANTS = [(api, arch) for api in ("rest", "http") for arch in ("x86_64", "arm64")]


def variant_totals(deployed: Deployment, traffic: Traffic, table: PriceTable) -> dict[str, dict[str, float]]:
    totals = {}
    for api, architecture in VARIANTS:
        variant = deployed.with_api(api).with_architecture(architecture)
        lines = estimate.price_lines(compute(variant, traffic, Assumptions()), table, free_tier=False)
        totals[f"{api.upper()} API, {architecture}"] = estimate.by_component(lines)
    return totals


def chart(totals: dict[str, dict[str, float]], path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - only the document needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    components = list(dict.fromkeys(component for by in totals.values() for component in by))
    figure, axes = plt.subplots(figsize=(9, 5))
    bottoms = [0.0] * len(totals)
    colours = plt.get_cmap("tab20")
    for index, component in enumerate(components):
        values = [by.get(component, 0.0) for by in totals.values()]
        axes.bar(list(totals), values, bottom=bottoms, label=component, color=colours(index))
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for index, total in enumerate(bottoms):
        axes.annotate(money(total), (index, total), ha="center", va="bottom")
    axes.set_ylabel("USD per month")
    axes.set_title("cartflow per 1M adds a month, by component")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)


def snapstart_change(deployed: Deployment, traffic: Traffic, table: PriceTable) -> float:
    """What switching SnapStart over changes in the environment's own total."""
    totals = []
    for snapstart in (deployed.snapstart, not deployed.snapstart):
        usage = compute(replace(deployed, snapstart=snapstart), traffic, Assumptions())
        totals.append(sum(line.cost for line in estimate.price_lines(usage, table, free_tier=False)))
    return totals[1] - totals[0]


def findings(totals: dict[str, dict[str, float]]) -> str:
    """The sentences the table supports: the largest components and what each choice saves."""
    rest_x86, rest_arm, http_x86 = (
        totals[name] for name in ("REST API, x86_64", "REST API, arm64", "HTTP API, x86_64")
    )
    largest = sorted(rest_arm, key=lambda component: -rest_arm[component])[:2]
    share = sum(rest_arm[c] for c in largest) / sum(rest_arm.values())
    arm_saving = sum(rest_x86.values()) - sum(rest_arm.values())
    http_saving = sum(rest_x86.values()) - sum(http_x86.values())
    return (
        f"{largest[0]} and {largest[1]} make {share:.0%} of the total. arm64 saves {money(arm_saving)} a month "
        f"(only Lambda's GB-second price changes; the same durations are assumed on both, which is "
        f"conservative for arm64); the HTTP API rate would save {money(http_saving)}."
    )


def write(deployed: Deployment, traffic: Traffic, table: PriceTable) -> None:
    chart(variant_totals(deployed, traffic, table), CHART)
    DOC.write_text(markdown(deployed, traffic, table), encoding="utf-8")


def markdown(deployed: Deployment, traffic: Traffic, table: PriceTable) -> str:
    totals = variant_totals(deployed, traffic, table)
    names = list(totals)
    components = list(dict.fromkeys(component for by in totals.values() for component in by))
    rows = ["| component | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    rows += [f"| {c} | " + " | ".join(money(totals[n].get(c, 0.0)) for n in names) + " |" for c in components]
    rows.append("| **total** | " + " | ".join(f"**{money(sum(totals[n].values()))}**" for n in names) + " |")
    price_rows = ["| price | amount | per | status | source |", "|---|---:|---|---|---|"]
    price_rows += [
        f"| `{key}` | {price.amount:g} | {price.per:g} {price.unit} | {price.status} | {price.source} |"
        for key, price in table.prices.items()
    ]
    assumption_rows = [f"- `{key}` = {value}" for key, value in asdict(Assumptions()).items()]
    text = f"""# What cartflow costs a month

Written by `make cost-doc` (`python -m cartcost --doc`); do not edit by hand. For one environment's
own figures run `make cost ENV=dev|staging|prod [ADDS_PER_MONTH=...] [REMOVES=...] [CHECKOUTS=...] [FREE_TIER=1]`.

Settings of **{deployed.environment}** in {deployed.region}: memory, timeouts and batching from
`cartflow/contract/stack.json`; from the environment and the module: log retention
{deployed.log_retention_days} days, archive retention {deployed.archive_retention_days} days, \
{deployed.alarms} alarms, {deployed.kms_keys} KMS key(s), {deployed.dashboards} dashboard(s). \
Traffic: {traffic.adds:,} adds, {traffic.removes:,} removes, {traffic.checkouts:,} checkouts, \
so at most {traffic.reminders:,} reminders.
Prices of {table.as_of}, without free tiers. Only the API type and the architecture change
between the columns; the stack deploys the REST API today (the HTTP API columns price the same
requests at the HTTP API rate).

![cost per 1M adds by component](cost.png)

{chr(10).join(rows)}

{findings(totals)} Turning SnapStart {"off" if deployed.snapstart else "on"} would change the total by \
{money(snapstart_change(deployed, traffic, table))} (snapshot caching and restores, minus the INIT time it saves).

## Prices (`cartcost/price_tables/{table.region}.json`)

"unverified" means the stored sources reachable from here show another region's figure or none;
check them on the AWS pricing pages before relying on a total.

{chr(10).join(price_rows)}

## Assumptions (`cartcost/assumptions.py`; estimates, not measurements on AWS)

{chr(10).join(assumption_rows)}

Not counted: data transfer out, CloudWatch custom metrics (Powertools EMF), SNS alarm
notifications, Cognito users (auth = "cognito"), KMS key rotation's extra key material, and
pricing tiers beyond the first.
"""
    return text
