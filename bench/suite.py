"""Row 6: how long the test suite takes, the way a developer runs it (`make test-fast`, then pytest).

Each is run once: they take seconds to minutes and load both CPUs, so repeating them would make
the bench longer than the figures are worth. The pytest command is the one `make test` runs,
read from `make -n test`, so the row follows whatever options the Makefile gives it; only
pytest is timed, not the lint and type checks `make test` runs beside it. The suite needs what
`make pytest` installs before it (the checkov venv, the console's assets): run `make pytest` once
first, or the row shows the failing exit code.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from pathlib import Path
from typing import Any

# The goals: `make test-fast` within 20 s, a fresh-clone CI run within 240 s.
FAST_GOAL_SECONDS = 20.0
SUITE_GOAL_SECONDS = 240.0


def pytest_command(root: Path) -> list[str]:
    """The pytest line of `make test`, as make would run it."""
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "test"],  # noqa: S607  # make from PATH, as a developer runs it
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in planned.stdout.splitlines() if " -m pytest" in line]
    if len(lines) != 1:
        raise SystemExit(f"bench suite: expected one pytest line in `make -n test`, got {lines}")
    return shlex.split(lines[0])


def _timed(command: list[str], root: Path) -> dict[str, Any]:
    """Wall seconds of one run of ``command``, whether it passed (its last output line) and what failed."""
    started = time.monotonic()
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)  # noqa: S603
    seconds = time.monotonic() - started
    lines = result.stdout.strip().splitlines()
    # pytest's short summary names each failed test on a line of its own.
    failed = [line.split()[1] for line in lines if line.startswith(("FAILED ", "ERROR "))]
    return {
        "command": shlex.join(command),
        "seconds": seconds,
        "returncode": result.returncode,
        "outcome": (lines or [""])[-1].strip("= "),
        "failed": failed,
    }


def measure(root: Path) -> dict[str, Any]:
    """`make test-fast` and `make test`'s pytest, once each."""
    return {
        "fast": _timed(["make", "--no-print-directory", "test-fast"], root) | {"goal_s": FAST_GOAL_SECONDS},
        "suite": _timed(pytest_command(root), root) | {"goal_s": SUITE_GOAL_SECONDS},
    }
