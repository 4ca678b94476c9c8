"""``make cost``: print one environment's monthly cost, or (--doc) rewrite docs/cost.md and its chart."""

from __future__ import annotations

import argparse
import sys

from cartcost import deployment, doc, estimate, prices, report
from cartcost.assumptions import Assumptions
from cartcost.usage import Traffic, compute, default_traffic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cartcost", description=__doc__)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--adds", type=int, default=1_000_000, help="items added to carts a month")
    parser.add_argument("--removes", type=int, help="items removed a month (default: a fifth of the adds)")
    parser.add_argument("--checkouts", type=int, help="checkouts a month (default: a tenth of the adds)")
    parser.add_argument("--free-tier", action="store_true", help="subtract the monthly free-tier allowances")
    parser.add_argument("--doc", action="store_true", help="write docs/cost.md and docs/cost.png instead")
    arguments = parser.parse_args(argv)
    default = default_traffic(arguments.adds)
    traffic = Traffic(
        adds=arguments.adds,
        removes=default.removes if arguments.removes is None else arguments.removes,
        checkouts=default.checkouts if arguments.checkouts is None else arguments.checkouts,
    )
    try:
        deployed = deployment.read(arguments.env)
        table = prices.load(deployed.region)
    except (deployment.DeploymentError, prices.PriceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if arguments.doc:
        doc.write(deployed, traffic, table)
        return 0
    usage = compute(deployed, traffic, Assumptions())
    lines = estimate.price_lines(usage, table, free_tier=arguments.free_tier)
    sys.stdout.write(report.render(deployed, traffic, usage, lines, table, free_tier=arguments.free_tier))
    return 0


if __name__ == "__main__":
    sys.exit(main())
