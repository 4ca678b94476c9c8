"""``make capacity``: one environment's quotas at a rate, or (--doc) rewrite docs/capacity.md and its chart."""

from __future__ import annotations

import argparse
import sys

from cartcapacity import burst, doc, environment, model, quotas, report
from cartcapacity.calls import Cart
from cartcost.assumptions import Assumptions
from cartcost.deployment import DeploymentError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cartcapacity", description=__doc__)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--adds-per-second", type=float, default=10.0, help="items added to carts a second, on average")
    parser.add_argument("--peak-factor", type=float, default=1.0, help="peak rate over the average")
    parser.add_argument("--cart-items", type=int, default=1, help="items a checkout cancels (cartcost's shape: 1)")
    parser.add_argument(
        "--doc", action="store_true", help="write docs/capacity.md and docs/capacity.png (its own shape)"
    )
    parser.add_argument("--burst", type=int, help="also: how long this many reminders due at once take to drain")
    arguments = parser.parse_args(argv)
    if arguments.adds_per_second <= 0 or arguments.peak_factor < 1 or arguments.cart_items < 1:
        parser.error("the add rate must be positive, the peak factor at least 1 and a cart at least one item")
    if arguments.burst is not None and arguments.burst < 1:
        parser.error("a burst is at least one reminder")
    try:
        environment_read = environment.read(arguments.env)
        shape = model.Shape(arguments.adds_per_second, arguments.peak_factor, Cart(arguments.cart_items))
        capacity = model.build(environment_read, shape, Assumptions())
    except (DeploymentError, quotas.QuotaError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if arguments.doc:
        doc.write(environment_read)
        return 0
    sys.stdout.write(report.render(capacity))
    if arguments.burst is not None:
        rate = float(environment_read.settings["ses_max_send_rate"])
        print(f"\n{burst.drain(arguments.burst, rate, Assumptions()).line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
