"""Every lock is fully hash-pinned, and the locks agree on the packages they share.

The handlers are tested in .venv (root lock) but run from zips built from their own locks, and
`make demo` runs the local runtime from cartlocal's lock: a version that differs between them
would mean testing something other than what runs.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartbuild.locks import canonical_name
from tests.helpers.paths import ROOT

LOCKS = sorted(path.relative_to(ROOT) for path in ROOT.glob("**/requirements.txt") if ".venv" not in str(path))
SHARED_WITH_ROOT = [lock for lock in LOCKS if lock.parts[0] in {"functions", "cartlocal"}]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.MULTILINE)
FUNCTIONS = sorted(path.parent for path in ROOT.glob("functions/*/app.py"))


def pins(lock: Path) -> dict[str, str]:
    return {canonical_name(name): version for name, version in PIN.findall((ROOT / lock).read_text())}


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


def _imports(source: Path) -> Iterator[tuple[str, list[str]]]:
    """(module, imported names) of every runtime import in ``source``; `if TYPE_CHECKING:` skipped."""
    tree = ast.parse(source.read_text(), str(source))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, [alias.name for alias in node.names]


def _first_party_file(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def third_party_imports(*entry_points: Path) -> set[str]:
    """Top-level third-party modules the entry points import, following this repository's modules."""
    seen: set[Path] = set()
    pending, found = list(entry_points), set()
    while pending:
        source = pending.pop()
        if source in seen:
            continue
        seen.add(source)
        for module, names in _imports(source):
            top = module.split(".")[0]
            if _first_party_file(top) is not None:
                targets = [_first_party_file(module), *(_first_party_file(f"{module}.{name}") for name in names)]
                pending.extend(target for target in targets if target is not None)
            elif top not in sys.stdlib_module_names:
                found.add(top)
    return found


@pytest.mark.parametrize(
    ("lock", "code"),
    [
        # make package / demo / local / invoke run build.py and cartlocal from .venv-local.
        ("cartlocal/requirements.txt", ["build.py", "cartbuild", "cartlocal"]),
        *((f"functions/{fn.name}/requirements.txt", [f"functions/{fn.name}"]) for fn in FUNCTIONS),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_each_lock_provides_every_third_party_import_of_the_code_it_runs(lock: str, code: list[str]) -> None:
    sources = [
        path for entry in code for path in ([ROOT / entry] if entry.endswith(".py") else (ROOT / entry).rglob("*.py"))
    ]
    distributions = importlib.metadata.packages_distributions()
    needed = {
        canonical_name(dist) for module in third_party_imports(*sources) for dist in distributions.get(module, [module])
    }
    assert needed - set(pins(Path(lock))) == set(), f"{lock} lacks what {', '.join(code)} import"
