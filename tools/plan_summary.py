"""Markdown summary of a saved Terraform plan, for the GitHub job summary approvers read.

Why this exists: approvers of a protected environment approve the apply job; the plan job before
it saves the plan and writes this summary, so they see exactly which resources the approved apply
will create, update, replace or destroy. Reads `terraform show -json <planfile>` on stdin.

    python tools/terraform.py -chdir=DIR show -json tfplan | python tools/plan_summary.py --env dev
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any, TextIO

# How Terraform's action lists read to a person; order is the table's.
ACTIONS = {
    ("create",): "create",
    ("update",): "update",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("delete",): "destroy",
}


def changes(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(action, address) of every resource the plan changes, in Terraform's order; no-ops left out."""
    found = []
    for change in plan.get("resource_changes", []):
        actions = tuple(change["change"]["actions"])
        if actions in (("no-op",), ("read",)):
            continue
        found.append((ACTIONS.get(actions, "/".join(actions)), str(change["address"])))
    return found


def summary(plan: dict[str, Any], environment: str) -> str:
    """The job summary: a headline of counts, then one row per changed resource."""
    found = changes(plan)
    counts = Counter(action for action, _ in found)
    order = ["create", "update", "replace", "destroy"]
    headline = ", ".join(f"{counts[a]} to {a}" for a in order if counts[a]) or "no changes"
    lines = [f"### Terraform plan for `{environment}`: {headline}", ""]
    if plan.get("output_changes"):
        lines += [f"Outputs changing: {', '.join(sorted(plan['output_changes']))}", ""]
    if found:
        lines += ["| Action | Resource |", "| --- | --- |"]
        lines += [f"| {action} | `{address}` |" for action, address in found]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--env", required=True, help="environment the plan is for")
    arguments = parser.parse_args(argv)
    try:
        plan = json.load(stdin)
    except json.JSONDecodeError as error:
        print(f"error: stdin is not `terraform show -json` output ({error})", file=sys.stderr)
        return 1
    stdout.write(summary(plan, arguments.env))
    return 0


if __name__ == "__main__":
    sys.exit(main())
