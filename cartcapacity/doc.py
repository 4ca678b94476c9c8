"""docs/capacity.md and docs/capacity.png, written by ``make capacity-doc`` from the model ``make capacity`` prints.

The document states the first quota that binds on each path at default quotas, lists every quota
with its source, shows the calls each operation is counted by, and weighs the built checkout (no
listing) against the earlier one and the other alternative; nothing in it is typed by hand.
"""

from __future__ import annotations

from pathlib import Path

from cartcapacity import designs, model
from cartcapacity.calls import OPERATIONS, Cart, handler, operation_calls
from cartcapacity.environment import Environment
from cartcapacity.model import Binding, Capacity
from cartcapacity.report import number
from cartcost import prices
from cartcost.assumptions import Assumptions
from cartcost.deployment import ROOT
from cartcost.report import money

DOC = ROOT / "docs" / "capacity.md"
CHART = ROOT / "docs" / "capacity.png"
# The document's traffic: the binding rates do not depend on the rate itself, only on its shape.
SHAPE = model.Shape(adds_per_second=10.0, peak_factor=1.0, cart=Cart(1))
COLOURS = {"confirmed": "tab:blue", "unverified": "tab:orange", "setting": "tab:grey"}


def capacity(environment: Environment, calls_of: model.CallsOf = operation_calls) -> Capacity:
    return model.build(environment, SHAPE, Assumptions(), calls_of)


