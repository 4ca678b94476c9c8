"""`make pipeline-offline`: deploy.yml runs from the build to prod against the local account.

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
