"""The bench's results as docs/benchmarks.md tables and a docs/benchmarks.png plot.

Only the part of the Markdown file between the two markers below is rewritten, so the
Packaging section and the hand-written analysis around it stay as their authors wrote them.
Every table row carries our figure, the anchor's from the same run, the ratio, the goal and
whether it was met, so a reader never has to combine figures from different runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin: written by `make bench` (bench/report.py); edits here are overwritten -->"
END = "<!-- bench:end -->"
HEADER = ("#", "what", "ours", "anchor (same run)", "ratio", "goal", "met", "command")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    """One line of the summary table."""

    number: int
    what: str
    ours: str
    anchor: str
    ratio: str
    goal: str
    met: bool | None
    command: str

    def cells(self) -> tuple[str, ...]:
        met = {True: "yes", False: "**no**", None: "—"}[self.met]
        return (str(self.number), self.what, self.ours, self.anchor, self.ratio, self.goal, met, f"`{self.command}`")


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _times(value: float) -> str:
    return f"{value:.2f}x"


def _wall_cpu(row: dict[str, Any], side: str) -> str:
    return f"{_ms(row[f'{side}_ms']['median'])} (CPU {_ms(row[f'{side}_cpu_ms']['median'])})"


def cold_init_rows(results: dict[str, Any], command: str) -> list[Row]:
    rows = []
    for function, row in results["cold_init"].items():
        clients = ", ".join(row["floor_clients"])
        rows.append(
            Row(
                1,
                f"cold init, {function}",
                _wall_cpu(row, "ours"),
                f"import boto3 + {clients}: {_wall_cpu(row, 'floor')}",
                f"{_times(row['ratio'])} (CPU {_times(row['cpu_ratio'])})",
                f"≤ {row['goal']}x",
                row["ratio"] <= row["goal"],
                command,
            )
        )
    return rows


def warm_rows(results: dict[str, Any], command: str) -> list[Row]:
    warm = results["warm"]
    anchor = warm["noop"]["duration_ms"]
    rows = []
    for function, row in warm.items():
        if function == "noop":
            continue
        duration = row["duration_ms"]
        rows.append(
            Row(
                2,
                f"warm invocation, {function} ({row['invocations']:,}x)",
                f"median {_ms(duration['median'])}, p99 {_ms(duration['p99'])} (first {_ms(row['first_ms'])})",
                f"no-op handler: median {_ms(anchor['median'])}, p99 {_ms(anchor['p99'])}",
                _times(row["ratio_median"]),
                "—",
                None,
                command,
            )
        )
    return rows


def no_change_seconds(build: dict[str, float]) -> float:
    """No-change `make package`; bench/packaging.py measures `python build.py` alone when make would rebuild .venv."""
    return build.get("no_change_make_package_s", build["no_change_build_py_s"])


def packaging_rows(results: dict[str, Any], command: str) -> list[Row]:
    packaging = results["packaging"]
    if "skipped" in packaging:
        return [Row(3, "packaging", "—", "—", "—", "—", None, f"skipped: {packaging['skipped']}")]
    build, sam = packaging["build_py"], packaging.get("sam", {})
    no_change, cold = no_change_seconds(build), build["cold_build_py_s"]
    rows = []
    if "sam_build_cached_parallel_no_change_s" in sam:
        cached = sam["sam_build_cached_parallel_no_change_s"]
        speedup = cached / no_change
        rows.append(
            Row(
                3,
                "no-change `make package` (or `build.py`)",
                f"{no_change:.2f} s",
                f"`sam build --cached --parallel` {cached:.1f} s",
                f"{speedup:.0f}x faster",
                "≥ 30x faster",
                speedup >= 30,
                command,
            )
        )
        full = sam["sam_build_parallel_s"]
        rows.append(
            Row(
                3,
                "cold build, wheels local",
                f"{cold:.1f} s",
                f"`sam build --parallel` {full:.1f} s",
                _times(cold / full),
                "≤ 0.5x",
                cold / full <= 0.5,
                command,
            )
        )
    else:
        reason = sam.get("error", "no `sam` given (make bench SAM=/path/to/sam)")
        rows.append(
            Row(
                3,
                "builds vs `sam build`",
                f"no change {no_change:.2f} s, cold {cold:.1f} s",
                "—",
                "—",
                "≥ 30x, ≤ 0.5x",
                None,
                f"sam not measured: {reason[:120]}",
            )
        )
    zips = packaging["zip_bytes"]
    ours = max(entry["ours_sdk_runtime"] for entry in zips.values())
    naive = max(entry["naive_with_sdk"] for entry in zips.values())
    rows.append(
        Row(
            3,
            "zip size (largest function)",
            f"{ours / MIB:.1f} MiB",
            f"`pip install -t` + `zip -r -9` {naive / MIB:.1f} MiB",
            _times(ours / naive),
            "≤ 0.6x",
            ours / naive <= 0.6,
            command,
        )
    )
    return rows


def e2e_rows(results: dict[str, Any], command: str) -> list[Row]:
    e2e = results["e2e"]
    latency = e2e["latency"]
    return [
        _throughput_row(f"cart adds, REST API → schedule ({e2e['events']} adds)", e2e["throughput"], command),
        Row(
            4,
            "API → email, delay 0 (median)",
            _ms(latency["ours_ms"]["median"]),
            f"moto put_events → SQS receive {_ms(latency['floor_ms']['median'])}",
            f"{_times(latency['ratio'])} (floor/ours)",
            f"≥ {latency['goal']}x",
            latency["ratio"] >= latency["goal"],
            command,
        ),
    ]


def http_e2e_rows(results: dict[str, Any], command: str) -> list[Row]:
    e2e = results["e2e"]
    what = f"cart adds, HTTP API → schedule ({e2e['events']} adds; REST above)"
    return [_throughput_row(what, e2e["http_throughput"], command)]


def _throughput_row(what: str, rate: dict[str, Any], command: str) -> Row:
    """Row 4's adds per second through one API type against moto's floor on the same stack."""
    return Row(
        4,
        what,
        f"{rate['ours_per_s']:.1f} /s",
        f"moto put_events → SQS receive {rate['floor_per_s']:.1f} /s",
        _times(rate["ratio"]),
        f"≥ {rate['goal']}x",
        rate["ratio"] >= rate["goal"],
        command,
    )


def _outcome(run: dict[str, Any]) -> str:
    if run["returncode"] == 0:
        return str(run["outcome"])
    failed = f"; failed: {', '.join(run['failed'])}" if run.get("failed") else ""
    return f"**exit {run['returncode']}**: {run['outcome']}{failed}"


def suite_rows(results: dict[str, Any], command: str) -> list[Row]:
    suite = results["suite"]
    if "skipped" in suite:
        return [Row(6, "test suite wall time", "—", "—", "—", "—", None, f"skipped: {suite['skipped']}")]
    fast, whole = suite["fast"], suite["suite"]
    return [
        Row(
            6,
            f"unit tests, `{fast['command']}` (once)",
            f"{fast['seconds']:.1f} s ({_outcome(fast)})",
            f"the whole pytest suite {whole['seconds']:.0f} s",
            _times(fast["seconds"] / whole["seconds"]),
            f"≤ {fast['goal_s']:.0f} s",
            fast["returncode"] == 0 and fast["seconds"] <= fast["goal_s"],
            command,
        ),
        Row(
            6,
            f"test suite, `{whole['command']}` (once, as `make test` runs it)",
            f"{whole['seconds']:.0f} s ({_outcome(whole)})",
            "—",
            "—",
            f"≤ {whole['goal_s']:.0f} s for all of a fresh-clone `.ci/run`",
            whole["returncode"] == 0 and whole["seconds"] <= whole["goal_s"],
            command,
        ),
    ]


def hot_reload_rows(results: dict[str, Any], command: str) -> list[Row]:
    if "skipped" in results["hot_reload"]:
        return [Row(7, "hot reload", "—", "—", "—", "—", None, f"skipped: {results['hot_reload']['skipped']}")]
    seconds = results["hot_reload"]["seconds"]
    goal = results["hot_reload"]["goal_s"]
    return [
        Row(
            7,
            f"hot reload, save → the next invocation runs the new code ({seconds['n']} saves)",
            f"{seconds['median']:.1f} s (slowest {seconds['high']:.1f} s)",
            "—",
            "—",
            f"≤ {goal:.0f} s (median)",
            seconds["median"] <= goal,
            command,
        )
    ]


def memory_rows(results: dict[str, Any], command: str) -> list[Row]:
    rows = []
    for function, row in results["cold_init"].items():
        warm = results["warm"][function]
        after_first, after_last = warm["memory_mib_after_first"], warm["memory_mib_after_last"]
        growth = after_last["VmRSS"] - after_first["VmRSS"]
        limit = results["memory_size"][function]
        rows.append(
            Row(
                5,
                f"memory, {function} (memory_size {limit} MB)",
                f"cold {row['ours_peak_rss_mib']['median']:.0f} MiB; runtime after 1st "
                f"{after_first['VmRSS']:.0f}, after {warm['invocations']:,} more {after_last['VmRSS']:.0f} "
                f"(peak {after_last['VmHWM']:.0f}) MiB",
                f"floor cold {row['floor_peak_rss_mib']['median']:.0f} MiB",
                f"growth {growth:+.1f} MiB",
                f"no growth (≤ 1 MiB), peak < {limit} MB",
                growth <= 1 and after_last["VmHWM"] * MIB < limit * 1_000_000,
                command,
            )
        )
    return rows


def summary_rows(results: dict[str, Any]) -> list[Row]:
    command = results["meta"]["command"]
    return [
        *cold_init_rows(results, command),
        *warm_rows(results, command),
        *packaging_rows(results, command),
        *e2e_rows(results, command),
        *http_e2e_rows(results, command),
        *memory_rows(results, command),
        *suite_rows(results, command),
        *hot_reload_rows(results, command),
    ]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def profile_table(results: dict[str, Any]) -> str:
    """Each handler module's direct imports by cumulative time, from one ``-X importtime`` run."""
    rows = []
    for function, row in results["cold_init"].items():
        items = ", ".join(f"{entry['module']} {entry['ms']:.0f}" for entry in row["profile"])
        rows.append((function, items))
    return table(("function", "ms per direct import of the handler module (one `-X importtime` run)"), rows)


