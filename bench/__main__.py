"""`python -m bench` (make bench): run every row, write the table, the plot and the raw JSON.

``--smoke`` runs each row once or a handful of times (about 30 s) so CI can check the whole
path still works; its figures mean nothing and it never touches docs/ unless told to.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cold_init, e2e, hot_reload, report, suite, warm
from bench.plot import plot
from cartflow import contract

ROOT = Path(__file__).resolve().parent.parent


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="tiny counts; no packaging, suite or reload row (CI)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="the zips to measure (make package)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder of benchmarks.md and benchmarks.png")
    parser.add_argument("--json", type=Path, help="raw results (default: OUT/bench.json in smoke mode, else .cache)")
    parser.add_argument("--runs", type=int, default=10, help="cold-init runs per side and function")
    parser.add_argument("--invocations", type=int, default=1000, help="warm invocations per function")
    parser.add_argument("--events", type=int, default=250, help="cart adds for the end-to-end throughput")
    parser.add_argument("--latency-samples", type=int, default=8, help="API to email samples")
    parser.add_argument("--packaging-runs", type=int, default=2, help="runs per packaging timing")
    parser.add_argument("--reload-saves", type=int, default=5, help="saves timed for the hot-reload row")
    parser.add_argument("--sam", type=Path, help="`sam` of a throwaway venv: the packaging row's anchor")
    arguments = parser.parse_args(argv)
    if arguments.smoke:
        arguments.runs, arguments.invocations, arguments.events, arguments.latency_samples = 1, 5, 5, 1
    return arguments


def packaging_row(arguments: argparse.Namespace) -> dict[str, Any]:
    """Row 3 from bench/packaging.py, on a fresh clone so the working tree's dist/ is untouched."""
    if arguments.smoke:
        return {"skipped": "smoke mode"}
    from bench import packaging  # noqa: PLC0415 - rewrites sys.path[0] on import: only when used

    with tempfile.TemporaryDirectory(prefix="bench-packaging-") as name:
        scratch = Path(name)
        checkout = packaging.clone(scratch / "checkout")
        result: dict[str, Any] = {
            "build_py": packaging.build_times(checkout, arguments.packaging_runs),
            "zip_bytes": packaging.sizes(checkout, scratch),
        }
        if arguments.sam:
            try:
                result["sam"] = packaging.sam_times(arguments.sam, arguments.packaging_runs, scratch)
            except SystemExit as failure:  # keep the other rows; the table says why sam is missing
                result["sam"] = {"error": str(failure.code)[-2000:]}
    return result


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    started = time.monotonic()
    results: dict[str, Any] = {}
    phases: dict[str, float] = {}  # seconds per row: what to trim when the bench outgrows its 10 minutes

    def phase(name: str, description: str, run: Callable[[], Any]) -> None:
        log(description)
        phase_started = time.monotonic()
        results[name] = run()
        phases[name] = round(time.monotonic() - phase_started, 1)

    def cold() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch:
            return cold_init.measure(cold_init.unpack(arguments.dist, Path(scratch)), arguments.runs)

    phase("cold_init", f"cold init, {arguments.runs} runs per side", cold)
    phase(
        "warm",
        f"warm invocations, {arguments.invocations} per function",
        lambda: warm.measure(arguments.dist, arguments.invocations),
    )
    phase("packaging", "packaging", lambda: packaging_row(arguments))
    phase(
        "e2e",
        f"end to end, {arguments.events} adds, {arguments.latency_samples} latency samples ({e2e.SETUP})",
        lambda: e2e.measure(arguments.dist, arguments.events, arguments.latency_samples),
    )

    def reload() -> dict[str, Any]:
        if arguments.smoke:  # its code runs in tests/local/test_hot_reload.py, untimed
            return {"skipped": "smoke mode"}
        with tempfile.TemporaryDirectory(prefix="bench-reload-") as scratch:
            return hot_reload.measure(arguments.dist, Path(scratch), arguments.reload_saves)

    phase("hot_reload", f"hot reload, {arguments.reload_saves} saves", reload)
    phase(
        "suite",
        "test suite: make test-fast and make test's pytest, once each",
        lambda: {"skipped": "smoke mode"} if arguments.smoke else suite.measure(ROOT),
    )
    results["memory_size"] = {name: contract.function_spec(name)["memory_size"] for name in results["cold_init"]}
    results["meta"] = {
        "command": "make bench-smoke" if arguments.smoke else "make bench",
        "smoke": arguments.smoke,
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "cold_init_runs": arguments.runs,
        "invocations": arguments.invocations,
        "e2e_events": arguments.events,
        "latency_samples": arguments.latency_samples,
        "reload_saves": arguments.reload_saves,
        "seconds": time.monotonic() - started,
        "phase_seconds": phases,
    }
    arguments.out.mkdir(parents=True, exist_ok=True)
    raw = arguments.json or (arguments.out / "bench.json" if arguments.smoke else ROOT / ".cache" / "bench.json")
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, indent=2), encoding="utf-8")
    plot(results, arguments.out / "benchmarks.png")
    report.write_markdown(arguments.out / "benchmarks.md", report.markdown(results, "benchmarks.png"))
    log(f"wrote {arguments.out / 'benchmarks.md'}, {arguments.out / 'benchmarks.png'} and {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
