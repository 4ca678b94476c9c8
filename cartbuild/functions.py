"""What one function's zip is made of: its contract settings, its lock, its sources, their hash.

Per-function settings (runtime, architecture, handler, sdk) come from ``cartflow.contract``; the
inputs hash covers everything that decides the zip's bytes, so an unchanged function is reused.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cartbuild.errors import BuildError
from cartbuild.files import ROOT, display
from cartbuild.locks import Requirement, canonical_name, read_lock
from cartbuild.zipping import DROPPED_SUFFIXES, zip_epoch
from cartflow import contract

PACKAGE_DIR = Path(__file__).resolve().parent
# Bumped whenever the zip layout changes in a way the inputs hash cannot see.
LAYOUT_VERSION = 1
FUNCTIONS_DIR = ROOT / "functions"
SHARED_PACKAGE = ROOT / "cartflow"
LOCK_FILE = "requirements.txt"
PYTHON_VERSION = (3, 13)
# What the python3.13 runtime already provides (and keeps patched): left out when sdk is "runtime".
RUNTIME_SDK = frozenset(
    canonical_name(name)
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
)
# Their import names, for --verify to stand in for the runtime's copy.
RUNTIME_SDK_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
SDK_CHOICES = ("runtime", "vendored")
# Packages whose compiled part is only a speed-up over their own pure-Python code: the build takes
# their py3-none-any wheel, so a zip holds no machine code for them and the same zip runs on either
# Lambda architecture and under the local runtime on any host. wrapt (the X-Ray SDK's patching)
# falls back to its pure-Python wrappers when its extension is absent.
PURE_PYTHON = frozenset(canonical_name(name) for name in ("wrapt",))
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


@dataclass(frozen=True)
class Function:
    """One function to build, with its settings resolved from the contract and the CLI."""

    name: str
    source_dir: Path
    handler: str
    runtime: str
    architecture: str
    sdk: str
    environment: tuple[str, ...]
    requirements: tuple[Requirement, ...]

    @property
    def platform(self) -> str:
        return PLATFORMS[self.architecture]

    def settings(self) -> dict[str, Any]:
        """What, besides file contents, decides the zip's bytes."""
        return {
            "format": LAYOUT_VERSION,
            "python": ".".join(map(str, PYTHON_VERSION)),
            "magic": importlib.util.MAGIC_NUMBER.hex(),
            "handler": self.handler,
            "runtime": self.runtime,
            "architecture": self.architecture,
            "sdk": self.sdk,
            "epoch": zip_epoch(),
        }


def discover() -> list[str]:
    """Every function folder under functions/."""
    return sorted(path.name for path in FUNCTIONS_DIR.iterdir() if path.is_dir() and path.name[0] not in "._")


def resolve(name: str, arch: str | None, sdk_override: str | None = None) -> Function:
    """The function's contract settings, checked lock file and handler module."""
    source_dir = FUNCTIONS_DIR / name
    if not source_dir.is_dir():
        raise BuildError(f"{display(source_dir)}: unknown function {name!r} (no such folder)")
    try:
        spec = contract.function_spec(name)
    except KeyError as error:
        raise BuildError(f"{display(contract.CONTRACT_DIR / 'stack.json')}: {error.args[0]}") from None
    handler: str = spec["handler"]
    module_file = source_dir / (handler.rsplit(".", 1)[0].replace(".", "/") + ".py")
    if not module_file.is_file():
        raise BuildError(f"{display(module_file)}: handler module of {name} ({handler}) missing")
    requirements = read_lock(source_dir / LOCK_FILE)
    sdk: str = sdk_override or spec["sdk"]
    if sdk not in SDK_CHOICES:
        raise BuildError(f"{display(contract.CONTRACT_DIR / 'stack.json')}: {name}: sdk must be runtime or vendored")
    if sdk == "runtime":
        requirements = tuple(req for req in requirements if req.name not in RUNTIME_SDK)
    architecture = arch or spec["architecture"]
    if architecture not in PLATFORMS:
        raise BuildError(
            f"{display(contract.CONTRACT_DIR / 'stack.json')}: {name}: unknown architecture {architecture}"
        )
    return Function(
        name=name,
        source_dir=source_dir,
        handler=handler,
        runtime=spec["runtime"],
        architecture=architecture,
        sdk=sdk,
        environment=tuple(spec["environment"]),
        requirements=requirements,
    )


def source_files(directory: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix path, file) of a source tree, sorted, without caches and byte-code."""
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if path.is_file() and not set(relative.parts) & {"__pycache__"} and path.suffix not in DROPPED_SUFFIXES:
            yield relative.as_posix(), path


def function_sources(function: Function) -> Iterator[tuple[str, Path]]:
    """Files of the function folder that go to the zip root (its lock files only decide deps)."""
    for relative, path in source_files(function.source_dir):
        if relative not in ("requirements.in", LOCK_FILE):
            yield relative, path


def inputs_hash(function: Function) -> str:
    """Hash of everything the zip is made from; equal hashes mean the zip can be reused."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    # The packaging code itself: a change to how zips are made must rebuild them.
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        add(f"cartbuild/{path.name}", path.read_bytes())
    add("settings", json.dumps(function.settings(), sort_keys=True).encode())
    add("lock", json.dumps([[r.name, r.version, r.hashes] for r in function.requirements]).encode())
    for relative, path in function_sources(function):
        add(f"function/{relative}", path.read_bytes())
    for relative, path in source_files(SHARED_PACKAGE):
        add(f"cartflow/{relative}", path.read_bytes())
    return digest.hexdigest()
