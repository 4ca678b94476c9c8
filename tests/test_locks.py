"""Every lock is fully hash-pinned, and the locks agree on the packages they share.

The handlers are tested in .venv (root lock) but run from zips built from their own locks, and
`make demo` runs the local runtime from cartlocal's lock: a version that differs between them
would mean testing something other than what runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCKS = sorted(path.relative_to(ROOT) for path in ROOT.glob("**/requirements.txt") if ".venv" not in str(path))
SHARED_WITH_ROOT = [lock for lock in LOCKS if lock.parts[0] in {"functions", "cartlocal"}]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall((ROOT / lock).read_text())}


@pytest.mark.parametrize("lock", LOCKS, ids=str)
def test_every_requirement_is_pinned_with_hashes(lock: Path) -> None:
    requirements = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
    entries = [entry for entry in requirements if entry and not entry.startswith("#")]
    assert entries, f"{lock} pins nothing"
    for entry in entries:
        assert PIN.match(entry), f"{lock}: not pinned with ==: {entry.splitlines()[0]}"
        assert "--hash=sha256:" in entry, f"{lock}: no hash for {entry.splitlines()[0]}"


@pytest.mark.parametrize("lock", SHARED_WITH_ROOT, ids=str)
def test_locks_agree_with_the_root_lock(lock: Path) -> None:
    root, own = pins(Path("requirements.txt")), pins(lock)
    differing = {name: (version, root[name]) for name, version in own.items() if name in root and root[name] != version}
    assert differing == {}, f"{lock} vs requirements.txt: {differing}"
    assert set(own) <= set(root), f"{lock} pins packages the tests never install: {set(own) - set(root)}"
