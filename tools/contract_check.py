"""`make contract-check BASE=<git ref or release id>` (or ENV=<env>): may this contract follow BASE's?

Compares every event's detail schema (cartflow/contract/events.json) in the working tree with the
one at BASE, classifies each change (tools/contract_compat.py) and fails when a change breaks
consumers, producers or the replay of archived events while the event's ``version`` in
events.json was not raised: a breaking change must be a deliberate, announced one. CI runs it
against the release prod runs, so what reaches prod is compatible with what prod runs now.
A release id (``<12 hex digits of the commit>-<12 hex digits>``, cartship) names its commit;
ENV reads the commit of the release an environment runs from its cartship pointer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from cartship import pointers
from cartship.store import ArtifactStore
from tools.contract_compat import BREAKING, Change, Finding, classify

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "cartflow/contract"
_RELEASE_ID = re.compile(r"^(?P<commit>[0-9a-f]{12})-[0-9a-f]{12}$")

Reader = Callable[[str], Any]


def resolve(repo: Path, base: str) -> str:
    """The commit ``base`` names: a release id's commit prefix, or any git revision."""
    match = _RELEASE_ID.match(base)
    revision = match["commit"] if match else base
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell  # nosec B607 - git from PATH, as every developer tool here
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        kind = "release" if match else "git revision"
        raise SystemExit(f"contract-check: {kind} {base!r} is not a commit of {repo} (fetch its history?)")
    return result.stdout.strip()


def running(environment: str) -> str | None:
    """The commit of the release ``environment`` runs (cartship's pointer); None if it never had one."""
    store = ArtifactStore(boto3.client("s3"), os.environ.get("CARTSHIP_BUCKET", ""))
    pointer = pointers.read(store, environment)
    return None if pointer is None else pointer.current.commit


def at_commit(repo: Path, commit: str) -> Reader:
    """Read contract files as they were at ``commit``."""

    def read(relative: str) -> Any:
        shown = subprocess.run(  # noqa: S603 - fixed argument list, no shell  # nosec B607 - git from PATH
            ["git", "-C", str(repo), "show", f"{commit}:{CONTRACT}/{relative}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(shown.stdout)

    return read


def in_tree(repo: Path) -> Reader:
    """Read contract files from the working tree."""
    return lambda relative: json.loads((repo / CONTRACT / relative).read_text(encoding="utf-8"))


def catalog(read: Reader) -> dict[str, dict[str, Any]]:
    """Every event keyed ``source/detail-type``, with its schema loaded and its version (1 if unset)."""
    return {
        f"{entry['source']}/{entry['detail_type']}": {
            "version": entry.get("version", 1),
            "schema": read(entry["schema"]),
        }
        for entry in read("events.json")["events"]
    }


def compare(base: dict[str, dict[str, Any]], head: dict[str, dict[str, Any]]) -> tuple[list[str], bool]:
    """Report lines for every event, and whether the change may ship."""
    lines, ok = [], True
    for key in sorted(base.keys() | head.keys()):
        if key not in base:
            findings = [Finding(Change.ADDITIVE, "event", "new event type")]
        elif key not in head:
            findings = [Finding(change, "event", "event type removed") for change in sorted(BREAKING)]
        else:
            findings = classify(base[key]["schema"], head[key]["schema"])
        if not findings:
            continue
        before = base.get(key, {}).get("version")
        after = head.get(key, {}).get("version")
        breaking = any(finding.change in BREAKING for finding in findings)
        # A removed event type has no version left to raise: removing one always needs a person.
        bumped = before is None or (after is not None and after > before)
        verdict = "ok" if not breaking or bumped else "FAIL: breaking change without a version bump"
        ok = ok and (not breaking or bumped)
        lines.append(f"{key} v{before or '-'} -> v{after or '-'}: {verdict}")
        lines += [f"  {finding}" for finding in findings]
    return lines or ["no event schema changed"], ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    base = parser.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", help="git ref or cartship release id to compare against")
    base.add_argument("--env", help="compare against the release this environment runs ($CARTSHIP_BUCKET)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout (default: this one)")
    arguments = parser.parse_args(argv)
    named = arguments.base or running(arguments.env)
    if named is None:
        print(f"contract-check: {arguments.env} runs no release yet, so no contract to stay compatible with")
        return 0
    commit = resolve(arguments.repo, named)
    lines, ok = compare(catalog(at_commit(arguments.repo, commit)), catalog(in_tree(arguments.repo)))
    print(f"contract-check against {arguments.base or f'the release {arguments.env} runs'} ({commit[:12]})")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
