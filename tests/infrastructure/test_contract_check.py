"""make contract-check: each class of schema change is recognised, and a breaking one needs a version bump."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from cartflow import contract
from cartship import pointers
from cartship.store import ArtifactStore
from tests.helpers.strategies import instances
from tools import contract_check
from tools.contract_compat import Change, classify

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contract_changes"
EXPECTED = {
    "additive": {Change.ADDITIVE},
    "breaking_consumers": {Change.BREAKS_CONSUMERS},
    "breaking_producers": {Change.BREAKS_PRODUCERS},
    "breaking_replay": {Change.BREAKS_REPLAY},
    "renamed_field": {Change.BREAKS_CONSUMERS, Change.BREAKS_PRODUCERS, Change.BREAKS_REPLAY},
}


def pair(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    base, head = (json.loads((FIXTURES / name / f"{side}.schema.json").read_text()) for side in ("base", "head"))
    return base, head


def test_every_fixture_pair_is_expected() -> None:
    assert sorted(path.name for path in FIXTURES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_pair_is_classified_as_its_class(name: str) -> None:
    base, head = pair(name)
    assert {finding.change for finding in classify(base, head)} == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_what_is_not_called_breaking_never_breaks(name: str, data: st.DataObject) -> None:
    # The three relations the classes stand for, checked on generated details with jsonschema.
    base, head = pair(name)
    found = {finding.change for finding in classify(base, head)}
    if Change.BREAKS_CONSUMERS not in found:
        detail = data.draw(instances(head))
        assert jsonschema.Draft4Validator(contract.open_objects(base)).is_valid(detail)
    if Change.BREAKS_PRODUCERS not in found:
        assert jsonschema.Draft4Validator(head).is_valid(data.draw(instances(base)))
    if Change.BREAKS_REPLAY not in found:
        assert jsonschema.Draft4Validator(contract.open_objects(head)).is_valid(data.draw(instances(base)))


def test_unchanged_and_description_only() -> None:
    base, _ = pair("additive")
    assert classify(base, base) == []
    assert {f.change for f in classify(base, {**base, "description": "reworded"})} == {Change.ADDITIVE}


def test_a_keyword_the_checker_does_not_understand_is_never_called_safe() -> None:
    base, _ = pair("additive")
    head = {**base, "properties": {**base["properties"], "user": {**base["properties"]["user"], "format": "email"}}}
    assert Change.BREAKS_PRODUCERS in {finding.change for finding in classify(base, head)}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding this contract, committed once."""
    shutil.copytree(contract.CONTRACT_DIR, tmp_path / "cartflow" / "contract")
    for command in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"],
    ):
        subprocess.run(["git", "-C", str(tmp_path), *command], check=True)
    return tmp_path


def edit(repo: Path, relative: str, change: Any) -> None:
    path = repo / "cartflow" / "contract" / relative
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def bump(document: dict[str, Any]) -> None:
    for entry in document["events"]:
        if entry["detail_type"] == "ItemAddedToCart":
            entry["version"] += 1


def test_cli_passes_an_additive_change(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo, "events/ItemAddedToCart.schema.json", lambda s: s["properties"].update(coupon={"type": "string"}))
    assert contract_check.main(["--base", "HEAD", "--repo", str(repo)]) == 0
    assert "cartflow.cart/ItemAddedToCart v1 -> v1: ok" in capsys.readouterr().out


def test_cli_fails_a_breaking_change_until_the_version_is_bumped(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo, "events/ItemAddedToCart.schema.json", lambda s: s["required"].append("quantity"))
    assert contract_check.main(["--base", "HEAD", "--repo", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "v1 -> v1: FAIL: breaking change without a version bump" in out
    assert "breaking for producers: detail.quantity: may be absent, is required" in out
    assert "breaking replay of archived events: detail.quantity: may be absent, is required" in out
    edit(repo, "events.json", bump)
    assert contract_check.main(["--base", "HEAD", "--repo", str(repo)]) == 0


def test_cli_treats_a_removed_event_type_as_breaking(repo: Path) -> None:
    edit(
        repo,
        "events.json",
        lambda d: d.update(events=[e for e in d["events"] if e["detail_type"] != "CartReminderSent"]),
    )
    assert contract_check.main(["--base", "HEAD", "--repo", str(repo)]) == 1


def test_cli_resolves_a_release_id_to_its_commit_and_refuses_an_unknown_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert contract_check.main(["--base", f"{commit[:12]}-{'0' * 12}", "--repo", str(repo)]) == 0
    assert f"({commit[:12]})" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="release 'abcdefabcdef-000000000000' is not a commit"):
        contract_check.main(["--base", "abcdefabcdef-000000000000", "--repo", str(repo)])


def test_cli_compares_with_the_release_an_environment_runs(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    edit(repo, "events/ItemAddedToCart.schema.json", lambda s: s["required"].append("quantity"))
    monkeypatch.setenv("CARTSHIP_BUCKET", "artifacts")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="artifacts")
        assert contract_check.main(["--env", "prod", "--repo", str(repo)]) == 0
        assert "prod runs no release yet" in capsys.readouterr().out
        store = ArtifactStore(boto3.client("s3"), "artifacts")
        running = pointers.Change(
            f"{head[:12]}-{'0' * 12}", "0" * 64, head, "staging", "2030-01-01T00:00:00Z", "ci", None
        )
        pointers.record(store, "prod", running, None)
        assert contract_check.main(["--env", "prod", "--repo", str(repo)]) == 1
    assert f"against the release prod runs ({head[:12]})" in capsys.readouterr().out
