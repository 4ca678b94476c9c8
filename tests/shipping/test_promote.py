"""Promoting: the same bytes move from stage to stage, recorded, and a bad promotion changes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from cartship import pointers
from cartship.errors import ShipError
from cartship.store import ArtifactStore
from tests.helpers.shipping import (
    BUCKET,
    COMMIT,
    FUNCTIONS,
    bucket_state,
    local_state,
    published,
    ship,
    write_dist,
)


def test_promote_points_staging_at_the_byte_identical_zips_dev_runs(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    release_id = published(tmp_path, dist, capsys)
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    assert ship(tmp_path, "enter", "--env", "dev", "--release", release_id) == 0
    assert ship(tmp_path, "promote", "--from", "dev", "--to", "staging", "--expect", release_id) == 0
    capsys.readouterr()

    dev = json.loads((tmp_path / "releases" / "dev.json").read_text())
    staging = json.loads((tmp_path / "releases" / "staging.json").read_text())
    assert staging == dev
    assert staging["release_id"] == release_id
    for name in FUNCTIONS:
        entry = staging["functions"][name]
        stored = s3.get_object(Bucket=BUCKET, Key=entry["key"], VersionId=entry["version_id"])["Body"].read()
        assert hashlib.sha256(stored).hexdigest() == hashlib.sha256((dist / f"{name}.zip").read_bytes()).hexdigest()

    assert ship(tmp_path, "status", "--env", "staging", "--verify") == 0
    report = capsys.readouterr().out
    assert f"release      {release_id}" in report
    assert f"commit       {COMMIT}" in report
    assert "(from dev, by octocat via arn:aws:sts::" in report
    for name in FUNCTIONS:
        assert hashlib.sha256((dist / f"{name}.zip").read_bytes()).hexdigest() in report


def test_promotion_history_records_what_from_where_when_and_who(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/cartflow")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    first = published(tmp_path, dist, capsys)
    assert ship(tmp_path, "enter", "--env", "dev", "--release", first) == 0
    assert ship(tmp_path, "promote", "--from", "dev", "--to", "staging") == 0
    write_dist(dist, marker="v2")
    second = published(tmp_path, dist, capsys)
    assert ship(tmp_path, "enter", "--env", "dev", "--release", second) == 0
    assert ship(tmp_path, "promote", "--from", "dev", "--to", "staging") == 0

    pointer = json.loads(s3.get_object(Bucket=BUCKET, Key="environments/staging.json")["Body"].read())
    assert [entry["release_id"] for entry in pointer["history"]] == [second, first]
    latest = pointer["history"][0]
    assert latest["source"] == "dev"
    assert latest["by"].startswith("octocat via arn:aws:sts::")
    assert latest["run"] == "https://github.com/acme/cartflow/actions/runs/42"
    assert latest["at"].endswith("Z")


def test_promoting_what_the_target_already_runs_changes_nothing(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release_id = published(tmp_path, dist, capsys)
    assert ship(tmp_path, "enter", "--env", "dev", "--release", release_id) == 0
    assert ship(tmp_path, "promote", "--from", "dev", "--to", "staging") == 0
    before = bucket_state(s3)
    assert ship(tmp_path, "promote", "--from", "dev", "--to", "staging") == 0
    assert "already points at" in capsys.readouterr().out
    assert bucket_state(s3) == before


def _delete_pinned_zip(s3: Any, release: dict[str, Any]) -> None:
    entry = release["functions"]["send_reminder"]
    s3.delete_object(Bucket=BUCKET, Key=entry["key"], VersionId=entry["version_id"])


def _overwrite_zip(s3: Any, release: dict[str, Any]) -> None:
    s3.put_object(Bucket=BUCKET, Key=release["functions"]["send_reminder"]["key"], Body=b"not the released zip")


def _edit_manifest(s3: Any, release: dict[str, Any]) -> None:
    edited = {**release, "commit": "f" * 40}
    s3.put_object(Bucket=BUCKET, Key=f"releases/{release['release_id']}.json", Body=json.dumps(edited).encode())


BAD_PROMOTIONS = [
    pytest.param(
        ("--from", "dev", "--to", "qa"),
        None,
        "unknown environment 'qa' (known: dev, staging, prod)",
        id="unknown-target",
    ),
    pytest.param(("--from", "test", "--to", "staging"), None, "unknown environment 'test'", id="unknown-source"),
    pytest.param(
        ("--from", "staging", "--to", "prod"), None, "environment staging has no release yet", id="no-release"
    ),
    pytest.param(
        ("--from", "dev", "--to", "prod"),
        None,
        "cannot promote dev to prod: dev promotes only to staging",
        id="skip-stage",
    ),
    pytest.param(
        ("--from", "prod", "--to", "dev"), None, "cannot promote prod to dev: prod is the last stage", id="backwards"
    ),
    pytest.param(
        ("--from", "dev", "--to", "staging"), _delete_pinned_zip, "send_reminder artifact is missing", id="missing"
    ),
    pytest.param(
        ("--from", "dev", "--to", "staging"), _overwrite_zip, "send_reminder artifact is tampered", id="tampered-zip"
    ),
    pytest.param(("--from", "dev", "--to", "staging"), _edit_manifest, "manifest is tampered", id="tampered-manifest"),
    pytest.param(
        ("--from", "dev", "--to", "staging", "--expect", "0123456789ab-000000000000"),
        None,
        "dev runs release",
        id="unexpected-release",
    ),
]


@pytest.mark.parametrize(("arguments", "damage", "message"), BAD_PROMOTIONS)
def test_bad_promotion_fails_with_one_clear_line_and_changes_nothing(
    s3: Any,
    dist: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: tuple[str, ...],
    damage: Any,
    message: str,
) -> None:
    release_id = published(tmp_path, dist, capsys)
    assert ship(tmp_path, "enter", "--env", "dev", "--release", release_id) == 0
    if damage:
        damage(s3, json.loads((tmp_path / "releases" / f"{release_id}.json").read_text()))
    capsys.readouterr()
    bucket_before, local_before = bucket_state(s3), local_state(tmp_path)

    assert ship(tmp_path, "promote", *arguments) == 1

    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("cartship: error: ")
    assert message in error
    assert bucket_state(s3) == bucket_before
    assert local_state(tmp_path) == local_before


def test_a_promotion_that_lost_a_race_writes_nothing(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release_id = published(tmp_path, dist, capsys)
    assert ship(tmp_path, "enter", "--env", "dev", "--release", release_id) == 0
    store = ArtifactStore(s3, BUCKET)
    seen = pointers.read(store, "dev")
    assert seen is not None
    write_dist(dist, marker="v2")
    assert ship(tmp_path, "enter", "--env", "dev", "--release", published(tmp_path, dist, capsys)) == 0
    before = bucket_state(s3)

    release, manifest = pointers.load_release(store, seen.current)
    with pytest.raises(ShipError, match=r"environments/dev.json was changed by someone else meanwhile"):
        pointers.record(store, "dev", pointers.change(release, manifest, "publish", "late writer"), seen)
    assert bucket_state(s3) == before
