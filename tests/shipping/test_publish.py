"""Publishing: each zip stored once under its hash with a release manifest, and bad input refused.

The artifact bucket is moto's S3 (in-process ``mock_aws``); the zips are small real zip files
described by a build manifest of build.py's format.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from cartship.release import artifact_key
from tests.helpers.shipping import (
    BUCKET,
    COMMIT,
    FUNCTIONS,
    bucket_state,
    published,
    ship,
    write_dist,
)


def test_publish_stores_each_zip_under_its_hash_with_a_release_manifest(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release_id = published(tmp_path, dist, capsys)

    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"releases/{release_id}.json")["Body"].read())
    assert manifest["commit"] == COMMIT
    assert manifest["built_at"].endswith("Z")
    assert (tmp_path / "releases" / f"{release_id}.json").read_bytes() == s3.get_object(
        Bucket=BUCKET, Key=f"releases/{release_id}.json"
    )["Body"].read()
    for name in FUNCTIONS:
        body = (dist / f"{name}.zip").read_bytes()
        entry = manifest["functions"][name]
        assert entry["key"] == f"functions/{name}/{hashlib.sha256(body).hexdigest()}.zip"
        assert entry["base64_sha256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert (entry["runtime"], entry["architecture"], entry["handler"]) == ("python3.13", "x86_64", "app.handler")
        stored = s3.get_object(Bucket=BUCKET, Key=entry["key"], VersionId=entry["version_id"], ChecksumMode="ENABLED")
        assert stored["Body"].read() == body
        assert stored["ChecksumSHA256"] == entry["base64_sha256"]


def test_publishing_the_same_build_twice_uploads_nothing(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = published(tmp_path, dist, capsys)
    before = bucket_state(s3)
    assert published(tmp_path, dist, capsys) == first
    assert bucket_state(s3) == before


def test_a_changed_function_uploads_only_that_zip(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = published(tmp_path, dist, capsys)
    zips = write_dist(dist, marker="v2")
    write_dist(tmp_path / "other", marker="v1")
    # Only send_reminder changes: restore the other two zips of the first build.
    for name in ("cancel_reminders", "schedule_reminder"):
        (dist / f"{name}.zip").write_bytes((tmp_path / "other" / f"{name}.zip").read_bytes())
    manifest = json.loads((dist / "manifest.json").read_text())
    for name in ("cancel_reminders", "schedule_reminder"):
        manifest["functions"][name] = json.loads((tmp_path / "other" / "manifest.json").read_text())["functions"][name]
    (dist / "manifest.json").write_text(json.dumps(manifest))
    before = {key for key, _, _ in bucket_state(s3)}

    second = published(tmp_path, dist, capsys)

    added = {key for key, _, _ in bucket_state(s3)} - before
    digest = hashlib.sha256(zips["send_reminder"]).hexdigest()
    assert second != first
    assert added == {artifact_key("send_reminder", digest), f"releases/{second}.json"}


def test_publish_refuses_a_stale_dist_and_a_tampered_store(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dist / "send_reminder.zip").write_bytes(b"rebuilt behind the manifest's back")
    assert ship(tmp_path, "publish", "--dist", str(dist), "--commit", COMMIT) == 1
    assert "send_reminder.zip has sha256" in capsys.readouterr().err
    assert bucket_state(s3) == []

    zips = write_dist(dist)
    key = artifact_key("send_reminder", hashlib.sha256(zips["send_reminder"]).hexdigest())
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"planted")
    before = bucket_state(s3)
    assert ship(tmp_path, "publish", "--dist", str(dist), "--commit", COMMIT) == 1
    assert "the artifact store was tampered with; nothing was published" in capsys.readouterr().err
    assert bucket_state(s3) == before


def test_publish_refuses_a_commit_that_is_not_a_full_git_commit(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ship(tmp_path, "publish", "--dist", str(dist), "--commit", "main") == 1
    assert "commit 'main' is not a full git commit id (40 hex digits)" in capsys.readouterr().err
    assert bucket_state(s3) == []


def test_publish_refuses_a_build_of_only_some_functions(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = json.loads((dist / "manifest.json").read_text())
    del manifest["functions"]["send_reminder"]
    (dist / "manifest.json").write_text(json.dumps(manifest))
    assert ship(tmp_path, "publish", "--dist", str(dist), "--commit", COMMIT) == 1
    assert "does not hold exactly the contract's functions (missing: send_reminder" in capsys.readouterr().err
    assert bucket_state(s3) == []


def test_publish_hands_the_release_id_to_the_next_github_job(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    release_id = published(tmp_path, dist, capsys)
    assert outputs.read_text() == f"release_id={release_id}\n"
