"""`make pipeline-offline`: deploy.yml rehearsed end to end against a local AWS account.

The account is a moto server on loopback, behind cartlocal's authorization gate (what a job signs
is decided as the role it assumed), holding what the bootstrap would have created before the
first deploy: its Terraform applied by the provider stand-in (cartprovider/) gives the names and
role ARNs, and the state bucket, its key and the artifact bucket are created in moto. The
workflow's variables are set the way docs/shipping.md tells a user to set them on GitHub, from
the bootstrap's outputs. Each job's `make plan`/`make apply` then runs its usual recipe, with
init pointed at the stand-in's mirror and the state backend at moto (``TF_PLUGIN_DIR`` and
``TF_BACKEND_OVERRIDES``, mk/terraform.mk); nothing else about the commands changes.

    python -m cartship.rehearsal.pipeline [--until JOB] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from cartlocal.iam.gate import Gate, stdout_reporter
from cartprovider import authorization, mirror, runner
from cartship.rehearsal import workflow
from cartship.rehearsal.errors import RehearsalError
from cartship.rehearsal.identity import Identity
from cartship.rehearsal.runner import Rehearsal, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
# Where each job's summary (what approvers read on GitHub) is kept after the run's workspaces go.
SUMMARIES = ROOT / ".cache" / "pipeline-offline"
# What cannot run offline: the stand-in plans and applies but creates nothing an HTTP request could
# reach, so there is no API to smoke-test (docs/shipping.md, "What the rehearsal does not cover").
UNREHEARSED = {"make smoke": "make smoke needs the deployed API and bus; the provider stand-in creates neither"}


@dataclass(frozen=True)
class Account:
    """The local account: moto's endpoint and what the bootstrap created in it."""

    endpoint: str
    region: str
    outputs: dict[str, Any]
    identity: Identity


def _commit() -> str:
    git = shutil.which("git")
    if git is None:
        raise RehearsalError("git is not on PATH")
    return subprocess.run(  # noqa: S603  # fixed argv, no shell
        [git, "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


@contextmanager
def local_account(work: Path, plugin_dir: Path) -> Iterator[Account]:
    """The bootstrap applied by the stand-in, and its buckets and key in a moto server."""
    bootstrap, _ = runner.apply_bootstrap(work, plugin_dir, runner.terraform_environment(work))
    if not bootstrap.ok:
        raise RehearsalError(f"the bootstrap did not apply: {bootstrap.error}")
    region = bootstrap.outputs["backend_config"][runner.ENVIRONMENTS[0]]["region"]
    identity = Identity.from_bootstrap(bootstrap.outputs, bootstrap.applied, work / "account.json")

    def gate(app: Any) -> Gate:
        # What a job signs is decided as its session's role; the setup below signs as the operator.
        return Gate(
            app, identity.plane, stdout_reporter(), operator=runner.MOTO_CREDENTIAL, web_identity=identity.accepts
        )

    server, endpoint, key_arn = runner.start_state_service(bootstrap, region, gate)
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=runner.MOTO_CREDENTIAL,
            aws_secret_access_key=runner.MOTO_CREDENTIAL,
        )
        artifacts = bootstrap.outputs["artifact_bucket"]
        s3.create_bucket(Bucket=artifacts, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_versioning(Bucket=artifacts, VersioningConfiguration={"Status": "Enabled"})
        overrides = work / "backends"
        overrides.mkdir()
        for name in runner.ENVIRONMENTS:
            backend = runner.backend_for(runner.Run(name), bootstrap, endpoint, key_arn, shared=False)
            (overrides / f"{name}.tfbackend").write_text(runner.hcl(backend), encoding="utf-8")
        yield Account(endpoint, region, bootstrap.outputs | {"backend_overrides": str(overrides)}, identity)
    finally:
        server.stop()


def settings(account: Account, work: Path, plugin_dir: Path) -> Settings:
    """The repository's and each GitHub environment's variables, as docs/shipping.md sets them."""
    outputs = account.outputs
    per_environment: dict[str, dict[str, str]] = {}
    for name in runner.ENVIRONMENTS:
        per_environment[name] = {"AWS_DEPLOY_ROLE_ARN": outputs["deploy_role_arns"][name]}
        per_environment[f"{name}-plan"] = {"AWS_PLAN_ROLE_ARN": outputs["plan_role_arns"][name]}
    terraform = runner.terraform_environment(work)
    return Settings(
        repository=ROOT,
        commit=_commit(),
        github_repository=runner.GITHUB_REPOSITORY,
        scratch=work / "run",
        variables={
            "AWS_REGION": account.region,
            "ARTIFACT_BUCKET": outputs["artifact_bucket"],
            "AWS_PUBLISH_ROLE_ARN": outputs["publish_role_arn"],
        },
        environment_variables=per_environment,
        endpoint_url=account.endpoint,
        extra_env={
            "AWS_ENDPOINT_URL": account.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TF_PLUGIN_DIR": str(plugin_dir),
            "TF_BACKEND_OVERRIDES": outputs["backend_overrides"],
            # The stand-in authorizes each change of an apply as the job's session (cartprovider/authorization.py).
            authorization.ENVIRONMENT: str(account.identity.account_file),
            **{name: terraform[name] for name in ("TF_CLI_CONFIG_FILE", "TF_IN_AUTOMATION", "CHECKPOINT_DISABLE")},
        },
        linked=(".venv", ".venv-local", ".cache/wheelhouse"),
        unrehearsed=UNREHEARSED,
        identity=account.identity,
    )


def rehearse(until: str | None, keep: Path | None, workflow_file: Path = DEPLOY_WORKFLOW) -> int:
    deploy = workflow.load(workflow_file)
    keys = [job.key for job in deploy.jobs]
    if until is not None and until not in keys:
        raise SystemExit(f"pipeline-offline: no job {until!r} in deploy.yml (jobs: {', '.join(keys)})")
    last = keys.index(until) if until else len(keys) - 1
    work = Path(tempfile.mkdtemp(prefix="pipeline-offline-")) if keep is None else keep
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    try:
        plugin_dir = work / "mirror"
        mirror.install(plugin_dir)
        with local_account(work, plugin_dir) as account:
            rehearsal = Rehearsal(deploy, settings(account, work, plugin_dir), say)
            try:
                rehearsal.run(only=lambda job: keys.index(job.key) <= last)
            except RehearsalError as failure:
                print(f"\npipeline-offline: FAILED after {time.monotonic() - started:.0f}s: {failure}", file=sys.stderr)
                return 1
        for key in keys[: last + 1]:
            summary = rehearsal.results[key].summary
            shown = ""
            if summary.exists() and summary.stat().st_size:
                SUMMARIES.mkdir(parents=True, exist_ok=True)
                kept = shutil.copyfile(summary, SUMMARIES / f"{key}.md")
                shown = f" (summary: {kept.relative_to(ROOT)})"
            print(f"ok  {key}{shown}")
        for step in rehearsal.skipped:
            print(f"not rehearsed: {step}")
        print(f"pipeline-offline: {last + 1} of {len(keys)} jobs passed in {time.monotonic() - started:.0f}s")
        return 0
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--until", help="the last job to run (default: every job)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (each job's workspace and logs)")
    parser.add_argument(
        "--workflow", type=Path, default=DEPLOY_WORKFLOW, help="the workflow file (default: deploy.yml)"
    )
    arguments = parser.parse_args(argv)
    os.environ.pop("AWS_PROFILE", None)
    return rehearse(arguments.until, arguments.keep, arguments.workflow)


if __name__ == "__main__":
    sys.exit(main())
