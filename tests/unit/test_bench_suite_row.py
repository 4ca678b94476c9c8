"""The bench's test-suite row (row 6): the pytest command it times and how a run is judged."""

from __future__ import annotations

import shlex
from typing import Any

from bench import report, suite
from tests.helpers.paths import ROOT


def run(seconds: float, returncode: int = 0) -> dict[str, Any]:
    return {"command": "x", "seconds": seconds, "returncode": returncode, "outcome": "1 passed in 1s"}


def test_the_timed_pytest_command_is_the_one_make_test_runs() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # make test runs make pytest beside the checks: the pytest line is that target's recipe.
    recipe = makefile.split("\npytest:", 1)[1].split("\n\n", 1)[0]
    [line] = [line for line in recipe.splitlines() if " -m pytest" in line]
    command = suite.pytest_command(ROOT)
    assert command[1:3] == ["-m", "pytest"]
    # make expands the variables; every literal word of the recipe line is in the command.
    words = shlex.split(line)
    assert [word for word in words if "$(" not in word] == [word for word in command if word in words]


def test_a_run_is_met_only_within_its_goal_and_passing() -> None:
    def met(fast: dict[str, Any], whole: dict[str, Any]) -> list[bool | None]:
        results = {
            "suite": {"fast": fast | {"goal_s": 20.0}, "suite": whole | {"goal_s": 240.0}},
            "meta": {"command": "make bench"},
        }
        return [row.met for row in report.suite_rows(results, "make bench")]

    assert met(run(19.0), run(239.0)) == [True, True]
    assert met(run(21.0), run(241.0)) == [False, False]
    assert met(run(1.0, returncode=1), run(1.0, returncode=2)) == [False, False]


def test_smoke_mode_skips_the_row() -> None:
    [row] = report.suite_rows({"suite": {"skipped": "smoke mode"}}, "make bench-smoke")
    assert (row.number, row.met, row.command) == (6, None, "skipped: smoke mode")


def test_a_failed_run_names_its_failed_tests() -> None:
    failed = run(300.0, returncode=1) | {"outcome": "1 failed, 9 passed", "failed": ["tests/x.py::test_y"]}
    results = {"suite": {"fast": run(1.0) | {"goal_s": 20.0}, "suite": failed | {"goal_s": 240.0}}}
    row = report.suite_rows(results, "make bench")[1]
    assert row.ours == "300 s (**exit 1**: 1 failed, 9 passed; failed: tests/x.py::test_y)"
