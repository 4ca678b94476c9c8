"""What ``make package`` left in ``dist/``, checked before a byte of it is published.

The build manifest (cartbuild.manifest) describes each zip; a zip that no longer matches it means a
stale or half-replaced build, and a build of only some functions (``build.py FUNCTION``) is not a
whole release: neither may be published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cartbuild.manifest import FILE_NAME, Entry, Manifest, ManifestError
from cartflow import contract
from cartflow.timestamps import format_timestamp
from cartship.errors import ShipError


@dataclass(frozen=True)
class Built:
    """One function zip as the build described it, with its verified bytes."""

    name: str
    entry: Entry
    body: bytes


def load(directory: Path) -> tuple[list[Built], str]:
    """The verified zips of ``directory`` and when the build wrote its manifest (UTC, ISO 8601)."""
    manifest_path = directory / FILE_NAME
    try:
        manifest = Manifest.read(directory)
        if not manifest.functions:
            raise ManifestError(f"{manifest_path}: no functions")
        declared = set(contract.stack()["functions"])
        if set(manifest.functions) != declared:
            missing, unknown = sorted(declared - set(manifest.functions)), sorted(set(manifest.functions) - declared)
            raise ShipError(
                f"{manifest_path} does not hold exactly the contract's functions (missing: "
                f"{', '.join(missing) or '-'}; not in the contract: {', '.join(unknown) or '-'}): run `make package`"
            )
        built = [
            Built(name, entry, entry.read_checked(directory)) for name, entry in sorted(manifest.functions.items())
        ]
    except ManifestError as error:
        raise ShipError(str(error)) from None
    built_at = format_timestamp(datetime.fromtimestamp(manifest_path.stat().st_mtime, UTC))
    return built, built_at
