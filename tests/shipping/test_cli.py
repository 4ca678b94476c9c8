"""The cartship command line and its make targets: one clear error line, and nothing changed.

The make targets run against a moto server through AWS_ENDPOINT_URL, as a developer would.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cartlocal.local_aws.endpoint import MotoEndpoint
from cartship.cli import main
from tests.helpers.paths import ROOT
from tests.helpers.shipping import (
    bucket_state,
    fresh_bucket,
    local_state,
    ship,
    write_dist,
)


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


def test_commands_need_a_bucket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARTSHIP_BUCKET", raising=False)
    assert main(["status", "--env", "dev"]) == 1
    assert "no artifact bucket: set CARTSHIP_BUCKET" in capsys.readouterr().err


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
