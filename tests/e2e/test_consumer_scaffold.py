"""make consumer: scaffolded in a copy of this checkout, the new consumer passes its tests, runs in make demo's
local stack for its events, and no producer file changes."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAME, ON = "loyalty_points", ["ItemAddedToCart", "CartReminderSent"]
# What produces events: the API (routes, models, templates), the event catalog and schemas, and
# every existing function (two of them produce events; none may change for a new consumer).
PRODUCER_FILES = ("cartflow/contract/api", "cartflow/contract/events", "cartflow/contract/events.json", "functions")

pytestmark = pytest.mark.e2e


def digests(root: Path) -> dict[str, str]:
    files = [
        p
        for entry in PRODUCER_FILES
        for p in ([root / entry] if (root / entry).is_file() else (root / entry).rglob("*"))
    ]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def run(clone: Path, *command: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=clone, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's tracked and new files (what a fresh clone of this commit holds), with its venv."""
    clone = tmp_path_factory.mktemp("consumer-clone")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            (clone / relative).parent.mkdir(parents=True, exist_ok=True)
            (clone / relative).write_bytes(source.read_bytes())
    # The test venv serves make demo too (the root lock holds the local runtime's); the wheel
    # cache, when a build already filled it, spares downloading the functions' wheels again.
    (clone / ".venv").symlink_to(ROOT / ".venv")
    if (ROOT / ".cache").is_dir():
        (clone / ".cache").symlink_to(ROOT / ".cache")
    return clone


def test_the_scaffold_passes_its_tests_runs_locally_and_changes_no_producer(clone: Path) -> None:
    before = digests(clone)
    # -o: the venvs are this checkout's, already built from the same locks.
    run(clone, "make", "-o", "venv", "consumer", f"NAME={NAME}", f"ON={','.join(ON)}")
    after = digests(clone)
    assert {path: after.get(path) for path in before} == before
    assert sorted(set(after) - set(before)) == [
        f"functions/{NAME}/{f}" for f in ("app.py", "requirements.in", "requirements.txt")
    ]

    python = str(clone / ".venv" / "bin" / "python")
    run(clone, python, "-m", "ruff", "check", ".")
    run(clone, python, "-m", "ruff", "format", "--check", ".")
    run(clone, python, "-m", "mypy", f"functions/{NAME}/app.py", f"tests/unit/test_{NAME}.py")
    tests = [f"tests/unit/test_{NAME}.py", "tests/unit/test_contract.py", "tests/infrastructure/test_readme.py"]
    tests.append("tests/packaging/test_locks.py")
    run(clone, python, "-m", "pytest", "-q", *tests, "tests/infrastructure/test_terraform_contract.py", timeout=900)

    demo = run(clone, "make", "-o", "venv", "-o", "run-venv", "demo", "RUN_VENV=.venv", timeout=900)
    assert "7/7" in demo.stdout + demo.stderr
    # The demo's stack is built from the clone's contract: its timeline shows the consumer handed
    # (and returning) each of its events, the adds through the API and the reminder's CartReminderSent.
    returned = re.findall(rf"^\[ *[0-9.]+s\] {NAME} +returned (\{{.*\}})$", demo.stdout + demo.stderr, re.MULTILINE)
    assert sorted({json.loads(payload)["detail_type"] for payload in returned}) == sorted(ON)
