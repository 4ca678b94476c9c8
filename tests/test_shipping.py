"""Shipping: publish once, promote the same bytes, and refuse bad input without changing anything.

The artifact bucket is moto's S3 (in-process ``mock_aws``, and a moto server for the make
targets); the zips are small real zip files described by a build manifest of build.py's format.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import hcl2
import pytest
import yaml  # type: ignore[import-untyped]
from hcl2.utils import SerializationOptions
from moto import mock_aws

from cartflow import timestamps
from cartlocal.journey import wait_for
from cartlocal.lambda_runtime.worker import Worker
from cartlocal.local_aws.endpoint import MotoEndpoint
from cartlocal.local_stack import LocalStack, Options
from cartship import pointers
from cartship.cli import main
from cartship.errors import ShipError
from cartship.materialize import materialize
from cartship.promote import enter, promote
from cartship.publish import publish
from cartship.release import Release, artifact_key
from cartship.smoke import Target, accepted, smoke
from cartship.status import status
from cartship.store import ArtifactStore

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "cartflow-artifacts-test"
HCL_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
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


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    write_dist(tmp_path / "dist")
    return tmp_path / "dist"


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


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(("status", "--env", "qa"), "unknown environment 'qa'", id="status-unknown"),
        pytest.param(("status", "--env", "prod"), "environment prod has no release yet", id="status-no-release"),
        pytest.param(
            ("enter", "--env", "staging", "--release", "0123456789ab-000000000000"),
            "staging takes releases only by promotion",
            id="enter-not-dev",
        ),
        pytest.param(
            ("enter", "--env", "dev", "--release", "0123456789ab-000000000000"),
            "release 0123456789ab-000000000000 is not published",
            id="enter-unpublished",
        ),
        pytest.param(("enter", "--env", "dev", "--release", "../../etc"), "malformed release id", id="enter-malformed"),
        pytest.param(("pull", "--env", "staging"), "environment staging has no release yet", id="pull-no-release"),
    ],
)
def test_bad_requests_fail_with_one_clear_line_and_change_nothing(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], message: str
) -> None:
    before = bucket_state(s3)
    assert ship(tmp_path, *arguments) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert message in error
    assert bucket_state(s3) == before
    assert local_state(tmp_path) == {}


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


def test_commands_need_a_bucket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARTSHIP_BUCKET", raising=False)
    assert main(["status", "--env", "dev"]) == 1
    assert "no artifact bucket: set CARTSHIP_BUCKET" in capsys.readouterr().err


def test_publish_hands_the_release_id_to_the_next_github_job(
    s3: Any, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    release_id = published(tmp_path, dist, capsys)
    assert outputs.read_text() == f"release_id={release_id}\n"


def fresh_bucket(s3: Any) -> str:
    """A new versioned bucket: moto servers in one process share their state, so names must not repeat."""
    name = f"{BUCKET}-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def make(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a make target as a developer would; -o keeps make from ever rebuilding the shared .venv."""
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_make_targets_work_against_moto_through_aws_endpoint_url(tmp_path: Path) -> None:
    endpoint = MotoEndpoint()
    try:
        s3 = endpoint.client("s3")
        bucket = fresh_bucket(s3)
        write_dist(tmp_path / "dist")
        environment = {**os.environ, **endpoint.environment(), "CARTSHIP_BUCKET": bucket}
        places = (f"DIST={tmp_path / 'dist'}", f"RELEASES={tmp_path / 'releases'}")

        published_run = make("publish", *places, environment=environment)
        assert published_run.returncode == 0, published_run.stderr
        release_id = published_run.stdout.split()[-1]
        assert make("enter", "ENV=dev", f"RELEASE={release_id}", *places, environment=environment).returncode == 0
        promoted = make("promote", "FROM=dev", "TO=staging", f"EXPECT={release_id}", *places, environment=environment)
        assert promoted.returncode == 0, promoted.stderr
        status = make("status", "ENV=staging", "VERIFY=1", *places, environment=environment)
        assert f"release      {release_id}" in status.stdout
        assert "functions (bytes verified):" in status.stdout
        assert json.loads((tmp_path / "releases" / "staging.json").read_text())["release_id"] == release_id

        before = bucket_state(s3, bucket)
        refused = make("promote", "FROM=staging", "TO=qa", *places, environment=environment)
        assert refused.returncode != 0
        assert "cartship: error: unknown environment 'qa' (known: dev, staging, prod)\n" in refused.stderr
        assert bucket_state(s3, bucket) == before
    finally:
        endpoint.stop()


