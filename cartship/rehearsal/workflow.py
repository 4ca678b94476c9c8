"""The workflow file as data: jobs, their needs, environment, permissions, outputs and steps.

Only the keys whose behaviour the rehearsal plays are accepted; any other key of a job or a step
(``if``, ``strategy``, ``services``, ``container``, ...) is refused with its name, because running
the job while ignoring it would rehearse a different workflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from cartship.rehearsal.errors import RehearsalError, UnsupportedWorkflow

JOB_KEYS = frozenset(
    {"name", "needs", "runs-on", "timeout-minutes", "environment", "permissions", "env", "outputs", "steps"}
)
STEP_KEYS = frozenset({"name", "id", "uses", "with", "run", "env", "shell"})
# What GitHub grants a job's GITHUB_TOKEN when neither the job nor the workflow says (the
# "restricted" default); only id-token matters to the rehearsal.
DEFAULT_PERMISSIONS: dict[str, str] = {"contents": "read"}


@dataclass(frozen=True)
class Step:
    """One step: a ``uses:`` action with its ``with:`` inputs, or a ``run:`` script."""

    label: str
    id: str | None
    uses: str | None
    inputs: dict[str, Any]
    run: str | None
    env: dict[str, Any]
    shell_name: str | None


@dataclass(frozen=True)
class Job:
    """One job of the workflow, as written (expressions not yet evaluated)."""

    key: str
    name: str
    needs: tuple[str, ...]
    environment: str | None
    permissions: dict[str, str]
    env: dict[str, Any]
    outputs: dict[str, str]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Workflow:
    """A workflow's jobs in the order GitHub can run them (each after everything it needs)."""

    name: str
    env: dict[str, Any]
    jobs: tuple[Job, ...]
    permissions: dict[str, str] = field(default_factory=dict)

    def job(self, key: str) -> Job:
        return next(job for job in self.jobs if job.key == key)


def _refuse_unknown(where: str, found: dict[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(found) - known)
    if unknown:
        raise UnsupportedWorkflow(f"{where}: the rehearsal does not play {', '.join(unknown)}")


def _step(job: str, number: int, raw: dict[str, Any]) -> Step:
    _refuse_unknown(f"job {job}, step {number}", raw, STEP_KEYS)
    if ("uses" in raw) == ("run" in raw):
        raise RehearsalError(f"job {job}, step {number}: a step has exactly one of uses and run")
    label = str(raw.get("name") or raw.get("uses") or raw["run"].splitlines()[0])
    return Step(
        label=label,
        id=raw.get("id"),
        uses=raw.get("uses"),
        inputs=dict(raw.get("with") or {}),
        run=raw.get("run"),
        env=dict(raw.get("env") or {}),
        shell_name=raw.get("shell"),
    )


def _job(key: str, raw: dict[str, Any], default_permissions: dict[str, str]) -> Job:
    _refuse_unknown(f"job {key}", raw, JOB_KEYS)
    needs = raw.get("needs") or []
    environment = raw.get("environment")
    if isinstance(environment, dict):
        environment = environment.get("name")
    return Job(
        key=key,
        name=str(raw.get("name") or key),
        needs=tuple([needs] if isinstance(needs, str) else needs),
        environment=environment,
        # A job's permissions replace the workflow's entirely (they are not merged).
        permissions=dict(raw.get("permissions", default_permissions)),
        env=dict(raw.get("env") or {}),
        outputs={str(name): str(value) for name, value in (raw.get("outputs") or {}).items()},
        steps=tuple(_step(key, number, step) for number, step in enumerate(raw.get("steps") or [], start=1)),
    )


def _ordered(jobs: dict[str, Job]) -> tuple[Job, ...]:
    """Jobs after everything they need, otherwise in file order; a cycle or unknown need is an error."""
    ordered: list[Job] = []
    done: set[str] = set()
    while len(ordered) < len(jobs):
        ready = [job for key, job in jobs.items() if key not in done and set(job.needs) <= done]
        if not ready:
            pending = {key: job.needs for key, job in jobs.items() if key not in done}
            raise RehearsalError(f"jobs that can never start (a cycle or an unknown job in needs): {pending}")
        ordered.append(ready[0])
        done.add(ready[0].key)
    return tuple(ordered)


def load(path: Path) -> Workflow:
    """Parse the workflow at ``path``."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    permissions = dict(raw.get("permissions", DEFAULT_PERMISSIONS))
    jobs = {str(key): _job(str(key), job, permissions) for key, job in raw["jobs"].items()}
    return Workflow(name=str(raw.get("name", path.stem)), env=dict(raw.get("env") or {}), jobs=_ordered(jobs))
