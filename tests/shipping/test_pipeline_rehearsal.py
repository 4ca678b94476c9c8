"""`make pipeline-offline`: deploy.yml runs from the build to prod against the local account, and
fails as GitHub would when an apply job lacks a file its saved plan read.

Each run rehearses the committed HEAD (a fresh clone per job), so these tests check the commit
under test, as CI's fresh clone has it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml  # type: ignore[import-untyped]

from tests.helpers.paths import ROOT

DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"


def rehearse(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cartship.rehearsal.pipeline", "--keep", str(tmp_path / "run"), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )


def test_every_job_from_the_build_to_prod_passes_against_the_local_account(tmp_path: Path) -> None:
    ran = rehearse(tmp_path)

    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-4000:]
    assert "pipeline-offline: 8 of 8 jobs passed" in ran.stdout
    jobs = tmp_path / "run" / "run" / "jobs"
    for environment in ("dev", "staging", "prod"):
        assert "### Terraform plan for" in (jobs / f"plan-{environment}" / "summary.md").read_text(encoding="utf-8")
        assert f"assumed-role/cartflow-deploy-{environment}/" in ran.stdout
    # What could not be rehearsed is said, never passed off as run.
    assert "not rehearsed: dev: Smoke test" in ran.stdout


def test_an_apply_job_without_the_release_its_plan_read_fails_with_terraforms_error(tmp_path: Path) -> None:
    workflow = yaml.safe_load(DEPLOY.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["dev"]["steps"]
    workflow["jobs"]["dev"]["steps"] = [step for step in steps if step.get("with", {}).get("name") != "release"]
    assert len(workflow["jobs"]["dev"]["steps"]) == len(steps) - 1
    without = tmp_path / "deploy.yml"
    without.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")

    ran = rehearse(tmp_path, "--workflow", str(without), "--until", "dev")

    assert ran.returncode == 1
    assert re.search(r"job dev, step \d+ \(Apply exactly the approved saved plan\)", ran.stderr), ran.stderr[-3000:]
    assert "no file exists at" in ran.stderr
