"""Runs a workflow's jobs in order, each in a fresh workspace, as GitHub-hosted runners do.

What passes between jobs is exactly what passes on GitHub: artifacts (through the local store) and
job outputs (``needs.<job>.outputs``, for the jobs a job lists in ``needs`` only). Within a job,
``run:`` steps run as written in bash with the workflow's, the job's and the step's ``env``, and
the files GitHub provides: ``GITHUB_OUTPUT`` (step outputs), ``GITHUB_ENV`` (environment for later
steps), ``GITHUB_PATH`` and ``GITHUB_STEP_SUMMARY`` (kept per job for a person to read).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cartship.rehearsal import actions
from cartship.rehearsal.errors import RehearsalError
from cartship.rehearsal.expressions import substitute, substitute_all
from cartship.rehearsal.identity import Identity
from cartship.rehearsal.workflow import Job, Step, Workflow

# What a step inherits from this machine: its tools and locale, and pip's own configuration (a
# corporate mirror must keep working); never AWS credentials or endpoints of the caller.
PASSED_THROUGH = re.compile(r"^(PATH|HOME|LANG|LC_[A-Z]+|TERM|TMPDIR|PIP_[A-Z_]+|PYENV_[A-Z_]+|SSL_CERT_[A-Z_]+)$")
# GitHub's shells: without ``shell:``, bash -e; ``shell: bash`` adds --noprofile --norc and pipefail.
SHELLS = {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], "sh": ["sh", "-e"]}
_HEREDOC = re.compile(r"^([^=<\s]+)<<(\S+)$")


@dataclass(frozen=True)
class Settings:
    """One rehearsal: the commit, the repository variables (and each environment's), where AWS is."""

    repository: Path
    commit: str
    github_repository: str
    scratch: Path
    variables: Mapping[str, str]
    environment_variables: Mapping[str, Mapping[str, str]]
    endpoint_url: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # Paths of the repository's own checkout linked into each workspace (actions.Runner.linked).
    linked: tuple[str, ...] = ()
    # ``run:`` scripts (by how they start) that cannot be rehearsed here, with the reason: each is
    # printed as not rehearsed, never passed off as run.
    unrehearsed: Mapping[str, str] = field(default_factory=dict)
    # The local account's OIDC trust and sessions (actions.Runner.identity).
    identity: Identity | None = None


@dataclass(frozen=True)
class JobResult:
    key: str
    outputs: dict[str, str]
    summary: Path


def read_file_commands(path: Path) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as GITHUB_OUTPUT and GITHUB_ENV hold them."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        heredoc = _HEREDOC.match(line)
        if heredoc:
            name, delimiter = heredoc.groups()
            end = lines.index(delimiter, index + 1)
            values[name] = "\n".join(lines[index + 1 : end])
            index = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        elif line.strip():
            raise RehearsalError(f"{path.name}: unable to process line {line!r}")
        index += 1
    return values


class Rehearsal:
    """A run of one workflow: its artifact store, job results and what each job printed."""

    def __init__(self, workflow: Workflow, settings: Settings, say: Callable[[str], None]) -> None:
        self.workflow, self.settings, self._say = workflow, settings, say
        self.run_id = str(uuid.uuid4().int % 10**10)
        self.artifacts = settings.scratch / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.results: dict[str, JobResult] = {}
        self.skipped: list[str] = []

    def _contexts(self, job: Job) -> dict[str, Any]:
        variables = dict(self.settings.variables)
        if job.environment:
            variables |= dict(self.settings.environment_variables.get(job.environment, {}))
        return {
            "github": {
                "repository": self.settings.github_repository,
                "run_id": self.run_id,
                "sha": self.settings.commit,
                "ref": "refs/heads/main",
            },
            "vars": variables,
            "secrets": {},
            # Only the jobs this one needs directly: GitHub's needs context holds nothing else.
            "needs": {key: {"outputs": self.results[key].outputs, "result": "success"} for key in job.needs},
            "steps": {},
        }

    def run(self, only: Callable[[Job], bool] = lambda job: True) -> list[JobResult]:
        done = []
        for job in self.workflow.jobs:
            if not only(job):
                continue
            missing = [key for key in job.needs if key not in self.results]
            if missing:
                raise RehearsalError(f"job {job.key} needs {', '.join(missing)}, which did not run")
            done.append(self.run_job(job))
        return done

    def run_job(self, job: Job) -> JobResult:
        home = self.settings.scratch / "jobs" / job.key
        workspace, temp = home / "work", home / "temp"
        temp.mkdir(parents=True, exist_ok=True)
        if job.environment:
            self._say(f"[{job.key}] environment {job.environment}: approval simulated")
        contexts = self._contexts(job)
        contexts["env"] = {}
        env = substitute_all(self.workflow.env, contexts)
        contexts["env"] = env
        env = env | substitute_all(job.env, contexts)
        runner = actions.Runner(
            repository=self.settings.repository,
            commit=self.settings.commit,
            github_repository=self.settings.github_repository,
            workspace=workspace,
            tools=temp / "tools",
            artifact_store=self.artifacts,
            endpoint_url=self.settings.endpoint_url,
            environment_name=job.environment,
            permissions=job.permissions,
            exported={},
            path_prefix=[],
            say=lambda line: self._say(f"[{job.key}]   {line}"),
            linked=self.settings.linked,
            identity=self.settings.identity,
        )
        summary = home / "summary.md"
        for number, step in enumerate(job.steps, start=1):
            contexts["env"] = env | runner.exported
            self._say(f"[{job.key}] step {number}: {step.label}")
            reason = self._unrehearsed(step)
            if reason is not None:
                self._say(f"[{job.key}]   NOT REHEARSED: {reason}")
                self.skipped.append(f"{job.key}: {step.label}")
            elif step.uses is not None:
                try:
                    actions.play(runner, step.uses, substitute_all(step.inputs, contexts))
                except RehearsalError as failure:
                    # Named as a failed run step is: which job, which step.
                    raise type(failure)(f"job {job.key}, step {number} ({step.label}): {failure}") from None
            else:
                self._run_step(job, number, step, runner=runner, contexts=contexts, temp=temp, summary=summary)
        outputs = {name: substitute(value, contexts) for name, value in job.outputs.items()}
        result = JobResult(job.key, outputs, summary)
        self.results[job.key] = result
        self._say(f"[{job.key}] {job.name}: succeeded{f' {outputs}' if outputs else ''}")
        return result

    def _unrehearsed(self, step: Step) -> str | None:
        script = (step.run or "").strip()
        return next((why for start, why in self.settings.unrehearsed.items() if script.startswith(start)), None)

    def _run_step(
        self,
        job: Job,
        number: int,
        step: Step,
        *,
        runner: actions.Runner,
        contexts: dict[str, Any],
        temp: Path,
        summary: Path,
    ) -> None:
        assert step.run is not None
        files = {name: temp / f"{name.lower()}_{number}" for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")}
        step_summary = temp / f"step_summary_{number}"
        for path in [*files.values(), step_summary]:
            path.write_text("", encoding="utf-8")
        environment = {name: value for name, value in os.environ.items() if PASSED_THROUGH.match(name)}
        environment["PATH"] = os.pathsep.join([*runner.path_prefix, environment.get("PATH", "")])
        environment |= dict(self.settings.extra_env)
        environment |= {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(runner.workspace),
            "GITHUB_REPOSITORY": self.settings.github_repository,
            "GITHUB_RUN_ID": self.run_id,
            "GITHUB_SHA": self.settings.commit,
            "GITHUB_JOB": job.key,
            "RUNNER_TEMP": str(temp),
            "GITHUB_STEP_SUMMARY": str(step_summary),
            **{name: str(path) for name, path in files.items()},
        }
        environment |= contexts["env"] | substitute_all(step.env, contexts)
        script = temp / f"step_{number}.sh"
        script.write_text(substitute(step.run, contexts), encoding="utf-8")
        shell, *options = SHELLS[step.shell_name]
        executable = shutil.which(shell, path=environment["PATH"])
        if executable is None:
            raise RehearsalError(f"job {job.key}, step {number}: {shell} is not on PATH")
        with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
            finished = subprocess.run(  # noqa: S603  # the workflow's own step, as GitHub runs it
                [executable, *options, str(script)],
                cwd=runner.workspace,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
            log.seek(0)
            output = log.read()
        (temp.parent / f"step_{number}.log").write_text(output, encoding="utf-8")
        with summary.open("a", encoding="utf-8") as kept:
            kept.write(step_summary.read_text(encoding="utf-8"))
        if finished.returncode != 0:
            tail = "\n".join(output.rstrip().splitlines()[-25:])
            raise RehearsalError(
                f"job {job.key}, step {number} ({step.label}): Process completed with exit code "
                f"{finished.returncode}.\n{tail}"
            )
        if step.id:
            contexts["steps"][step.id] = {"outputs": read_file_commands(files["GITHUB_OUTPUT"]), "outcome": "success"}
        runner.exported.update(read_file_commands(files["GITHUB_ENV"]))
        added = files["GITHUB_PATH"].read_text(encoding="utf-8").split()
        runner.path_prefix[:0] = list(reversed(added))
