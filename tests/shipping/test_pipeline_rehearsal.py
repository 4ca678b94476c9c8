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

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cartprovider.authorization import Authorizer
from tests.helpers.paths import ROOT

DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"


def rehearse(run: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cartship.rehearsal.pipeline", "--keep", str(run), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )


@pytest.fixture(scope="module")
def until_dev(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One rehearsal up to dev for this module's tests, and its kept folder."""
    run = tmp_path_factory.mktemp("pipeline") / "run"
    return rehearse(run, "--until", "dev"), run


def test_the_jobs_up_to_dev_pass_against_the_local_account(
    until_dev: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    ran, _ = until_dev

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


def _dev_apply(run: Path, without: str) -> Authorizer:
    """The dev job's session as the stand-in's apply authorized it, its deploy role lacking ``without``."""
    account = json.loads((run / "account.json").read_text(encoding="utf-8"))
    [key] = [key for key, session in account["sessions"].items() if "cartflow-deploy-dev" in session["role"]]
    for documents in account["roles"].values():
        for name, text in documents.items():
            document = json.loads(text)
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                statement["Action"] = [action for action in actions if action != without] or ["none:Nothing"]
            documents[name] = json.dumps(document)
    return Authorizer.from_account(account, key)


HTTP_STAGE = {
    "arn": "arn:aws:apigateway:eu-west-1::/apis/a1b2c3/stages/$default",
    "api_id": "a1b2c3",
    "name": "$default",
}
ROLE = {
    "arn": "arn:aws:iam::123456789012:role/cartflow-dev-api",
    "name": "cartflow-dev-api",
    "permissions_boundary": "arn:aws:iam::123456789012:policy/cartflow-boundary-dev",
}


@pytest.mark.parametrize(
    ("kind", "values", "action", "resource"),
    [
        ("aws_apigatewayv2_stage", HTTP_STAGE, "logs:CreateLogDelivery", "*"),
        ("aws_iam_role", ROLE, "iam:TagRole", ROLE["arn"]),
    ],
)
def test_a_deploy_permission_the_apply_needs_missing_fails_it_with_awss_denial(
    until_dev: tuple[subprocess.CompletedProcess[str], Path],
    kind: str,
    values: dict[str, str],
    action: str,
    resource: str,
) -> None:
    """The bootstrap's real deploy role, as the rehearsal rendered it, minus one action."""
    _, run = until_dev

    assert _dev_apply(run, without="nothing:AtAll").refusal(kind, values) is None
    refusal = _dev_apply(run, without=action).refusal(kind, values)

    assert refusal is not None
    assert refusal.startswith("User: arn:aws:sts::123456789012:assumed-role/cartflow-deploy-dev/cartflow-dev-")
    assert refusal.endswith(
        f"is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def test_a_stack_role_without_the_environments_boundary_is_refused(
    until_dev: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, run = until_dev
    unbounded = {**ROLE, "permissions_boundary": "arn:aws:iam::123456789012:policy/anything-else"}

    refusal = _dev_apply(run, without="nothing:AtAll").refusal("aws_iam_role", unbounded)

    assert refusal is not None
    assert "is not authorized to perform: iam:CreateRole" in refusal
