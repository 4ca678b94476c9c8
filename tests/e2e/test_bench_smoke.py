"""The bench's smoke mode still runs end to end and writes a well-formed table (never its timings).

`make bench` is not part of `make test` (it takes minutes and its figures are measurements);
running its smoke mode keeps every row's code path working, so the bench cannot rot. It is a
check of the bench, not of cartflow, so `make test` leaves it out too: `make bench-smoke` runs
it, and so does ci.yml's bench job on every pull request.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report
from tests.helpers.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.bench]

ROW_NUMBERS = {"1", "2", "3", "4", "5", "6"}


def generated_rows(markdown: str) -> list[list[str]]:
    """The cells of the summary table between the bench's markers."""
    section = markdown.split(report.BEGIN, 1)[1].split(report.END, 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split(" | ")]
    assert header == list(report.HEADER)
    rows = []
    for line in lines[2:]:  # after the header and its --- line
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if cells[0] not in ROW_NUMBERS:
            break  # the next table (cold-init spread) begins
        rows.append(cells)
    return rows


@pytest.mark.usefixtures("built_dist")
def test_smoke_writes_a_well_formed_table(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]

    rows = generated_rows((tmp_path / "benchmarks.md").read_text(encoding="utf-8"))
    assert {row[0] for row in rows} == ROW_NUMBERS
    assert all(len(row) == len(report.HEADER) for row in rows)
    functions = sorted(path.name for path in (ROOT / "functions").iterdir() if (path / "app.py").exists())
    for number in ("1", "2", "5"):  # one line per function in the per-function rows
        assert sorted(row[1].split(", ", 1)[1].split(" ")[0] for row in rows if row[0] == number) == functions
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    results = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert {"cold_init", "warm", "packaging", "e2e", "suite", "memory_size", "meta"} <= set(results)
    assert results["meta"]["smoke"] is True
