"""The function zips as the build wrote them, checked and unpacked like Lambda's task root.

Lambda runs the exact bytes Terraform uploaded, so the local runtime runs ``dist/<fn>.zip``
after checking it against ``dist/manifest.json`` (a stale or hand-edited zip is refused).
Functions whose contract ``sdk`` is ``"runtime"`` ship without boto3: Lambda's Python runtime
provides it, so a second directory with only that SDK (from this venv) stands in for it.
A zip whose compiled code Lambda could not load on the declared architecture, or this host could
not load at all, is refused: running it here would pass where Lambda fails, or test other code.
"""

from __future__ import annotations

import importlib.metadata
import io
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from cartbuild.locks import canonical_name
from cartbuild.machine_code import foreign_files, host_architecture
from cartbuild.manifest import Entry, Manifest, ManifestError
from cartlocal.errors import LocalError

# What the Lambda Python runtime has on its path besides the task root: the AWS SDK, and the
# runtime interface client that runs the handler (with their dependencies).
RUNTIME_DISTRIBUTIONS = ("boto3", "awslambdaric")


def load_manifest(dist: Path) -> dict[str, Entry]:
    """Read ``dist/manifest.json``; a missing or unreadable manifest is a one-line error."""
    try:
        return Manifest.read(dist).functions
    except ManifestError as error:
        raise LocalError(str(error)) from None


def unpack(function: str, entry: Entry, dist: Path, cache: Path) -> Path:
    """Verify the zip against the manifest; return its extracted tree.

    Trees are kept under ``cache`` by content hash, so an unchanged zip is extracted once (the
    check above still runs every time). Extraction goes to a temporary folder renamed into
    place, so a concurrent or interrupted run never sees half a tree.
    """
    try:
        body = entry.read_checked(dist)
    except ManifestError as error:
        raise LocalError(str(error)) from None
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        refuse_foreign_code(entry, archive)
        tree = cache / f"{function}-{entry.sha256[:16]}"
        if tree.is_dir():
            return tree
        cache.mkdir(parents=True, exist_ok=True)
        for stale in cache.glob(f"{function}-*"):  # trees of earlier builds of this function
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{function}-", dir=cache))
        archive.extractall(staging)  # our own build output, checked by hash above
    try:
        staging.rename(tree)
    except OSError:  # another run put the same tree in place first
        shutil.rmtree(staging, ignore_errors=True)
    return tree


def refuse_foreign_code(entry: Entry, archive: zipfile.ZipFile) -> None:
    """Refuse compiled code for another architecture than the declared one, or than this host's."""
    host = host_architecture()
    for required, consequence in ((entry.architecture, "Lambda could not load it"), (host, "this host cannot run it")):
        foreign = foreign_files(archive, required)
        if foreign:
            raise LocalError(
                f"{entry.zip}: {foreign[0].member} is compiled for {foreign[0].architecture}, "
                f"the function is declared {entry.architecture} and this host is {host}: {consequence}"
            )


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
        name = canonical_name(pending.pop())
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
