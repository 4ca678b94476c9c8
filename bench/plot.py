"""docs/benchmarks.png: ours next to the anchor measured in the same run, one panel per row.

Bars, not ratios, so the absolute scale stays visible; panels whose figures span orders of
magnitude (packaging, latency) use a log axis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on build machines
import matplotlib.pyplot as plt  # after choosing the backend
from matplotlib.axes import Axes

from bench.report import no_change_seconds

OURS, ANCHOR = "#1f77b4", "#aaaaaa"
WIDTH = 0.38


def _pairs(axes: Axes, title: str, unit: str, pairs: dict[str, tuple[float, float]], anchor: str) -> None:
    """Grouped bars: for each label, ours and the anchor."""
    positions = range(len(pairs))
    ours = [value[0] for value in pairs.values()]
    anchors = [value[1] for value in pairs.values()]
    axes.bar([p - WIDTH / 2 for p in positions], ours, WIDTH, label="ours", color=OURS)
    axes.bar([p + WIDTH / 2 for p in positions], anchors, WIDTH, label=anchor, color=ANCHOR)
    axes.set_xticks(list(positions), list(pairs), fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.set_ylabel(unit)
    axes.legend(fontsize=8)


def plot(results: dict[str, Any], path: Path) -> None:
    figure, panels = plt.subplots(1, 6, figsize=(26, 4.5))
    cold = results["cold_init"]
    _pairs(
        panels[0],
        "1. cold init (median)",
        "ms",
        {name: (row["ours_ms"]["median"], row["floor_ms"]["median"]) for name, row in cold.items()},
        "floor: boto3 + same clients",
    )
    warm = results["warm"]
    noop = warm["noop"]["duration_ms"]["median"]
    _pairs(
        panels[1],
        "2. warm invocation (median)",
        "ms",
        {name: (row["duration_ms"]["median"], noop) for name, row in warm.items() if name != "noop"},
        "no-op handler",
    )
    packaging = results["packaging"]
    if "skipped" in packaging:
        panels[2].set_title("3. packaging (skipped)", fontsize=10)
    else:
        build, sam, zips = packaging["build_py"], packaging.get("sam", {}), packaging["zip_bytes"]
        pairs = {
            "zip MiB": (
                max(entry["ours_sdk_runtime"] for entry in zips.values()) / 2**20,
                max(entry["naive_with_sdk"] for entry in zips.values()) / 2**20,
            )
        }
        if "sam_build_parallel_s" in sam:
            pairs["no-change s"] = (no_change_seconds(build), sam["sam_build_cached_parallel_no_change_s"])
            pairs["cold s"] = (build["cold_build_py_s"], sam["sam_build_parallel_s"])
        _pairs(panels[2], "3. packaging", "s or MiB (log)", pairs, "sam build / naive zip")
        panels[2].set_yscale("log")
    e2e = results["e2e"]
    _pairs(
        panels[3],
        "4. end to end",
        "adds/s, ms (log)",
        {
            "adds/s REST": (e2e["throughput"]["ours_per_s"], e2e["throughput"]["floor_per_s"]),
            "adds/s HTTP": (e2e["http_throughput"]["ours_per_s"], e2e["http_throughput"]["floor_per_s"]),
            "API→email ms": (e2e["latency"]["ours_ms"]["median"], e2e["latency"]["floor_ms"]["median"]),
        },
        "moto put_events → SQS",
    )
    panels[3].set_yscale("log")
    _pairs(
        panels[4],
        "5. memory: peak RSS after the batch",
        "MiB",
        {
            name: (warm[name]["memory_mib_after_last"]["VmHWM"], row["floor_peak_rss_mib"]["median"])
            for name, row in cold.items()
        },
        "floor: boto3 + clients",
    )
    suite = results["suite"]
    if "skipped" in suite:
        panels[5].set_title("6. test suite (skipped)", fontsize=10)
    else:
        _pairs(
            panels[5],
            "6. test suite wall time (once)",
            "s",
            {kind: (suite[kind]["seconds"], suite[kind]["goal_s"]) for kind in ("fast", "suite")},
            "goal",
        )
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
