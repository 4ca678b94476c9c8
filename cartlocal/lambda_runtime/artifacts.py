"""The function zips as build.py wrote them, checked and unpacked like Lambda's task root.

Lambda runs the exact bytes Terraform uploaded, so the local runtime runs ``dist/<fn>.zip``
after checking it against ``dist/manifest.json`` (a stale or hand-edited zip is refused).
Functions whose contract ``sdk`` is ``"runtime"`` ship without boto3: Lambda's Python runtime
provides it, so a second directory with only that SDK (from this venv) stands in for it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cartlocal.errors import LocalError

# What the Lambda Python runtime has on its path besides the task root: the AWS SDK, and the
# runtime interface client that runs the handler (with their dependencies).
RUNTIME_DISTRIBUTIONS = ("boto3", "awslambdaric")


@dataclass(frozen=True)
class Artifact:
    """One function's package as the manifest describes it."""

    function: str
    zip_path: Path
    sha256: str
    handler: str


def load_manifest(dist: Path) -> dict[str, Artifact]:
    """Read ``dist/manifest.json``; a missing or unreadable manifest is a one-line error."""
    path = dist / "manifest.json"
    if not path.is_file():
        raise LocalError(f"{path} not found: build the function zips first (make package)")
    try:
        manifest: Any = json.loads(path.read_text(encoding="utf-8"))
        return {
            name: Artifact(name, dist / Path(entry["zip"]).name, entry["sha256"], entry["handler"])
            for name, entry in manifest["functions"].items()
        }
    except (ValueError, KeyError, TypeError) as error:
        raise LocalError(f"{path} is not a build.py manifest ({type(error).__name__}: {error})") from None


def unpack(artifact: Artifact, cache: Path) -> Path:
    """Verify the zip's sha256 against the manifest; return its extracted tree.

    Trees are kept under ``cache`` by content hash, so an unchanged zip is extracted once (the
    check above still runs every time). Extraction goes to a temporary folder renamed into
    place, so a concurrent or interrupted run never sees half a tree.
    """
    if not artifact.zip_path.is_file():
        raise LocalError(f"{artifact.zip_path} not found: rebuild with make package")
    digest = hashlib.sha256(artifact.zip_path.read_bytes()).hexdigest()
    if digest != artifact.sha256:
        raise LocalError(f"{artifact.zip_path} does not match dist/manifest.json (sha256 {digest[:12]}…): rebuild it")
    tree = cache / f"{artifact.function}-{digest[:16]}"
    if tree.is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    for stale in cache.glob(f"{artifact.function}-*"):  # trees of earlier builds of this function
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{artifact.function}-", dir=cache))
    with zipfile.ZipFile(artifact.zip_path) as archive:
        archive.extractall(staging)  # our own build output, checked by hash above
    try:
        staging.rename(tree)
    except OSError:  # another run put the same tree in place first
        shutil.rmtree(staging, ignore_errors=True)
    return tree


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str | None:
    """The distribution a ``Requires-Dist`` line names, or None for an extra's optional dependency."""
    if "extra ==" in requirement:
        return None
    return re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0]


def runtime_distributions() -> list[importlib.metadata.Distribution]:
    """The installed distributions of RUNTIME_DISTRIBUTIONS and everything they require."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = list(RUNTIME_DISTRIBUTIONS)
    while pending:
        name = _normalise(pending.pop())
        if name in found:
            continue
        distribution = importlib.metadata.distribution(name)
        found[name] = distribution
        pending.extend(filter(None, map(_requirement_name, distribution.requires or [])))
    return list(found.values())


def runtime_sdk(destination: Path) -> Path:
    """A directory linking only the Lambda runtime's own packages, to put after the task root."""
    destination.mkdir(parents=True, exist_ok=True)
    for distribution in runtime_distributions():
        for file in distribution.files or []:
            top = file.parts[0]
            # Skip console scripts (outside site-packages), caches and loose metadata files.
            if top in ("..", "__pycache__") or (len(file.parts) == 1 and not top.endswith((".py", ".so"))):
                continue
            link = destination / top
            if not link.exists():
                link.symlink_to(Path(str(distribution.locate_file(top))))
    return destination
