"""`make pipeline-offline UNTIL=dev`: deploy.yml's build, publish, plan-dev and dev jobs pass
against the local account (the whole pipeline, to prod, is ci.yml's `pipeline` job: it does not
fit .ci/run's time on two cores).

That a job lacks what it does not download is the runner's own behaviour, tested on small
workflows in test_rehearsal.py; that deploy.yml's apply jobs download every file their plans
read is test_workflows.py's.

Each run rehearses the committed HEAD (a fresh clone per job), so these tests check the commit
under test, as CI's fresh clone has it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_the_jobs_up_to_dev_pass_against_the_local_account(tmp_path: Path) -> None:
    ran = rehearse(tmp_path, "--until", "dev")

    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-4000:]
    assert "pipeline-offline: 4 of 8 jobs passed" in ran.stdout
    # The plan job's summary, what dev's approvers read on GitHub, is kept after the run.
    assert "(summary: .cache/pipeline-offline/plan-dev.md)" in ran.stdout
    kept = ROOT / ".cache" / "pipeline-offline" / "plan-dev.md"
    assert "### Terraform plan for `dev`" in kept.read_text(encoding="utf-8")
    assert "assumed-role/cartflow-publish" in ran.stdout
    assert "assumed-role/cartflow-plan-dev/" in ran.stdout
    assert "assumed-role/cartflow-deploy-dev/" in ran.stdout
    # What could not be rehearsed is said, never passed off as run.
    assert "not rehearsed: dev: Smoke test" in ran.stdout
