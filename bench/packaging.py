"""Packaging benchmark (not a test): build.py against a naive pip-install + zip, and `sam build`.

Measures, on a fresh clone of HEAD (with the working tree's build.py) so dist/ of the working
tree is never touched:
  - no-change `python build.py` and `make package` (median of --runs),
  - cold build.py (empty dist/, wheels already in the wheelhouse),
  - zip sizes: ours (sdk runtime and vendored) vs `pip install -t` + `zip -r -9` of the same lock,
    with and without the runtime's SDK,
  - cold import of the heaviest handler from the unzipped package, with and without its .pyc,
  - `sam build --parallel` / `--cached --parallel` from the same local wheels, when --sam names a
    `sam` installed in a throwaway venv outside the repository (see docs/benchmarks.md).
Prints a JSON report; docs/benchmarks.md quotes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# `packaging` distribution cartbuild imports: put the repository root there instead.
sys.path[0] = str(ROOT)

from cartbuild import functions, locks, verify  # noqa: E402 - the code under measurement, from the repository root
from cartbuild.wheelhouse import Wheelhouse, platform_options, run_pip, write_requirements  # noqa: E402

WHEELHOUSE = Path(os.environ.get("CARTFLOW_WHEELHOUSE", ROOT / ".cache" / "wheelhouse"))
IMPORT_SCRIPT = """
import importlib, json, sys, time
started = time.perf_counter()
sys.path[:0] = json.loads(sys.argv[1])
importlib.import_module("app")
print(time.perf_counter() - started)
"""


def median_seconds(action: Callable[[], object], runs: int, before: Callable[[], object] = lambda: None) -> float:
    samples = []
    for _ in range(runs):
        before()
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples), 3)


def run(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def clone(destination: Path) -> Path:
    run(["git", "clone", "--quiet", str(ROOT), str(destination)], ROOT)
    shutil.copyfile(ROOT / "build.py", destination / "build.py")
    shutil.copytree(
        ROOT / "cartbuild", destination / "cartbuild", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    return destination


def build_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"} | {
        "CARTFLOW_WHEELHOUSE": str(WHEELHOUSE)
    }


def build_times(checkout: Path, runs: int) -> dict[str, float]:
    command = [sys.executable, "build.py"]
    run(command, checkout, build_env())  # fills the wheelhouse if it is empty: not measured
    dist = checkout / "dist"
    times = {
        "cold_build_py_s": median_seconds(
            lambda: run(command, checkout, build_env()), runs, lambda: shutil.rmtree(dist, ignore_errors=True)
        ),
        "no_change_build_py_s": median_seconds(lambda: run(command, checkout, build_env()), runs),
    }
    make = make_command(checkout)
    if make:
        times["no_change_make_package_s"] = median_seconds(lambda: run(make, checkout, build_env()), runs)
    return times


def make_command(checkout: Path) -> list[str] | None:
    """`make package` using the repository's venv, only if make would not try to rebuild that venv."""
    venv = checkout / ".venv"
    venv.symlink_to(ROOT / ".venv")
    installed = (ROOT / ".venv" / ".installed").stat().st_mtime
    os.utime(checkout / "requirements.txt", (installed - 1, installed - 1))
    dry_run = run(["make", "-n", "package"], checkout, build_env())
    return None if "rm -rf" in dry_run else ["make", "package"]


def naive_zip_size(function: str, with_sdk: bool, scratch: Path) -> int:
    """`pip install -t` of the function's lock (same wheels, same platform) then `zip -r -9`."""
    requirements = locks.read_lock(ROOT / "functions" / function / functions.LOCK_FILE)
    if not with_sdk:
        requirements = tuple(req for req in requirements if req.name not in functions.RUNTIME_SDK)
    wheelhouse = Wheelhouse(WHEELHOUSE)
    platform = functions.PLATFORMS["x86_64"]
    wheelhouse.ensure(requirements, platform)
    wheels = {req: wheelhouse.pick(req, platform) for req in requirements}
    target = scratch / f"naive-{function}-{with_sdk}"
    target.mkdir()
    lock = scratch / f"naive-{function}-{with_sdk}.txt"
    write_requirements(lock, wheels)
    links = [arg for wheel in wheels.values() if wheel for arg in ("--find-links", str(wheel.parent))]
    options = platform_options(platform)
    result = run_pip("install", *options, "--no-index", *links, "--target", str(target), "-r", str(lock))
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    shutil.copyfile(ROOT / "functions" / function / "app.py", target / "app.py")
    shutil.copytree(ROOT / "cartflow", target / "cartflow", ignore=shutil.ignore_patterns("__pycache__"))
    archive = scratch / f"naive-{function}-{with_sdk}.zip"
    run(["zip", "-r", "-9", "-q", str(archive), "."], target)
    return archive.stat().st_size


