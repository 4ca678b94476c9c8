"""What ``make package`` left in ``dist/``, checked before a byte of it is published.

build.py writes ``dist/manifest.json`` (format 1): per function the zip's file name, its SHA-256
(hex) and base64 form, runtime, architecture and handler. A zip that no longer matches the
manifest means a stale or half-replaced build, and a build of only some functions (``build.py
FUNCTION``) is not a whole release: neither may be published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cartflow import contract
from cartship.errors import ShipError
from cartship.release import hex_to_base64, sha256_hex

FORMAT = 1


@dataclass(frozen=True)
class Built:
    """One function zip as build.py described it, with its bytes."""

    name: str
    body: bytes
    sha256: str
    runtime: str
    architecture: str
    handler: str


def load(directory: Path) -> tuple[list[Built], str]:
    """The verified zips of ``directory`` and when the build wrote its manifest (UTC, ISO 8601)."""
    manifest_path = directory / "manifest.json"
    try:
        document = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ShipError(f"{manifest_path} does not exist: run `make package` first") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ShipError(f"{manifest_path}: not JSON ({error})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT or not document.get("functions"):
        raise ShipError(f"{manifest_path}: not a format-{FORMAT} build manifest with functions")
    declared = set(contract.stack()["functions"])
    if set(document["functions"]) != declared:
        missing, unknown = sorted(declared - set(document["functions"])), sorted(set(document["functions"]) - declared)
        raise ShipError(
            f"{manifest_path} does not hold exactly the contract's functions (missing: {', '.join(missing) or '-'}; "
            f"not in the contract: {', '.join(unknown) or '-'}): run `make package`"
        )
    built = [_function(directory, name, entry) for name, entry in sorted(document["functions"].items())]
    built_at = datetime.fromtimestamp(manifest_path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return built, built_at


def _function(directory: Path, name: str, entry: dict[str, str]) -> Built:
    try:
        zip_path = directory / Path(entry["zip"]).name
        body = zip_path.read_bytes()
        built = Built(name, body, entry["sha256"], entry["runtime"], entry["architecture"], entry["handler"])
        recorded_base64 = entry["source_code_hash"]
    except FileNotFoundError as error:
        raise ShipError(f"{directory}/manifest.json lists {name} but {error.filename} does not exist") from error
    except (KeyError, TypeError) as error:
        raise ShipError(f"{directory}/manifest.json: entry of {name} lacks {error}") from error
    actual = sha256_hex(body)
    if actual != built.sha256 or hex_to_base64(actual) != recorded_base64:
        raise ShipError(
            f"{zip_path} has sha256 {actual} but {directory}/manifest.json says {built.sha256}: "
            "rebuild with make package"
        )
    return built
