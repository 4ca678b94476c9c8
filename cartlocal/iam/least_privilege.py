"""Least privilege, measured: ``python -m cartlocal.iam.least_privilege [--write docs/aws-fidelity.md]``.

For every statement of every policy the local stack enforces (function roles, the API and
Scheduler roles, their trust policies, the queue policies, the key policy and the permissions
boundary every stack role carries), the local journey
(cartlocal.journey, what `make demo` runs) is run once with that one statement removed. A
statement whose removal breaks a named expectation is needed, and the table says which
expectation; one whose removal breaks nothing is reported unused by the journey, to be removed
or justified. The table goes between markers in docs/aws-fidelity.md; ``--policy`` measures
only the policies named and rewrites their rows there, keeping the others' as they were.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from cartlocal.iam import local as iam_local
from cartlocal.journey import DELAY_SECONDS, Journey
from cartlocal.local_stack import LocalStack, Options
from cartlocal.timeline import Timeline

BEGIN, END = "<!-- authz-report:begin -->", "<!-- authz-report:end -->"


@dataclass(frozen=True)
class Measured:
    """One statement and what the journey lost without it."""

    policy: str
    sid: str
    broken: tuple[str, ...]
    denials: int


def statements(outputs: dict[str, Any]) -> Iterator[tuple[str, tuple[str, ...], int, str]]:
    """(policy label, path to its document in the outputs, statement index, Sid) of every statement."""
    documents: list[tuple[str, tuple[str, ...]]] = [
        *((f"function {fn}", ("function_policies", fn)) for fn in sorted(outputs["function_policies"])),
        *(
            (f"function {fn} runtime", ("function_runtime_policies", fn))
            for fn in sorted(outputs["function_runtime_policies"])
        ),
        ("scheduler role", ("scheduler_role_policy",)),
        ("api role", ("api_role_policy",)),
        ("api role trust", ("trust_policies", "api_role")),
        ("scheduler role trust", ("trust_policies", "scheduler_role")),
        *((f"queue {queue}", ("queue_policies", queue)) for queue in sorted(outputs["queue_policies"])),
        ("rule-target DLQ", ("rule_target_dlq_policy",)),
        ("key policy", ("kms_key_policy",)),
        ("permissions boundary", ("permissions_boundary",)),
    ]
    for label, path in documents:
        document = json.loads(_get(outputs, path))
        for index, statement in enumerate(document["Statement"]):
            yield label, path, index, str(statement.get("Sid") or f"#{index + 1}")


def _get(outputs: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = outputs
    for key in path:
        value = value[key]
    return str(value)


def without(outputs: dict[str, Any], path: tuple[str, ...], index: int) -> dict[str, Any]:
    """The outputs with statement ``index`` of the document at ``path`` removed."""
    changed = copy.deepcopy(outputs)
    holder: Any = changed
    for key in path[:-1]:
        holder = holder[key]
    document = json.loads(holder[path[-1]])
    del document["Statement"][index]
    if not document["Statement"]:  # an empty policy is no policy: it allows nothing
        document["Statement"] = [{"Effect": "Deny", "Action": "none:None", "Resource": "*"}]
    holder[path[-1]] = json.dumps(document)
    return changed


def journey(outputs: dict[str, Any] | None, dist: Path, workdir: Path) -> tuple[tuple[str, ...], int]:
    """Failed expectations and denials of one journey authorized with ``outputs``."""
    options = Options(dist=dist, workdir=workdir, reminder_delay_seconds=DELAY_SECONDS, contract_outputs=outputs)
    local = LocalStack(options, Timeline(stream=io.StringIO()))
    try:
        with local:
            expectations = Journey(local, DELAY_SECONDS).run()
    except ClientError as error:
        # e.g. the event source mapping cannot read its queue: on AWS its creation fails.
        return (f"the local stack does not start ({error.response['Error']['Code']})",), len(local.denials)
    return tuple(e.description for e in expectations if not e.held), len(local.denials)


def measure(name: str, dist: Path, workdir: Path, policies: frozenset[str] = frozenset()) -> list[Measured]:
    """Every statement's row; ``policies``: only those policy labels (all when empty)."""
    outputs = iam_local.contract_outputs(name)
    broken, denials = journey(outputs, dist, workdir)
    if broken or denials:
        raise SystemExit(
            f"the journey fails with every statement in place ({broken}, {denials} denials): fix that first"
        )
    measured = []
    for label, path, index, sid in statements(outputs):
        if policies and label not in policies:
            continue
        broken, denials = journey(without(outputs, path, index), dist, workdir)
        measured.append(Measured(label, sid, broken, denials))
        print(f"{label} {sid}: {'breaks ' + '; '.join(broken) if broken else 'unused by the journey'}", file=sys.stderr)
    return measured


def table(measured: list[Measured]) -> str:
    rows = [
        "| Policy | Statement | Without it, the local journey | Denials |",
        "| --- | --- | --- | --- |",
    ]
    for m in measured:
        outcome = "breaks: " + "; ".join(m.broken) if m.broken else "**unused by the journey**"
        rows.append(f"| {m.policy} | `{m.sid}` | {outcome} | {m.denials} |")
    return "\n".join(rows)


def _sections(document: Path) -> tuple[str, str, str]:
    """The text before the table's markers, the table between them, and the text after."""
    text = document.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{document}: no {BEGIN} / {END} markers")
    head, _, rest = text.partition(BEGIN)
    between, _, tail = rest.partition(END)
    return head, between, tail


def write(document: Path, rendered: str) -> None:
    head, _, tail = _sections(document)
    document.write_text(f"{head}{BEGIN}\n{rendered}\n{END}{tail}", encoding="utf-8")


def merged(document: Path, measured: list[Measured], outputs: dict[str, Any]) -> list[Measured]:
    """Every statement's row: the measured ones, the others as ``document``'s table has them.

    The rows follow today's statements, so a statement no policy holds any more loses its row; a
    statement of a policy not measured that the table lacks is an error (measure its policy).
    """
    _, between, _ = _sections(document)
    kept: dict[tuple[str, str], Measured] = {}
    for line in between.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[3].isdigit():  # a statement's row, not the header or its rule
            outcome = cells[2].removeprefix("breaks: ")
            broken = () if outcome == "**unused by the journey**" else tuple(outcome.split("; "))
            kept[(cells[0], cells[1].strip("`"))] = Measured(cells[0], cells[1].strip("`"), broken, int(cells[3]))
    fresh = {(m.policy, m.sid): m for m in measured}
    rows = []
    for label, _, _, sid in statements(outputs):
        row = fresh.get((label, sid)) or kept.get((label, sid))
        if row is None:
            raise SystemExit(f"{document} has no row for {label} {sid}: measure that policy too (--policy {label!r})")
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cartlocal.iam.least_privilege", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--dist", default="dist")
    parser.add_argument("--workdir", default=".local/authz-report")
    parser.add_argument("--write", type=Path, help="replace the table between the markers of this file")
    parser.add_argument("--policy", action="append", default=[], help='only this policy (e.g. "permissions boundary")')
    args = parser.parse_args(argv)
    measured = measure("cartflow-local", Path(args.dist), Path(args.workdir), frozenset(args.policy))
    if args.policy and args.write:
        measured = merged(args.write, measured, iam_local.contract_outputs("cartflow-local"))
    rendered = table(measured)
    if args.write:
        write(args.write, rendered)
    print(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