def sizes(checkout: Path, scratch: Path) -> dict[str, Any]:
    ours = json.loads((checkout / "dist" / "manifest.json").read_text())["functions"]
    vendored_out = scratch / "vendored"
    run([sys.executable, "build.py", "--sdk", "vendored", "--out", str(vendored_out)], checkout, build_env())
    vendored = json.loads((vendored_out / "manifest.json").read_text())["functions"]
    report: dict[str, Any] = {}
    for function in sorted(ours):
        report[function] = {
            "ours_sdk_runtime": ours[function]["zipped_size"],
            "ours_sdk_vendored": vendored[function]["zipped_size"],
            "naive_with_sdk": naive_zip_size(function, True, scratch),
            "naive_without_sdk": naive_zip_size(function, False, scratch),
        }
    return report


def import_times(checkout: Path, function: str, runs: int, scratch: Path) -> dict[str, float]:
    """Median cold import of the handler module from the zip's tree, with and without .pyc."""
    spec = functions.resolve(function, None)
    with_pyc = scratch / "with-pyc"
    with zipfile.ZipFile(checkout / "dist" / f"{function}.zip") as archive:
        archive.extractall(with_pyc)
    without_pyc = scratch / "without-pyc"
    shutil.copytree(with_pyc, without_pyc, ignore=shutil.ignore_patterns("__pycache__"))
    sdk = verify.runtime_sdk_standin(scratch / "sdk")
    result = {}
    for label, tree in (("with_pyc_ms", with_pyc), ("without_pyc_ms", without_pyc)):
        # -B: Lambda's file system is read-only, so no run can leave byte-code for the next.
        command = [sys.executable, "-I", "-S", "-B", "-c", IMPORT_SCRIPT, json.dumps([str(tree), str(sdk)])]
        samples = [float(run(command, scratch, verify.verify_environment(spec))) for _ in range(runs)]
        result[label] = round(statistics.median(samples) * 1000, 1)
    return result


def sam_times(sam: Path, runs: int, scratch: Path) -> dict[str, Any]:
    """`sam build` of the same functions (code + cartflow + lock) from the same local wheels."""
    project = scratch / "sam"
    resources = {}
    wheel_dirs: set[str] = set()
    for function in functions.discover():
        code = project / function  # SAM wants alphanumeric logical ids: send_reminder -> SendReminder
        shutil.copytree(ROOT / "functions" / function, code, ignore=shutil.ignore_patterns("__pycache__", "*.in"))
        shutil.copytree(ROOT / "cartflow", code / "cartflow", ignore=shutil.ignore_patterns("__pycache__"))
        requirements = locks.read_lock(code / functions.LOCK_FILE)
        write_requirements(code / functions.LOCK_FILE, dict.fromkeys(requirements))
        platform = functions.PLATFORMS["x86_64"]
        Wheelhouse(WHEELHOUSE).ensure(requirements, platform)
        wheel_dirs |= {str(digest_dir) for req in requirements for digest_dir in [WHEELHOUSE / h for h in req.hashes]}
        resources["".join(part.title() for part in function.split("_"))] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {"CodeUri": function, "Handler": "app.handler", "Runtime": "python3.13"},
        }
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31"}
    (project / "template.json").write_text(json.dumps(template | {"Resources": resources}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")} | {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": " ".join(sorted(d for d in wheel_dirs if Path(d).is_dir())),
        "SAM_CLI_TELEMETRY": "0",
        "PATH": f"{Path(sys.base_prefix) / 'bin'}:{os.environ['PATH']}",
    }
    command = [str(sam), "build", "--template-file", "template.json", "--parallel"]
    build_dir = project / ".aws-sam"
    result: dict[str, Any] = {
        "sam_build_parallel_s": median_seconds(
            lambda: run(command, project, env), runs, lambda: shutil.rmtree(build_dir, ignore_errors=True)
        ),
    }
    run([*command, "--cached"], project, env)
    result["sam_build_cached_parallel_no_change_s"] = median_seconds(
        lambda: run([*command, "--cached"], project, env), runs
    )
    result["sam_unzipped_tree_bytes"] = {
        logical_id: sum(path.stat().st_size for path in (build_dir / "build" / logical_id).rglob("*") if path.is_file())
        for logical_id in resources
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs per timing; the median is reported")
    parser.add_argument("--sam", type=Path, help="a `sam` executable from a throwaway venv outside the repository")
    arguments = parser.parse_args()
    report: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "runs": arguments.runs}
    with tempfile.TemporaryDirectory(prefix="bench-packaging-") as scratch_name:
        scratch = Path(scratch_name)
        checkout = clone(scratch / "checkout")
        report["build_py"] = build_times(checkout, arguments.runs)
        report["zip_bytes"] = sizes(checkout, scratch)
        report["import_send_reminder"] = import_times(checkout, "send_reminder", arguments.runs, scratch)
        if arguments.sam:
            try:
                report["sam"] = sam_times(arguments.sam, arguments.runs, scratch)
            except SystemExit as failure:  # record why sam could not be measured, keep the rest
                report["sam"] = {"error": str(failure.code)[-2000:]}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
