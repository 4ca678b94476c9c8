"""The IAM actions Terraform's AWS provider calls per resource type, read from docs/deploy-permissions.md.

The table in that document is the one place these actions are written down, with a source per
row: the deploy role's tests check the role against it, and the stand-in's apply authorizes each
planned change with it (cartprovider/authorization.py). Reading the document itself keeps the two
from drifting apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "docs" / "deploy-permissions.md"
_TYPE = re.compile(r"`aws_[a-z0-9_]+`")
_ACTION = re.compile(r"`([a-z0-9-]+:[A-Za-z*]+)`")


@dataclass(frozen=True)
class Row:
    """One resource type: what creating, updating, tagging or deleting it calls, and what reading it calls."""

    write: frozenset[str]
    read: frozenset[str]


@cache
def coverage_table(path: Path = TABLE) -> dict[str, Row]:
    """``{resource or data source type: Row}``; a data source's row (two cells) needs no permission."""
    rows: dict[str, Row] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not _TYPE.fullmatch(cells[0]):
            continue
        if len(cells) == 2:
            rows[cells[0].strip("`")] = Row(frozenset(), frozenset())
        else:
            write, read = (frozenset(_ACTION.findall(cell)) for cell in cells[1:3])
            rows[cells[0].strip("`")] = Row(write, read)
    return rows
