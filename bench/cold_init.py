"""Row 1 (and row 5's cold figure): each function's cold init against the SDK floor.

Ours: a fresh ``python -I -S -B`` with only the unzipped package and the runtime's SDK on
sys.path imports the handler module with the function's environment. Floor: the same
interpreter with only the SDK imports boto3 and creates the clients that function uses. The two
alternate run by run so drifting machine load hits both alike. ``-B`` because Lambda's file
system is read-only: no run leaves byte-code for the next, only the zip's own ``.pyc`` count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats import Summary, ratio
from cartbuild import functions, verify

PROBE = Path(__file__).with_name("probe_init.py")
GOAL = 1.25
# Tighter where the handler needs nothing heavy beyond its clients.
GOALS = {"send_reminder": 1.15}
# The boto3 clients each handler creates at import (DynamoDB: the idempotency persistence layer's).
FLOOR_CLIENTS: dict[str, tuple[str, ...]] = {
    "cancel_reminders": ("scheduler",),
    "schedule_reminder": ("scheduler", "dynamodb"),
    "send_reminder": ("sesv2", "events", "dynamodb"),
}
PROFILE_TOP = 8


@dataclass(frozen=True)
class Package:
    """One function's unzipped package, ready to import in isolation."""

    function: str
    module: str
    tree: Path
    sdk: Path
    environment: dict[str, str]

    def command(self, target: str | list[str], *options: str) -> list[str]:
        paths = [str(self.tree), str(self.sdk)] if isinstance(target, str) else [str(self.sdk)]
        return [sys.executable, "-I", "-S", "-B", *options, str(PROBE), json.dumps(paths), json.dumps(target)]


def unpack(dist: Path, scratch: Path) -> list[Package]:
    """Every function of dist/manifest.json unzipped under ``scratch``, sharing one SDK stand-in."""
    manifest = json.loads((dist / "manifest.json").read_text(encoding="utf-8"))["functions"]
    scratch.mkdir(parents=True, exist_ok=True)
    sdk = verify.runtime_sdk_standin(scratch / "sdk")
    packages = []
    for function, entry in sorted(manifest.items()):
        if function not in FLOOR_CLIENTS:
            raise SystemExit(f"bench/cold_init.py: name the clients {function} creates in FLOOR_CLIENTS")
        tree = scratch / function
        with zipfile.ZipFile(dist / entry["zip"]) as archive:
            archive.extractall(tree)  # our own build output, listed in the manifest
        spec = functions.resolve(function, None)
        module = entry["handler"].rsplit(".", 1)[0]
        # Lambda sets LAMBDA_TASK_ROOT; Powertools' Tracer and the X-Ray SDK switch tracing on by
        # it, so without it this would time an init that skips patching botocore.
        environment = {**verify.verify_environment(spec), "LAMBDA_TASK_ROOT": str(tree)}
        packages.append(Package(function, module, tree, sdk, environment))
    return packages


def _probe(command: list[str], package: Package) -> dict[str, float]:
    result = subprocess.run(  # noqa: S603  # our own interpreter and probe
        command, env=package.environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{package.function}: cold init failed:\n{result.stderr[-3000:]}")
    measured: dict[str, float] = json.loads(result.stdout)
    return measured


def measure(packages: list[Package], runs: int) -> dict[str, Any]:
    """Median cold init and peak RSS of each function and of its floor, alternating the two."""
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    for round_number in range(runs):
        for package in packages:
            sides: list[tuple[str, str | list[str]]] = [
                ("ours", package.module),
                ("floor", list(FLOOR_CLIENTS[package.function])),
            ]
            for side, target in sides if round_number % 2 == 0 else reversed(sides):
                samples.setdefault((package.function, side), []).append(_probe(package.command(target), package))
    report: dict[str, Any] = {}
    for package in packages:
        row: dict[str, Any] = {"floor_clients": list(FLOOR_CLIENTS[package.function])}
        for side in ("ours", "floor"):
            measured = samples[(package.function, side)]
            row[f"{side}_ms"] = Summary.of([sample["seconds"] * 1000 for sample in measured]).as_dict()
            # CPU time as well: on shared CPUs it moves far less with the neighbours' load than wall time.
            row[f"{side}_cpu_ms"] = Summary.of([sample["cpu_seconds"] * 1000 for sample in measured]).as_dict()
            row[f"{side}_peak_rss_mib"] = Summary.of([sample["peak_rss_kib"] / 1024 for sample in measured]).as_dict()
        row["ratio"] = ratio(row["ours_ms"]["median"], row["floor_ms"]["median"])
        row["cpu_ratio"] = ratio(row["ours_cpu_ms"]["median"], row["floor_cpu_ms"]["median"])
        row["goal"] = GOALS.get(package.function, GOAL)
        row["profile"] = profile(package)
        report[package.function] = row
    return report


def profile(package: Package) -> list[dict[str, Any]]:
    """The handler module's direct imports by cumulative time (``-X importtime``), plus its own body.

    The module's own time is what runs at its top level: creating clients, reading settings.
    """
    result = subprocess.run(  # noqa: S603  # our own interpreter and probe
        package.command(package.module, "-X", "importtime"),
        env=package.environment,
        capture_output=True,
        text=True,
        check=False,
    )
    children: list[dict[str, Any]] = []
    # Lines are printed as each import finishes, children first, indented two spaces per level.
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        if not own.strip().isdigit():
            continue  # the header line
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        if depth == 1:
            children.append({"module": name.strip(), "ms": int(cumulative) / 1000})
        elif depth == 0 and name.strip() == package.module:
            children.sort(key=lambda child: -child["ms"])
            return [{"module": f"{package.module} (module body)", "ms": int(own) / 1000}, *children[:PROFILE_TOP]]
        elif depth == 0:
            children.clear()
    return []