def handled_an_event(worker: Worker) -> bool:
    return any(result.ok for result in worker.results)


@pytest.mark.parametrize(
    ("answer", "put"),
    [
        ({"message": "message received"}, True),
        ({"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}, True),
        ({"message": "event not accepted"}, False),
        ({"FailedEntryCount": 1, "Entries": [{"ErrorCode": "MalformedDetail"}]}, False),
        ({"FailedEntryCount": 0, "Entries": []}, False),
        (["message received"], False),
    ],
)
def test_the_smoke_test_accepts_what_either_api_answers_for_a_put_event(answer: object, put: bool) -> None:
    """The REST API's message or the HTTP API's PutEvents response with the entry put; nothing else."""
    assert accepted(answer) is put


@pytest.mark.e2e
def test_two_local_environments_run_one_release_byte_for_byte_and_pass_the_smoke_test(
    built_dist: Path, tmp_path: Path
) -> None:
    store_endpoint = MotoEndpoint()
    try:
        s3 = store_endpoint.client("s3")
        store = ArtifactStore(s3, fresh_bucket(s3))
        release = publish(store, built_dist, COMMIT, timestamps.now(), [])
        enter(store, "dev", release.release_id, "test")
        promote(store, "dev", "staging", "test", expect=release.release_id)

        folders = {}
        for env in ("dev", "staging"):
            runs, _ = pointers.load_release(store, pointers.require(store, env).current)
            assert runs.release_id == release.release_id
            folders[env] = materialize(store, runs, tmp_path / "dist" / env)
        built_hashes = {
            name: entry["sha256"]
            for name, entry in json.loads((built_dist / "manifest.json").read_text())["functions"].items()
        }
        for name, digest in built_hashes.items():
            assert hashlib.sha256((folders["staging"] / f"{name}.zip").read_bytes()).hexdigest() == digest
            assert (folders["staging"] / f"{name}.zip").read_bytes() == (folders["dev"] / f"{name}.zip").read_bytes()

        options = {
            env: Options(dist=folder, workdir=tmp_path / "run" / env, name=f"cartflow-{env}", time_scale=1 / 360)
            for env, folder in folders.items()
        }
        with LocalStack(options["dev"]) as dev, LocalStack(options["staging"]) as staging:
            for local in (dev, staging):
                assert local.api is not None
                assert local.stack is not None
                observed = smoke(
                    Target(local.api.url, local.stack.settings["EVENT_BUS_ARN"]),
                    client=local.client,
                    timeout_seconds=30,
                )
                assert [line.split(";")[0] for line in observed] == ["POST /cart → 200", "DELETE /cart → 200"]
                # The functions that handled the smoke test's events run the released bytes.
                for name, worker in local.workers.items():
                    assert worker.config.task_root.name == f"{name}-{built_hashes[name][:16]}"
                assert wait_for(partial(handled_an_event, local.workers["schedule_reminder"]), 30)

            # Isolated: an item added through dev's API never reaches staging's bus, and the
            # smoke test says so instead of passing on the API's answer alone.
            assert dev.api is not None
            assert staging.stack is not None
            crossed = Target(dev.api.url, staging.stack.settings["EVENT_BUS_ARN"])
            with pytest.raises(ShipError, match=r"POST /cart was accepted but no ItemAddedToCart .* reached bus"):
                smoke(crossed, client=staging.client, timeout_seconds=2)
    finally:
        store_endpoint.stop()


# ---------------------------------------------------------------------------- workflows

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
MAKE_CALL = re.compile(r"\bmake\s+((?:[^\s;&|]+\s*)+)")


def workflow(name: str) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def run_lines(job: dict[str, Any]) -> list[str]:
    return [line for step in job["steps"] if "run" in step for line in step["run"].splitlines()]


def make_targets(lines: list[str]) -> list[str]:
    """The make targets named in shell lines (not VAR=value assignments or options)."""
    targets = []
    for line in lines:
        for match in MAKE_CALL.finditer(line):
            # A redirection ends make's arguments (`make plan-summary ENV=dev >> "$GITHUB_STEP_SUMMARY"`).
            arguments = re.split(r"\s[<>|&]", match.group(1))[0]
            targets += [word for word in arguments.split() if "=" not in word and not word.startswith("-")]
    return targets


def make_database() -> dict[str, set[str]]:
    """Every target make knows (Makefile and mk/*.mk) with its direct prerequisites."""
    output = subprocess.run(
        ["make", "-pRrq", "-f", "Makefile"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    ).stdout
    rules: dict[str, set[str]] = {}
    for line in output.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+):(?!=)\s*(.*)$", line)
        if match:
            rules.setdefault(match.group(1), set()).update(match.group(2).split("|")[0].split())
    return rules


def needs_package(target: str, rules: dict[str, set[str]], seen: frozenset[str] = frozenset()) -> bool:
    if target == "package":
        return True
    return any(needs_package(p, rules, seen | {target}) for p in rules.get(target, ()) if p not in seen)


def test_workflows_exist_and_actionlint_finds_nothing() -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "deploy.yml"]
    result = subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actions_are_pinned_to_full_commits_of_node24_releases(tmp_path: Path) -> None:
    """Each `uses:` is a 40-hex commit with its release as a comment, and that release is not node20.

    actionlint knows each popular action's runtime by tag, not by commit: the copy with the commit
    replaced by the commented major version must pass it too.
    """
    for path in WORKFLOWS:
        uses = [line.split("uses:", 1)[1].strip() for line in path.read_text().splitlines() if "uses:" in line]
        assert uses
        assert [ref for ref in uses if not PINNED.match(ref)] == [], path.name
        by_tag = re.sub(r"@[0-9a-f]{40} # (v\d+)[\d.]*", r"@\1", path.read_text())
        (tmp_path / path.name).write_text(by_tag)
    result = subprocess.run(
        [str(ACTIONLINT), "-no-color", *sorted(map(str, tmp_path.glob("*.yml")))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout


def test_every_make_target_the_workflows_call_exists() -> None:
    rules = make_database()
    called = {
        target
        for path in WORKFLOWS
        for job in workflow(path.name)["jobs"].values()
        for target in make_targets(run_lines(job))
    }
    assert {
        "test",
        "package",
        "publish",
        "enter",
        "promote",
        "plan",
        "apply",
        "smoke",
        "status",
    } <= called
    assert sorted(called - rules.keys()) == []


def test_only_the_build_job_builds() -> None:
    rules = make_database()
    jobs = workflow("deploy.yml")["jobs"]
    for name, job in jobs.items():
        lines = run_lines(job)
        builds = "build.py" in " ".join(lines) or any(needs_package(target, rules) for target in make_targets(lines))
        assert builds == (name == "build"), f"job {name} {'does not build' if name == 'build' else 'rebuilds'}"


def test_deploy_promotes_one_release_through_gated_environments_with_oidc() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    assert deploy["permissions"] == {"contents": "read"}
    assert deploy["concurrency"]["cancel-in-progress"] is False
    jobs = deploy["jobs"]
    assert jobs["publish"]["needs"] == "build"
    assert jobs["plan-dev"]["needs"] == "publish"
    assert jobs["plan-staging"]["needs"] == ["publish", "dev"]
    assert jobs["plan-prod"]["needs"] == ["publish", "staging"]
    for env in ("dev", "staging", "prod"):
        assert jobs[env]["needs"] == ["publish", f"plan-{env}"]
    for name, job in jobs.items():
        assumes_role = any("configure-aws-credentials" in step.get("uses", "") for step in job["steps"])
        assert assumes_role == (name != "build")
        if assumes_role:
            assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert any("make smoke ENV=dev" in line for line in run_lines(jobs["dev"]))


def _step_index(job: dict[str, Any], predicate: Callable[[dict[str, Any]], bool], what: str) -> int:
    found = [i for i, step in enumerate(job["steps"]) if predicate(step)]
    assert len(found) == 1, f"expected one step that {what}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize(
    ("env", "entry"),
    [
        ("dev", "make enter ENV=dev RELEASE="),
        ("staging", "make promote FROM=dev TO=staging EXPECT="),
        ("prod", "make promote FROM=staging TO=prod EXPECT="),
    ],
)
def test_approvers_see_the_plan_and_the_apply_applies_exactly_that_saved_plan(env: str, entry: str) -> None:
    jobs = workflow("deploy.yml")["jobs"]
    plan, apply = jobs[f"plan-{env}"], jobs[env]
    # The plan job: unprotected environment, read-only plan role, the published release, no writes.
    assert plan["environment"] == f"{env}-plan"
    role = next(
        step["with"]["role-to-assume"] for step in plan["steps"] if "configure-aws-credentials" in step.get("uses", "")
    )
    assert role == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert plan["env"]["TF_VAR_release_manifest"] == "releases/${{ needs.publish.outputs.release_id }}.json"
    planning = _step_index(plan, lambda s: f"make plan ENV={env}" in s.get("run", ""), "plans")
    summary = _step_index(
        plan,
        lambda s: s.get("run", "") == f'make plan-summary ENV={env} >> "$GITHUB_STEP_SUMMARY"',
        "writes the summary",
    )
    upload = _step_index(plan, lambda s: s.get("with", {}).get("name") == f"tfplan-{env}", "uploads the plan")
    assert planning < summary < upload
    assert f"terraform/environments/{env}/tfplan" in plan["steps"][upload]["with"]["path"]
    assert not any(word in line for line in run_lines(plan) for word in ("make apply", "make enter", "make promote"))
    # The apply job: the protected environment, after the plan; points at the release, then applies the download.
    assert apply["environment"] == env
    role = next(
        step["with"]["role-to-assume"] for step in apply["steps"] if "configure-aws-credentials" in step.get("uses", "")
    )
    assert role == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    entering = _step_index(apply, lambda s: entry in s.get("run", ""), "points the environment at the release")
    download = _step_index(
        apply,
        lambda s: "download-artifact" in s.get("uses", "") and s["with"]["name"] == f"tfplan-{env}",
        "downloads the saved plan",
    )
    assert apply["steps"][download]["with"]["path"] == f"terraform/environments/{env}/"
    applying = _step_index(apply, lambda s: s.get("run", "") == f"make apply ENV={env}", "applies the saved plan")
    status = _step_index(apply, lambda s: s.get("run", "") == f"make status ENV={env}", "reports status")
    assert entering < download < applying < status
    assert not any("make plan" in line for line in run_lines(apply)), "the apply job must not plan again"


def test_ci_checks_pull_requests_and_keeps_the_zips() -> None:
    ci = workflow("ci.yml")
    assert ci["on"] == {"pull_request": None}
    assert ci["permissions"] == {"contents": "read"}
    [job] = ci["jobs"].values()
    # `make test` already lints and type-checks (it is .ci/run): CI runs each check once.
    assert make_targets(run_lines(job)) == ["test", "audit", "package"]
    upload = [step for step in job["steps"] if "upload-artifact" in step.get("uses", "")]
    assert upload[0]["with"]["path"] == "dist/"


# ---------------------------------------------------------------------------- bootstrap

BOOTSTRAP = ROOT / "terraform" / "bootstrap"


def bootstrap_blocks(kind: str) -> dict[str, dict[str, Any]]:
    """``{"<type>.<name>": body}`` of every ``kind`` ("resource"/"data") block in terraform/bootstrap."""
    blocks: dict[str, dict[str, Any]] = {}
    for path in sorted(BOOTSTRAP.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            document = hcl2.load(handle, serialization_options=HCL_OPTIONS)
        for block in document.get(kind, []):
            for block_type, named in block.items():
                blocks.update({f"{block_type}.{name}": body for name, body in named.items()})
    return blocks


def test_github_roles_trust_exactly_one_repository_and_environment_or_ref() -> None:
    trust = bootstrap_blocks("data")["aws_iam_policy_document.github_trust"]
    for_each = trust["for_each"]
    assert '"repo:${var.github_repository}:environment:${env}"' in for_each
    assert '"repo:${var.github_repository}:ref:${var.publish_ref}"' in for_each
    [statement] = trust["statement"]
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
    assert conditions == {
        "${local.github_oidc_host}:aud": ("StringEquals", ["sts.amazonaws.com"]),
        "${local.github_oidc_host}:sub": ("StringEquals", ["${each.value}"]),
    }
    resources = bootstrap_blocks("resource")
    assert resources["aws_iam_role.deploy"]["for_each"] == "${toset(var.environments)}"
    assert 'github_trust["deploy-${each.key}"]' in resources["aws_iam_role.deploy"]["assume_role_policy"]
    assert 'github_trust["publish"]' in resources["aws_iam_role.publish"]["assume_role_policy"]


def test_every_role_statement_names_its_resources() -> None:
    data = bootstrap_blocks("data")
    for name in ("publish", "deploy_shipping", "deploy_stack"):
        for statement in data[f"aws_iam_policy_document.{name}"]["statement"]:
            assert statement.get("effect", "Allow") == "Allow"
            assert statement["resources"], f"{name}.{statement['sid']} names no resource"
            # Only actions AWS gives no resource to name may use "*", and then only narrowed.
            if "*" in statement["resources"]:
                assert statement["resources"] == ["*"]
                narrowed_by = {condition["variable"] for condition in statement["condition"]}
                assert "aws:RequestedRegion" in narrowed_by, f"{name}.{statement['sid']}: * in every region"
                assert set(statement["actions"]) <= {
                    "kms:CreateKey",
                    "kms:TagResource",
                    "kms:ListAliases",
                    "lambda:CreateEventSourceMapping",
                    "cognito-idp:CreateUserPool",
                }
    writes = {
        statement["sid"]: statement["resources"]
        for statement in data["aws_iam_policy_document.deploy_shipping"]["statement"]
        if "s3:PutObject" in statement["actions"]
    }
    assert writes == {
        "OwnStateAndLock": ["${local.state_arn}/${var.name_prefix}/${each.key}/*"],
        "WriteOnlyOwnPointer": ["${local.artifacts_arn}/environments/${each.key}.json"],
    }


def test_state_and_artifact_buckets_are_versioned_encrypted_private_and_tls_only() -> None:
    resources = bootstrap_blocks("resource")
    assert resources["aws_s3_bucket.this"]["for_each"] == "${local.buckets}"
    for companion in (
        "versioning",
        "server_side_encryption_configuration",
        "public_access_block",
        "ownership_controls",
        "policy",
        "lifecycle_configuration",
        "logging",
    ):
        assert resources[f"aws_s3_bucket_{companion}.this"]["for_each"] == "${aws_s3_bucket.this}", companion
    assert resources["aws_s3_bucket_versioning.this"]["versioning_configuration"][0]["status"] == "Enabled"
    [rule] = resources["aws_s3_bucket_server_side_encryption_configuration.this"]["rule"]
    assert rule["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    access_block = resources["aws_s3_bucket_public_access_block.this"]
    assert all(
        access_block[flag] is True
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert resources["aws_s3_bucket_ownership_controls.this"]["rule"][0]["object_ownership"] == "BucketOwnerEnforced"
    tls = {s["sid"]: s for s in bootstrap_blocks("data")["aws_iam_policy_document.tls_only"]["statement"]}
    assert tls["DenyInsecureTransport"]["effect"] == "Deny"
    assert tls["DenyInsecureTransport"]["condition"][0]["variable"] == "aws:SecureTransport"
    assert tls["DenyTlsOlderThan12"]["condition"][0]["values"] == ["1.2"]
    assert resources["aws_kms_key.this"]["enable_key_rotation"] is True


def test_bootstrap_variables_are_typed_and_described() -> None:
    with (BOOTSTRAP / "variables.tf").open(encoding="utf-8") as handle:
        variables = hcl2.load(handle, serialization_options=HCL_OPTIONS)["variable"]
    for block in variables:
        for name, body in block.items():
            assert body.get("description"), name
            assert body.get("type"), name


def role_statements(document: str, environment: str) -> list[tuple[set[str], list[str]]]:
    """(actions, resource patterns) of one bootstrap policy document, for the test bucket and ``environment``."""
    statements = bootstrap_blocks("data")[f"aws_iam_policy_document.{document}"]["statement"]
    names = {
        "${local.artifacts_arn}": f"arn:aws:s3:::{BUCKET}",
        "${each.key}": environment,
        "${var.name_prefix}": "cartflow",
    }

    def resolve(template: str) -> str:
        for name, value in names.items():
            template = template.replace(name, value)
        return template

    return [(set(statement["actions"]), [resolve(t) for t in statement["resources"]]) for statement in statements]


def s3_actions_of(run: Callable[[ArtifactStore], object], s3: Any) -> set[tuple[str, str]]:
    """The (IAM action, object ARN) pairs ``run`` needs, recorded from the S3 calls it makes."""
    needed: set[tuple[str, str]] = set()
    action_of = {"GetObject": "s3:GetObject", "HeadObject": "s3:GetObject", "PutObject": "s3:PutObject"}

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        action = action_of[model.name]
        if params.get("VersionId"):
            action = "s3:GetObjectVersion"
        needed.add((action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"))

    # provide-client-params sees the API parameters (Bucket, Key, VersionId) before serialisation.
    s3.meta.events.register("provide-client-params.s3", record)
    try:
        run(ArtifactStore(s3, BUCKET))
    finally:
        s3.meta.events.unregister("provide-client-params.s3", record)
    return needed


def allowed(needed: set[tuple[str, str]], statements: list[tuple[set[str], list[str]]]) -> set[tuple[str, str]]:
    """The needed pairs no statement allows."""
    return {
        (action, arn)
        for action, arn in needed
        if not any(
            action in actions and any(fnmatch.fnmatchcase(arn, p) for p in resources)
            for actions, resources in statements
        )
    }


def test_each_bootstrap_role_allows_the_s3_calls_its_cartship_commands_make(s3: Any, dist: Path) -> None:
    releases: list[Release] = []
    published_release = s3_actions_of(lambda store: releases.append(publish(store, dist, COMMIT, "now", [])), s3)
    release_id = releases[0].release_id
    entered = s3_actions_of(lambda store: enter(store, "dev", release_id, "test"), s3)
    promoted = s3_actions_of(lambda store: promote(store, "dev", "staging", "test"), s3)
    reported = s3_actions_of(lambda store: status(store, "staging", verify=True), s3)

    assert allowed(published_release, role_statements("publish", "dev")) == set()
    assert allowed(entered, role_statements("deploy_shipping", "dev")) == set()
    assert allowed(promoted | reported, role_statements("deploy_shipping", "staging")) == set()
    # And no more: staging's role may not move dev, nor may the publisher move any environment.
    assert allowed(entered, role_statements("deploy_shipping", "staging")) == {
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/environments/dev.json")
    }
    assert allowed(entered, role_statements("publish", "dev")) >= {
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/environments/dev.json")
    }


def test_deploy_jobs_plan_the_published_release_and_no_tfvars_overrides_them() -> None:
    # terraform.tfvars outranks TF_VAR_ variables: a tfvars value would silently win over the pipeline.
    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    for name, job in workflow("deploy.yml")["jobs"].items():
        runs = " ".join(step.get("run", "") for step in job.get("steps", []))
        planned = re.findall(r"make plan ENV=(\w+)", runs)
        if not planned:
            continue
        environment = job.get("env", {})
        assert environment.get("TF_VAR_code_source") == "release", f"{name} would plan local dist/ zips"
        for env in planned:
            with (ROOT / "terraform" / "environments" / env / "terraform.tfvars").open() as handle:
                tfvars = hcl2.load(handle, serialization_options=options)
            for variable, value in environment.items():
                if variable.startswith("TF_VAR_") and variable[7:] in tfvars:
                    assert str(tfvars[variable[7:]]) == str(value), f"{env}/terraform.tfvars overrides {variable}"
