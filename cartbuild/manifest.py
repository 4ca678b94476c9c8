"""``dist/manifest.json``: the one description of a build, read by packaging, shipping and the local runtime.

Per function: the zip's file name, its SHA-256 (hex, and base64 as Terraform's
``source_code_hash`` wants it), sizes, runtime, architecture, handler, sdk and the hash of the
inputs it was built from. Whoever reads a zip through this model gets its bytes only after they
matched the recorded hash, so a stale or half-replaced build is refused the same way everywhere.
Callers turn :class:`ManifestError` into their own error family.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Self

from cartbuild.files import write_atomically

FORMAT_VERSION = 1
FILE_NAME = "manifest.json"


class ManifestError(ValueError):
    """The manifest is missing, malformed, or does not match the zips beside it."""


def base64_of(sha256_hex: str) -> str:
    """The base64 form of a hex SHA-256 (Lambda's CodeSha256, Terraform's source_code_hash)."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode()


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One function's zip as the build described it."""

    zip: str
    sha256: str
    source_code_hash: str
    runtime: str
    architecture: str
    handler: str
    zipped_size: int
    # Known to the build that made the zip; a release turned back into dist/ does not carry them.
    unzipped_size: int | None = None
    sdk: str | None = None
    inputs_hash: str | None = None

    @classmethod
    def from_json(cls, function: str, raw: Any) -> Self:
        known = {item.name for item in fields(cls)}
        try:
            return cls(**{key: value for key, value in raw.items() if key in known})
        except (AttributeError, TypeError) as error:
            raise ManifestError(f"entry of {function} is incomplete ({error})") from None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def read_checked(self, dist: Path) -> bytes:
        """The zip's bytes, once they match both recorded hashes."""
        path = dist / Path(self.zip).name
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            raise ManifestError(f"{path} does not exist: rebuild with make package") from None
        actual = hashlib.sha256(body).hexdigest()
        if actual != self.sha256 or base64_of(actual) != self.source_code_hash:
            raise ManifestError(f"{path} has sha256 {actual} but {dist / FILE_NAME} says {self.sha256}: rebuild it")
        return body


@dataclass(frozen=True)
class Manifest:
    """Every function of one build (or of one release written back into a dist/ folder)."""

    functions: dict[str, Entry]
    release_id: str | None = field(default=None, kw_only=True)

    @classmethod
    def read(cls, dist: Path) -> Self:
        path = dist / FILE_NAME
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ManifestError(f"{path} does not exist: build the function zips first (make package)") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ManifestError(f"{path}: not JSON ({error})") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
            raise ManifestError(f"{path}: not a format-{FORMAT_VERSION} build manifest")
        functions = document.get("functions")
        if not isinstance(functions, dict):
            raise ManifestError(f"{path}: no functions")
        entries = {name: Entry.from_json(name, raw) for name, raw in functions.items()}
        return cls(entries, release_id=document.get("release_id"))

    def write(self, dist: Path) -> None:
        """Atomically replace ``dist/manifest.json`` (sorted, so equal builds write equal bytes)."""
        document: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "functions": {name: self.functions[name].to_json() for name in sorted(self.functions)},
        }
        if self.release_id is not None:
            document["release_id"] = self.release_id
        write_atomically(dist / FILE_NAME, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())


def intact_entries(dist: Path) -> dict[str, Entry]:
    """Entries of the current manifest whose zip still exists with the recorded hash; none if unreadable."""
    try:
        manifest = Manifest.read(dist)
    except ManifestError:
        return {}
    intact = {}
    for name, entry in manifest.functions.items():
        try:
            entry.read_checked(dist)
        except ManifestError:
            continue
        intact[name] = entry
    return intact
