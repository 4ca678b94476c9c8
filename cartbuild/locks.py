"""Reading a function's pip-compile lock: every requirement pinned with ``==`` and its ``--hash``es.

The hashes, not an index, decide which bytes a build accepts, so a lock that pins anything less
(no hash, a range, an environment marker) is refused with the line that breaks the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cartbuild.errors import BuildError
from cartbuild.files import display

REQUIREMENT_LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)(?P<rest>.*)$")
HASH_OPTION = re.compile(r"--hash[= ]sha256:(?P<hex>[0-9a-f]{64})")


def canonical_name(name: str) -> str:
    """PEP 503's normalised project name (packaging's canonicalize_name, without its import cost)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    """One pinned line of a lock file."""

    name: str
    version: str
    hashes: tuple[str, ...]


def read_lock(path: Path) -> tuple[Requirement, ...]:
    """Parse a pip-compile lock; every requirement must be ``name==version`` with ``--hash``es.

    Option lines (pip-compile copies the host's index settings into them) are ignored on
    purpose: where wheels come from is decided here, and the hashes decide what is accepted.
    """
    if not path.is_file():
        raise BuildError(f"{display(path)}: lock file missing (run `make lock`)")
    logical: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        if pending.strip():
            logical.append((start, pending.strip()))
        pending = ""
    requirements: list[Requirement] = []
    for number, line in logical:
        if line.startswith("-"):
            continue
        match = REQUIREMENT_LINE.match(line)
        hashes = tuple(sorted(HASH_OPTION.findall(line)))
        if match is None or not hashes or ";" in line:
            raise BuildError(f"{display(path)}:{number}: not pinned with == and --hash: {line.split()[0]}")
        requirements.append(Requirement(canonical_name(match["name"]), match["version"], hashes))
    return tuple(sorted(requirements, key=lambda requirement: requirement.name))