def cold_start_note(results: dict[str, Any]) -> str:
    """send_reminder's cold init against its tighter goal, and where the SnapStart option is described."""
    row = results["cold_init"]["send_reminder"]
    verdict = "meets" if row["ratio"] <= row["goal"] else "**misses**"
    return (
        f"Cold start: send_reminder's init is {_times(row['ratio'])} its own boto3 + clients floor (median), "
        f"which {verdict} its goal of ≤ {row['goal']}x. Lambda SnapStart, which would replace this init by a "
        "snapshot restore, is an option per environment (`snapstart = true`): its cost (caching and restore "
        "charges) and caveats (uniqueness and network state of restored snapshots) are in terraform/README.md, "
        '"SnapStart", and docs/cost.md; a restore cannot be measured offline.'
    )


def markdown(results: dict[str, Any], image: str) -> str:
    meta = results["meta"]
    cold = results["cold_init"]
    spreads = [
        (
            function,
            f"{row['ours_ms']['low']:.0f}-{row['ours_ms']['high']:.0f}",
            f"{row['floor_ms']['low']:.0f}-{row['floor_ms']['high']:.0f}",
            str(row["ours_ms"]["n"]),
        )
        for function, row in cold.items()
    ]
    return "\n".join(
        [
            BEGIN,
            "## Summary (`make bench`)",
            "",
            f"Run {meta['finished']} on {meta['cpus']} shared CPUs, Python {meta['python']}, "
            f"{'**smoke mode: figures meaningless**, ' if meta['smoke'] else ''}"
            f"{meta['cold_init_runs']} alternating cold-init runs per side, {meta['invocations']:,} warm invocations "
            f"per function, {meta['e2e_events']} adds and {meta['latency_samples']} latency samples end to end; "
            f"took {meta['seconds']:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in meta['phase_seconds'].items())}). "
            f"Every anchor was measured in the same run. End to end: {results['e2e']['setup']}.",
            "",
            table(HEADER, [row.cells() for row in summary_rows(results)]),
            "",
            f"![ours vs anchor per row]({image})",
            "",
            cold_start_note(results),
            "",
            "Cold-init spread (ms, fastest-slowest):",
            "",
            table(("function", "ours", "floor", "runs"), spreads),
            "",
            profile_table(results),
            END,
        ]
    )


def write_markdown(path: Path, section: str) -> None:
    """Replace the generated section of ``path`` (or append it), keeping everything else."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
