"""Local equivalents of the actions deploy.yml uses, each keeping the behaviour its README documents.

- ``actions/checkout``: the workflow's commit, and only it, into the fresh workspace; ``fetch-depth``
  1 (the default) fetches that one commit, 0 the whole history with branches and tags.
- ``actions/setup-python``: the requested Python version first on ``PATH`` as ``python`` and
  ``python3``; a version this machine does not have fails the step.
- ``aws-actions/configure-aws-credentials``: assumes ``role-to-assume`` with a GitHub-shaped OIDC
  token (only when the job has the ``id-token: write`` permission, as on GitHub): the role's trust
  policy decides the token's claims (:mod:`cartship.rehearsal.identity`), then STS's
  AssumeRoleWithWebIdentity issues the session, whose credentials and region later steps get.
- ``actions/upload-artifact`` and ``actions/download-artifact``: :mod:`cartship.rehearsal.artifacts`.

Any other action, or an input an equivalent does not play, is refused by name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from cartship.rehearsal import artifacts
from cartship.rehearsal.errors import RehearsalError, UnsupportedWorkflow
from cartship.rehearsal.identity import Identity

Say = Callable[[str], None]
INPUTS = {
    "actions/checkout": {"persist-credentials", "fetch-depth"},
    "actions/setup-python": {"python-version"},
    "aws-actions/configure-aws-credentials": {"role-to-assume", "role-session-name", "aws-region"},
    "actions/upload-artifact": {
        "name",
        "path",
        "if-no-files-found",
        "retention-days",
        "include-hidden-files",
        "overwrite",
    },
    "actions/download-artifact": {"name", "path"},
}


@dataclass
class Runner:
    """What a job's steps share: its workspace, the run's artifacts, the environment later steps get."""

    repository: Path
    commit: str
    github_repository: str
    workspace: Path
    tools: Path
    artifact_store: Path
    endpoint_url: str | None
    environment_name: str | None
    permissions: Mapping[str, str]
    exported: dict[str, str]
    path_prefix: list[str]
    say: Say
    # The runner's tool cache: paths of the machine's own checkout to link into each workspace.
    linked: tuple[str, ...] = ()
    # The local account's OIDC trust and sessions (None: no role can be assumed).
    identity: Identity | None = None


# Each venv the Makefile builds, and the lock it is built from (its stamp must be newer).
VENV_LOCKS = {".venv": "requirements.txt", ".venv-local": "cartlocal/requirements.txt"}


def _link_tool_cache(runner: Runner) -> None:
    """Link what ``runner.linked`` names from the machine's checkout into the fresh workspace.

    GitHub installs each job's venv again; these are the same bytes (a venv is linked only when
    its lock is byte-identical to the commit's and its stamp is newer than that lock), so linking
    saves minutes per job and changes nothing a job can see. Make decides as it would: the
    workspace's lock gets the checkout's lock's time, so a stale venv is rebuilt in the job.
    """
    for relative in runner.linked:
        source, target = runner.repository / relative, runner.workspace / relative
        if not source.exists() or target.exists():
            continue
        lock = VENV_LOCKS.get(relative)
        if lock is not None:
            ours, theirs = runner.repository / lock, runner.workspace / lock
            stamp = source / ".installed"
            if not (theirs.exists() and ours.read_bytes() == theirs.read_bytes() and stamp.exists()):
                continue
            if stamp.stat().st_mtime < ours.stat().st_mtime:
                continue
            os.utime(theirs, (ours.stat().st_atime, ours.stat().st_mtime))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source, target_is_directory=True)
        runner.say(f"tool cache: {relative} linked")


def _git(arguments: list[str], cwd: Path) -> None:
    git = shutil.which("git")
    if git is None:
        raise RehearsalError("actions/checkout: git is not on PATH")
    result = subprocess.run([git, *arguments], cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RehearsalError(f"actions/checkout: git {' '.join(arguments)} failed: {result.stderr.strip()}")


def checkout(runner: Runner, inputs: Mapping[str, Any]) -> None:
    depth = int(inputs.get("fetch-depth", 1))
    source = f"file://{runner.repository}"
    runner.workspace.mkdir(parents=True, exist_ok=True)
    _git(["init", "--quiet", "."], runner.workspace)
    if depth == 0:
        _git(["fetch", "--quiet", "--tags", source, "+refs/heads/*:refs/remotes/origin/*"], runner.workspace)
        _git(["fetch", "--quiet", source, runner.commit], runner.workspace)
    else:
        _git(["fetch", "--quiet", f"--depth={depth}", source, runner.commit], runner.workspace)
    _git(["checkout", "--quiet", "--detach", runner.commit], runner.workspace)
    runner.say(f"checked out {runner.commit[:12]} (fetch-depth {depth})")
    _link_tool_cache(runner)


def setup_python(runner: Runner, inputs: Mapping[str, Any]) -> None:
    version = str(inputs.get("python-version", ""))
    found = shutil.which(f"python{version}")
    if not version or found is None:
        raise RehearsalError(f"actions/setup-python: Version {version} was not found on this machine")
    folder = runner.tools / f"python{version}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3", f"python{version}"):
        link = folder / name
        if not link.exists():
            link.symlink_to(Path(found).resolve())
    runner.path_prefix.insert(0, str(folder))
    runner.say(f"python {version}: {Path(found).resolve()}")


def _oidc_token(runner: Runner, identity: Identity) -> str:
    """The job's token as GitHub's OIDC provider shapes it: an environment's job is named by its
    environment, any other by its ref (GitHub's "Example subject claims")."""
    subject = (
        f"repo:{runner.github_repository}:environment:{runner.environment_name}"
        if runner.environment_name
        else f"repo:{runner.github_repository}:ref:refs/heads/main"
    )
    extra = {"repository": runner.github_repository, "environment": runner.environment_name or ""}
    return identity.token(subject, extra)


def configure_aws_credentials(runner: Runner, inputs: Mapping[str, Any]) -> None:
    role = str(inputs.get("role-to-assume") or "")
    region = str(inputs.get("aws-region") or "")
    if not region:
        raise RehearsalError("configure-aws-credentials: Input required and not supplied: aws-region")
    if not role:
        raise RehearsalError(
            "configure-aws-credentials: Credentials could not be loaded, please check your action inputs "
            "(role-to-assume is empty: is the variable set for this environment?)"
        )
    if runner.permissions.get("id-token") != "write":
        # The action's own words when a job without the permission asks for a role.
        raise RehearsalError(
            "configure-aws-credentials: It looks like you might be trying to authenticate with OIDC. Did you mean "
            "to set the `id-token` permission? Error: Credentials could not be loaded, please check your action "
            "inputs: Could not load credentials from any providers (the job lacks id-token: write)"
        )
    if runner.identity is None:
        raise RehearsalError("configure-aws-credentials: this rehearsal has no local account to assume roles in")
    session = str(inputs.get("role-session-name") or "GitHubActions")
    token = _oidc_token(runner, runner.identity)
    # STS decides the role's trust policy against the token before it issues anything.
    principal = runner.identity.assume(role, token, session)
    sts = boto3.client("sts", region_name=region, endpoint_url=runner.endpoint_url)
    answer = sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName=session, WebIdentityToken=token, DurationSeconds=3600
    )
    credentials = answer["Credentials"]
    runner.identity.register(credentials["AccessKeyId"], principal)
    runner.exported.update(
        AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
        AWS_SESSION_TOKEN=credentials["SessionToken"],
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
    )
    runner.say(f"assumed {role} as {answer['AssumedRoleUser']['Arn']}")


def upload_artifact(runner: Runner, inputs: Mapping[str, Any]) -> None:
    artifacts.upload(runner.artifact_store, runner.workspace, inputs, runner.say)


def download_artifact(runner: Runner, inputs: Mapping[str, Any]) -> None:
    artifacts.download(runner.artifact_store, runner.workspace, inputs, runner.say)


PLAYED: dict[str, Callable[[Runner, Mapping[str, Any]], None]] = {
    "actions/checkout": checkout,
    "actions/setup-python": setup_python,
    "aws-actions/configure-aws-credentials": configure_aws_credentials,
    "actions/upload-artifact": upload_artifact,
    "actions/download-artifact": download_artifact,
}


def play(runner: Runner, uses: str, inputs: Mapping[str, Any]) -> None:
    """Run the local equivalent of ``uses`` (its ref is ignored: the equivalents follow the README)."""
    action = uses.split("@", 1)[0]
    if action not in PLAYED:
        raise UnsupportedWorkflow(f"the rehearsal has no local equivalent of {uses}")
    unknown = sorted(set(inputs) - INPUTS[action])
    if unknown:
        raise UnsupportedWorkflow(f"{action}: the local equivalent does not play the inputs {', '.join(unknown)}")
    PLAYED[action](runner, inputs)
