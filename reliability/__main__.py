"""`make reliability`: the eleven scenarios at full size on one local stack, and the published table.

Prints each scenario's figures as it finishes; with ``--write FILE`` replaces the table between
the markers in that file (docs/reliability.md) with this run's, stamped with the command and date.
Exit status 1 when any scenario lost or duplicated something or missed an expectation.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reliability import scenarios
from reliability.harness import Harness, Outcome

BEGIN, END = "<!-- reliability-table:begin -->", "<!-- reliability-table:end -->"
COMMAND = "make reliability"


# Scenario 9's published size: a burst of due reminders well above a minute of SES's default rate.
BURST = 500


def full_run(h: Harness, burst: int = BURST) -> list[Callable[[], Outcome]]:
    """The scenarios in their documented order, at full size (docs/reliability.md)."""
    return [
        lambda: scenarios.bad_input(h, 1000),
        lambda: scenarios.at_least_once(h, users=10, products=3),
        lambda: scenarios.ses_outage(h, 20),
        lambda: scenarios.crashes(h, timeouts=True),
        lambda: scenarios.load(h, adds=1000, users=100),
        lambda: scenarios.poison(h, 9),
        lambda: scenarios.cancelled_before_late_adds(h, users=10, products=3),
        lambda: scenarios.replayed_journey(h, users=10),
        lambda: scenarios.ses_rate_burst(h, count=burst),
        lambda: scenarios.create_schedule_burst(h, adds=50, rate=0.5),
        lambda: scenarios.checkout_burst(h, users=40, products=2, list_rate=1),
    ]


def table(outcomes: list[Outcome], total_seconds: float) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = [
        "| Scenario | What was done | Figures | Lost | Duplicated | Held |",
        "|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        figures = "; ".join(f"{name}: {value}" for name, value in outcome.figures.items())
        held = "yes" if outcome.ok else "NO: " + "; ".join(outcome.failures)
        rows.append(
            f"| {cell(outcome.scenario)} | {cell(outcome.done)} | {cell(figures)} | {outcome.lost} | "
            f"{outcome.duplicated} | {cell(held)} |"
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Produced by `{COMMAND}` on {stamp} in {total_seconds:.0f} s "
        f"(scenario times: {', '.join(f'{o.scenario.split(".")[0]}: {o.seconds:.0f} s' for o in outcomes)}).\n\n"
        + "\n".join(rows)
    )


def write_table(path: Path, text: str) -> None:
    document = path.read_text(encoding="utf-8")
    head, begin, rest = document.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"error: {path} has no {BEGIN} … {END} markers")
    path.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reliability", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dist", default="dist", type=Path, help="folder with build.py's zips")
    parser.add_argument(
        "--workdir", default=Path(".local/reliability"), type=Path, help="outbox, function logs and timeline.log"
    )
    parser.add_argument("--write", type=Path, help="rewrite the table in this Markdown file")
    parser.add_argument(
        "--only", type=int, action="append", metavar="N", help="run only scenario N (repeatable; not with --write)"
    )
    parser.add_argument(
        "--ses-rate", type=int, help="send_reminder's SES_MAX_SEND_RATE and SES's quota (default: the contract's)"
    )
    parser.add_argument("--burst", type=int, default=BURST, help="reminders in scenario 9's burst")
    args = parser.parse_args(argv)
    if (args.only or args.ses_rate or args.burst != BURST) and args.write:
        parser.error("--only, --ses-rate and --burst run another table than the published one: no --write")
    started = time.monotonic()
    outcomes = []
    with Harness(args.dist, args.workdir, ses_max_send_rate=args.ses_rate) as h:
        chosen = full_run(h, args.burst)
        for scenario in [chosen[n - 1] for n in args.only] if args.only else chosen:
            began = time.monotonic()
            outcome = scenario()
            outcome.seconds = time.monotonic() - began
            print(outcome.summary(), flush=True)
            outcomes.append(outcome)
    total = time.monotonic() - started
    print(f"{sum(o.ok for o in outcomes)}/{len(outcomes)} scenarios held in {total:.0f} s", flush=True)
    if args.write is not None:
        write_table(args.write, table(outcomes, total))
    return 0 if all(outcome.ok for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
