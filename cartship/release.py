"""The release manifest: exactly which bytes make up a release, and where they are stored.

A release is the set of function zips one build produced, each named by its content hash in the
artifact bucket and pinned to the S3 object version that holds those bytes. Terraform reads the
manifest to set each Lambda's ``s3_bucket``/``s3_key``/``s3_object_version``/``source_code_hash``,
so an environment runs precisely the zips listed here. The release id is derived from the commit
and the zips' hashes, so publishing the same build twice yields the same release.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from cartbuild.manifest import base64_of
from cartship.errors import ShipError

FORMAT = 1
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_RELEASE_ID = re.compile(r"^[0-9a-f]{12}-[0-9a-f]{12}$")
_FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Artifact:
    """One function's zip as stored in the artifact bucket."""

    bucket: str
    key: str
    version_id: str | None
    sha256: str
    base64_sha256: str
    size: int
    runtime: str
    architecture: str
    handler: str


@dataclass(frozen=True)
class Release:
    """What one build shipped: its functions' artifacts, the commit they came from, and when."""

    release_id: str
    commit: str
    built_at: str
    published_at: str
    functions: dict[str, Artifact]

    def to_json(self) -> bytes:
        """Canonical bytes (sorted keys, fixed layout), so the manifest's own hash is stable."""
        document = {
            "format": FORMAT,
            "release_id": self.release_id,
            "commit": self.commit,
            "built_at": self.built_at,
            "published_at": self.published_at,
            "functions": {name: asdict(artifact) for name, artifact in sorted(self.functions.items())},
        }
        return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def release_id(commit: str, digests: dict[str, str]) -> str:
    """``<commit[:12]>-<hash of the function zips' hashes>``: the same build always gets the same id."""
    if not _COMMIT.match(commit):
        raise ShipError(f"commit {commit!r} is not a full git commit id (40 hex digits)")
    fingerprint = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()
    return f"{commit[:12]}-{fingerprint[:12]}"


def check_release_id(value: str) -> str:
    """``value`` if it is a release id; refuses anything else before it can become an S3 key."""
    if not _RELEASE_ID.match(value):
        raise ShipError(f"malformed release id {value!r} (expected <12 hex digits of the commit>-<12 hex digits>)")
    return value


def manifest_key(identifier: str) -> str:
    """Where a release manifest lives in the artifact bucket."""
    return f"releases/{check_release_id(identifier)}.json"


def artifact_key(function: str, digest: str) -> str:
    """Content-addressed key of a function zip: the same bytes always land on the same key."""
    return f"functions/{function}/{digest}.zip"


def parse(data: bytes, origin: str) -> Release:
    """Read and validate a release manifest; ``origin`` names it in errors."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ShipError(f"{origin}: not a JSON release manifest ({error})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ShipError(f"{origin}: not a release manifest of format {FORMAT}")
    try:
        functions = {name: _artifact(name, entry) for name, entry in document["functions"].items()}
        release = Release(
            release_id=check_release_id(document["release_id"]),
            commit=_text(document, "commit"),
            built_at=_text(document, "built_at"),
            published_at=_text(document, "published_at"),
            functions=functions,
        )
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ShipError(f"{origin}: malformed release manifest ({error!r})") from error
    if not functions:
        raise ShipError(f"{origin}: release {release.release_id} lists no functions")
    return release


def _text(document: dict[str, Any], field: str) -> str:
    value = document[field]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field} must be a non-empty string")
    return value


def _artifact(name: str, entry: dict[str, Any]) -> Artifact:
    if not _FUNCTION_NAME.match(name):
        raise ValueError(f"function name {name!r}")
    version = entry["version_id"]
    artifact = Artifact(
        bucket=_text(entry, "bucket"),
        key=_text(entry, "key"),
        version_id=version if isinstance(version, str) and version else None,
        sha256=_text(entry, "sha256"),
        base64_sha256=_text(entry, "base64_sha256"),
        size=int(entry["size"]),
        runtime=_text(entry, "runtime"),
        architecture=_text(entry, "architecture"),
        handler=_text(entry, "handler"),
    )
    if not _SHA256_HEX.match(artifact.sha256):
        raise ValueError(f"{name}: sha256 must be 64 lowercase hex digits")
    if base64_of(artifact.sha256) != artifact.base64_sha256:
        raise ValueError(f"{name}: base64_sha256 does not encode sha256")
    if artifact.key != artifact_key(name, artifact.sha256):
        raise ValueError(f"{name}: key {artifact.key!r} is not {artifact_key(name, artifact.sha256)!r}")
    return artifact