def chart(built: Capacity, path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - only the document needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = sorted((row for row in built.rows if row.binds_at is not None), key=lambda row: row.binds_at or 0.0)
    figure, axes = plt.subplots(figsize=(9, 6))
    labels = [row.quota.key for row in rows]
    axes.barh(labels, [row.binds_at or 0.0 for row in rows], color=[COLOURS[row.quota.status] for row in rows])
    axes.set_xscale("log")
    axes.invert_yaxis()
    axes.set_xlabel("average adds per second at which the quota is used up (log scale)")
    axes.set_title(f"cartflow-{built.environment.deployed.environment}: where each quota binds")
    for status, colour in COLOURS.items():
        axes.bar(0, 0, color=colour, label=status)
    axes.legend(loc="upper right", fontsize=8)
    axes.tick_params(axis="y", labelsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)


def write(environment: Environment) -> None:
    built = capacity(environment)
    chart(built, CHART)
    DOC.write_text(markdown(built), encoding="utf-8")


def binding_cell(binding: Binding | None) -> str:
    if binding is None:
        return "none"
    return f"`{binding.row.quota.key}` ({binding.row.quota.status})"


def first_binding_rows(built: Capacity) -> list[str]:
    rows = [
        "| path | first AWS quota that binds | adjustable | at adds/s | = the path's own rate | "
        "first per-second quota | an environment setting binds first |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for name in OPERATIONS:
        aws = built.first_binding(name, settings=False)
        if aws is None:
            continue
        per_second = built.first_binding(name, settings=False, measures=("per_second",))
        own = built.first_binding(name, settings=True)
        earlier = (
            f"`{own.row.quota.key}` at {number(own.adds_per_second)} adds/s"
            if own is not None and own.row is not aws.row
            else "no"
        )
        rows.append(
            f"| {name} | `{aws.row.quota.key}`: {aws.row.quota.name} ({aws.row.quota.status}) | "
            f"{'yes' if aws.row.quota.adjustable else 'no'} | {number(aws.adds_per_second)} | "
            f"{number(aws.operations_per_second)} {name}s/s | "
            f"{binding_cell(per_second) if per_second and per_second.row is not aws.row else 'the same'} | {earlier} |"
        )
    return rows


def quota_rows(built: Capacity) -> list[str]:
    rows = [
        "| quota | service | default | unit | adjustable | status | "
        + " | ".join(f"per {name}" for name in OPERATIONS)
        + " | binds at adds/s | source | read |",
        "|---|---|---:|---|---|---|" + "---:|" * len(OPERATIONS) + "---:|---|---|",
    ]
    for row in built.rows:
        quota = row.quota
        units = " | ".join(number(row.units[name]) for name in OPERATIONS)
        rows.append(
            f"| `{quota.key}` {quota.name} | {quota.service} | {number(quota.default)} | {quota.unit} | "
            f"{'yes' if quota.adjustable else 'no'} | {quota.status} | {units} | {number(row.binds_at)} | "
            f"{quota.source} | {quota.read or 'each run'} |"
        )
    return rows


def call_lines() -> list[str]:
    lines = []
    for name in OPERATIONS:
        calls = operation_calls(name, SHAPE.cart)
        described = ", ".join(
            f"{call.actor} {call.action}{f' ({call.target})' if call.target else ''} x{number(call.count)}"
            f"{f' per batch of {call.batch_of}' if call.batch_of else ''}"
            for call in calls
        )
        lines.append(f"- **{name}** (handler `{handler(name)}`): {described}")
    return lines


def design_rows(environment: Environment) -> list[str]:
    table = prices.load(environment.deployed.region)
    shares = SHAPE.shares()
    built_cost = designs.cost_per_million_adds(designs.DESIGNS[0], shares, SHAPE.cart, environment, table)
    rows = [
        "| design | what changes | Scheduler API calls per checkout | checkout's first AWS quota | at adds/s "
        "| reminder's first AWS quota | billed calls per 1M adds | vs built |",
        "|---|---|---:|---|---:|---|---:|---:|",
    ]
    for design in designs.DESIGNS:
        built = capacity(environment, design.calls_of)
        checkout = built.first_binding("checkout", settings=False)
        reminder = built.first_binding("reminder", settings=False)
        scheduler_calls = sum(
            call.count
            for call in design.calls_of("checkout", SHAPE.cart)
            if call.action.startswith("scheduler:") and call.action != "scheduler:Invocation"
        )
        cost = designs.cost_per_million_adds(design, shares, SHAPE.cart, environment, table)
        rows.append(
            f"| {design.name} | {design.summary} | {number(scheduler_calls)} | {binding_cell(checkout)} | "
            f"{number(checkout.adds_per_second if checkout else None)} | {binding_cell(reminder)} | "
            f"{money(cost)} | {'+' if cost >= built_cost else '-'}{money(abs(cost - built_cost))} |"
        )
    return rows


def markdown(built: Capacity) -> str:
    environment = built.environment
    shares = SHAPE.shares()
    stage_throttle = number(float(environment.settings["api_throttling_rate_limit"]))
    sandbox = "on" if environment.settings.get("ses_sandbox") else "off"
    checkout = built.first_binding("checkout", settings=False)
    checkout_quota = checkout.row.quota.key if checkout else "none"
    listed = capacity(environment, designs.listing).first_binding("checkout", settings=False)
    listed_quota = listed.row.quota.key if listed else "none"
    text = f"""# How far cartflow scales: AWS's quotas on each path

Written by `make capacity-doc` (`python -m cartcapacity --doc`); do not edit by hand. For one
environment at a rate run `make capacity ENV=dev|staging|prod [ADDS_PER_SECOND=10] [PEAK_FACTOR=1] [CART_ITEMS=1]`;
`BURST=500` adds how long that many due reminders take to drain.

Settings of **{environment.deployed.environment}** in {built.region}: reminder delay \
{environment.delay_seconds} s (each add holds a schedule that long), SES sandbox {sandbox}, the \
{environment.deployed.api.upper()} API with a stage throttle of {stage_throttle} requests/s per method. Traffic keeps \
`make cost`'s shape: per add, \
{number(shares["removal"])} removals, {number(shares["checkout"])} checkouts of {SHAPE.cart.items} item(s) and \
{number(shares["reminder"])} reminders; per-second quotas see the peak (here x{SHAPE.peak_factor:g}), daily quotas \
and held schedules the average. Quotas read {built.read} or later (`cartcapacity/quota_tables/{built.region}.json`).

## The first quota that binds, per path, at default quotas

Every operation scales with the add rate, so each quota is used up at one average add rate: its
default over what an add brings (the units of each operation times operations per add). The
first one on a path is the lowest of those among the quotas the path uses.

{chr(10).join(first_binding_rows(built))}

![the add rate at which each quota binds](capacity.png)

## Checkout without listing: the built design and the alternatives

Checkout used to list the user's schedules (`scheduler:ListSchedules`, one page per
{designs.LIST_PAGE} schedules), then read and delete each. ListSchedules' request rate is per
account and far below CreateSchedule's, so `{listed_quota}` capped checkouts. Now
schedule_reminder records each schedule's name on its user's record (`cartflow.pending`, one
DynamoDB write per add) and checkout reads it in the write that records the checkout, so checkout
is bound by `{checkout_quota}`, a per-schedule rate it shares with removals. The model weighs the
three designs with the same quota table and `cartcost`'s price table (billed calls only: API
requests, events, Scheduler invocations, SQS requests, Lambda requests and run time, DynamoDB
request units, emails; Scheduler's API calls and rule deliveries bill nothing). A checked-out
cart's reminders still fire under "drop at send", so their calls count as the checkout's;
schedules are held until they fire under every design (the model already counts each add's
schedule for the whole delay).

{chr(10).join(design_rows(environment))}

"pending record" keeps checkout's reads and deletes (a newer add's schedule must survive an older
checkout) and moves the bound to the per-schedule rates, at a DynamoDB write per add and one more
per checkout; "drop at send" would take Scheduler's control plane off the checkout path entirely
and pay for it in Scheduler invocations, bus events and queue traffic of every cancelled reminder,
and it would break the rule that a removal or checkout deletes the reminders' schedules.

## Every quota on the paths

Units are per operation in the quota's unit; a held quota's units are unit-seconds (a schedule
held for the delay), the concurrency quota's execution-seconds (cartcost's durations). "setting"
rows are the environment's own limits; "unverified" rows say in their source why.

{chr(10).join(quota_rows(built))}

## What each operation is counted by

The handlers' calls are those `tests/unit/test_capacity_calls.py` records against moto (the test
fails if a handler makes another call); the rest is derived from `cartflow/contract`: the route
that puts the event, the rules whose patterns match it, Scheduler's target and the event source
mapping's batch size. Counts are per operation.

{chr(10).join(call_lines())}

Not counted: re-adding an item (CreateSchedule answered ConflictException, then GetSchedule and
UpdateSchedule), an add arriving after its due time (one more GetItem), an add after a removal or
checkout (GetSchedule, DeleteSchedule if an earlier attempt created the schedule), an add that
finds schedules of its user that fired (one UpdateItem forgets them), a pending record above
1 KB (DynamoDB bills a write by the item's size), retries of any kind, SES's
email events forwarded to the bus, the API's burst buckets, Lambda's scaling rate (1,000 execution
environments per function every 10 seconds: a ramp, not a steady-state quota) and SQS's in-flight
messages (the mapping holds at most maximum_concurrency x batch_size).
"""
    return text
