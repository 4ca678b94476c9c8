"""The content-addressed wheel store, and pip run for the Lambda platform rather than the host.

Wheels live as ``<dir>/<sha256>/<filename>``: the lock's hashes name them, so a stored wheel is
reused by any build and only a missing one is downloaded. Where pip downloads from is pip's own
configuration (``PIP_INDEX_URL``, pip.conf), so a corporate mirror works; which bytes it may
accept is decided by the hashes alone.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cartbuild.errors import BuildError
from cartbuild.files import last_line
from cartbuild.functions import PURE_PYTHON, PYTHON_VERSION, Function
from cartbuild.locks import Requirement

if TYPE_CHECKING:
    import subprocess

    from packaging.tags import Tag


def target_tags(platform: str) -> list[Tag]:
    """Tags the Lambda python3.13 runtime accepts, best first (as pip orders them for --platform)."""
    from packaging.tags import compatible_tags, cpython_tags  # noqa: PLC0415 - build-only: see cartbuild's docstring

    arch = platform.split("_", 1)[1]
    glibc = [f"manylinux_2_{minor}_{arch}" for minor in range(17, 4, -1)]
    legacy = [platform] + ([f"manylinux2010_{arch}", f"manylinux1_{arch}"] if arch == "x86_64" else [])
    platforms = glibc + legacy
    abi = f"cp{PYTHON_VERSION[0]}{PYTHON_VERSION[1]}"
    return [
        *cpython_tags(PYTHON_VERSION, abis=[abi], platforms=platforms),
        *compatible_tags(PYTHON_VERSION, interpreter=abi, platforms=platforms),
    ]


def wheel_platform(requirement: Requirement, platform: str) -> str:
    """The platform to pick ``requirement``'s wheel for: ``any`` (pure wheels only) for PURE_PYTHON."""
    return "any" if requirement.name in PURE_PYTHON else platform


def pure_tags() -> list[Tag]:
    """Tags of pure-Python wheels the python3.13 runtime accepts, best first."""
    from packaging.tags import compatible_tags  # noqa: PLC0415 - build-only: see cartbuild's docstring

    return [tag for tag in compatible_tags(PYTHON_VERSION, platforms=["any"]) if tag.platform == "any"]


def wheel_rank(filename: str, tags: Sequence[Tag]) -> int | None:
    """Position of the wheel's best tag in ``tags``; None when the platform cannot use it."""
    from packaging.utils import parse_wheel_filename  # noqa: PLC0415 - build-only: see cartbuild's docstring

    wheel_tags = parse_wheel_filename(filename)[3]
    ranks = [tags.index(tag) for tag in wheel_tags if tag in tags]
    return min(ranks) if ranks else None


class Wheelhouse:
    """Wheels stored as ``<dir>/<sha256>/<filename>``, filled from the index only when missing."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def pick(self, requirement: Requirement, platform: str) -> Path | None:
        """The best stored wheel of ``requirement`` for ``platform``; ties broken by hash."""
        tags = pure_tags() if wheel_platform(requirement, platform) == "any" else target_tags(platform)
        candidates: list[tuple[int, str, Path]] = []
        for digest in requirement.hashes:
            for wheel in (self.directory / digest).glob("*.whl"):
                rank = wheel_rank(wheel.name, tags)
                if rank is not None:
                    candidates.append((rank, digest, wheel))
        return min(candidates)[2] if candidates else None

    def ensure(self, requirements: Iterable[Requirement], platform: str) -> None:
        """Download the wheels of ``platform`` that are not stored yet (one pip run for all)."""
        missing = sorted({req for req in requirements if self.pick(req, platform) is None}, key=lambda r: r.name)
        if not missing:
            return
        print(f"downloading {len(missing)} wheel(s) for {platform}: {', '.join(r.name for r in missing)}", flush=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            for wheels_for in sorted({wheel_platform(req, platform) for req in missing}):
                self._download([req for req in missing if wheel_platform(req, platform) == wheels_for], wheels_for)
        except BuildError:
            for requirement in missing:  # name the package(s) without a wheel, not just "pip failed"
                self._download([requirement], wheel_platform(requirement, platform))
            raise

    def _download(self, requirements: Sequence[Requirement], platform: str) -> None:
        import tempfile  # noqa: PLC0415 - build-only: see cartbuild's docstring

        with tempfile.TemporaryDirectory(dir=self.directory, prefix=".download-") as scratch:
            lock = Path(scratch) / "requirements.txt"
            write_requirements(lock, {req: None for req in requirements})
            result = run_pip(
                "download",
                *platform_options(platform),
                "--dest",
                str(Path(scratch) / "wheels"),
                "-r",
                str(lock),
            )
            if result.returncode != 0:
                names = ", ".join(f"{req.name}=={req.version}" for req in requirements)
                reason = last_line(result.stderr)
                raise BuildError(f"no wheel of {names} for {platform} (cp313) from the configured index: {reason}")
            for wheel in sorted((Path(scratch) / "wheels").glob("*.whl")):
                digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
                (self.directory / digest).mkdir(exist_ok=True)
                os.replace(wheel, self.directory / digest / wheel.name)


def platform_options(platform: str) -> list[str]:
    return [
        "--require-hashes",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        "".join(map(str, PYTHON_VERSION)),
    ]


def write_requirements(path: Path, wheels: dict[Requirement, Path | None]) -> None:
    """A lock pip can read: each requirement with its hashes (only the chosen wheel's when known)."""
    lines = []
    for requirement, wheel in wheels.items():
        hashes = [wheel.parent.name] if wheel is not None else requirement.hashes
        lines.append(f"{requirement.name}=={requirement.version} " + " ".join(f"--hash=sha256:{h}" for h in hashes))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_pip(*arguments: str) -> subprocess.CompletedProcess[str]:
    """pip as the host configured it (index, proxy, certificates): the options given here and the
    lock's hashes, which pip's configuration cannot override, decide which bytes are accepted."""
    import subprocess  # noqa: PLC0415 - build-only: see cartbuild's docstring

    command = [sys.executable, "-m", "pip", *arguments, "--disable-pip-version-check", "--quiet"]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def install(function: Function, wheelhouse: Wheelhouse, target: Path) -> None:
    """pip-install the function's pinned wheels, offline, for the Lambda platform."""
    if not function.requirements:
        return
    wheels: dict[Requirement, Path | None] = {}
    for requirement in function.requirements:
        wheel = wheelhouse.pick(requirement, function.platform)
        if wheel is None:
            raise BuildError(f"no wheel of {requirement.name}=={requirement.version} for {function.platform} stored")
        wheels[requirement] = wheel
    lock = target.parent / "requirements.lock"
    write_requirements(lock, wheels)
    find_links = [arg for wheel in wheels.values() if wheel for arg in ("--find-links", str(wheel.parent))]
    result = run_pip(
        "install",
        *platform_options(function.platform),
        "--no-index",
        *find_links,
        "--no-compile",
        "--target",
        str(target),
        "-r",
        str(lock),
    )
    if result.returncode != 0:
        raise BuildError(f"{function.name}: pip install failed: {last_line(result.stderr)}")
