"""A dist/ and an artifact bucket for the cartship tests, and cartship run as its command line.

The zips are small real zip files described by a build manifest of build.py's format.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cartship.cli import main

BUCKET = "cartflow-artifacts-test"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
FUNCTIONS = ("cancel_reminders", "schedule_reminder", "send_reminder")


def _zip(name: str, marker: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("app.py", (2020, 1, 1, 0, 0, 0)), f"def handler(e, c):\n    return {marker!r}\n"
        )
    return buffer.getvalue()


def write_dist(directory: Path, marker: str = "v1") -> dict[str, bytes]:
    """A dist/ as build.py writes it: one zip per function and manifest.json (format 1)."""
    directory.mkdir(parents=True, exist_ok=True)
    zips = {name: _zip(name, f"{name}-{marker}") for name in FUNCTIONS}
    entries = {}
    for name, body in zips.items():
        (directory / f"{name}.zip").write_bytes(body)
        digest = hashlib.sha256(body).digest()
        entries[name] = {
            "architecture": "x86_64",
            "handler": "app.handler",
            "inputs_hash": "0" * 64,
            "runtime": "python3.13",
            "sdk": "runtime",
            "sha256": digest.hex(),
            "source_code_hash": base64.b64encode(digest).decode(),
            "unzipped_size": 100,
            "zip": f"{name}.zip",
            "zipped_size": len(body),
        }
    (directory / "manifest.json").write_text(json.dumps({"format": 1, "functions": entries}))
    return zips


def ship(tmp_path: Path, *arguments: str) -> int:
    return main(["--bucket", BUCKET, "--out-dir", str(tmp_path / "releases"), *arguments])


def bucket_state(s3: Any, bucket: str = BUCKET) -> list[tuple[str, str, str]]:
    """Every version of every object (key, version, ETag): equal before and after means nothing changed."""
    versions = s3.list_object_versions(Bucket=bucket)
    found = [(v["Key"], v["VersionId"], v["ETag"]) for v in versions.get("Versions", [])]
    found += [(m["Key"], m["VersionId"], "delete-marker") for m in versions.get("DeleteMarkers", [])]
    return sorted(found)


def local_state(tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "releases"
    return {path.name: path.read_bytes() for path in sorted(out.glob("*"))} if out.exists() else {}


def published(tmp_path: Path, dist: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert ship(tmp_path, "publish", "--dist", str(dist), "--commit", COMMIT) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def fresh_bucket(s3: Any) -> str:
    """A new versioned bucket: moto servers in one process share their state, so names must not repeat."""
    name = f"{BUCKET}-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name
