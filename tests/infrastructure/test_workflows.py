"""The GitHub workflows: linted, pinned, calling existing make targets, deploying one release."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tests.helpers.paths import ROOT
from tests.helpers.terraform import load_hcl

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
MAKE_CALL = re.compile(r"\bmake\s+((?:[^\s;&|]+\s*)+)")


def workflow(name: str) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def run_lines(job: dict[str, Any]) -> list[str]:
    return [line for step in job["steps"] if "run" in step for line in step["run"].splitlines()]


def make_targets(lines: list[str]) -> list[str]:
    """The make targets named in shell lines (not VAR=value assignments or options)."""
    targets = []
    for line in lines:
        for match in MAKE_CALL.finditer(line):
            # A redirection ends make's arguments (`make plan-summary ENV=dev >> "$GITHUB_STEP_SUMMARY"`).
            arguments = re.split(r"\s[<>|&]", match.group(1))[0]
            targets += [word for word in arguments.split() if "=" not in word and not word.startswith("-")]
    return targets


def make_database() -> dict[str, set[str]]:
    """Every target make knows (Makefile and mk/*.mk) with its direct prerequisites."""
    output = subprocess.run(
        ["make", "-pRrq", "-f", "Makefile"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    ).stdout
    rules: dict[str, set[str]] = {}
    for line in output.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+):(?!=)\s*(.*)$", line)
        if match:
            rules.setdefault(match.group(1), set()).update(match.group(2).split("|")[0].split())
    return rules


def needs_package(target: str, rules: dict[str, set[str]], seen: frozenset[str] = frozenset()) -> bool:
    if target == "package":
        return True
    return any(needs_package(p, rules, seen | {target}) for p in rules.get(target, ()) if p not in seen)


def test_workflows_exist_and_actionlint_finds_nothing() -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "deploy.yml"]
    result = subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actions_are_pinned_to_full_commits_of_node24_releases(tmp_path: Path) -> None:
    """Each `uses:` is a 40-hex commit with its release as a comment, and that release is not node20.

    actionlint knows each popular action's runtime by tag, not by commit: the copy with the commit
    replaced by the commented major version must pass it too.
    """
    for path in WORKFLOWS:
        uses = [line.split("uses:", 1)[1].strip() for line in path.read_text().splitlines() if "uses:" in line]
        assert uses
        assert [ref for ref in uses if not PINNED.match(ref)] == [], path.name
        by_tag = re.sub(r"@[0-9a-f]{40} # (v\d+)[\d.]*", r"@\1", path.read_text())
        (tmp_path / path.name).write_text(by_tag)
    result = subprocess.run(
        [str(ACTIONLINT), "-no-color", *sorted(map(str, tmp_path.glob("*.yml")))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout


def test_every_make_target_the_workflows_call_exists() -> None:
    rules = make_database()
    called = {
        target
        for path in WORKFLOWS
        for job in workflow(path.name)["jobs"].values()
        for target in make_targets(run_lines(job))
    }
    assert {
        "package",
        "publish",
        "enter",
        "promote",
        "plan",
        "apply",
        "smoke",
        "status",
    } <= called
    assert sorted(called - rules.keys()) == []


def test_only_the_build_job_builds() -> None:
    rules = make_database()
    jobs = workflow("deploy.yml")["jobs"]
    for name, job in jobs.items():
        lines = run_lines(job)
        builds = "build.py" in " ".join(lines) or any(needs_package(target, rules) for target in make_targets(lines))
        assert builds == (name == "build"), f"job {name} {'does not build' if name == 'build' else 'rebuilds'}"


def test_deploy_promotes_one_release_through_gated_environments_with_oidc() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    assert deploy["permissions"] == {"contents": "read"}
    assert deploy["concurrency"]["cancel-in-progress"] is False
    jobs = deploy["jobs"]
    assert jobs["publish"]["needs"] == "build"
    assert jobs["plan-dev"]["needs"] == "publish"
    assert jobs["plan-staging"]["needs"] == ["publish", "dev"]
    assert jobs["plan-prod"]["needs"] == ["publish", "staging"]
    for env in ("dev", "staging", "prod"):
        assert jobs[env]["needs"] == ["publish", f"plan-{env}"]
    for name, job in jobs.items():
        assumes_role = any("configure-aws-credentials" in step.get("uses", "") for step in job["steps"])
        assert assumes_role == (name != "build")
        if assumes_role:
            assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert any("make smoke ENV=dev" in line for line in run_lines(jobs["dev"]))
    # Prod moves only to a contract compatible with the release it runs (make contract-check).
    prod = run_lines(jobs["prod"])
    gate = prod.index("make contract-check ENV=prod")
    assert gate < next(i for i, line in enumerate(prod) if "make promote" in line)
    assert jobs["prod"]["steps"][0]["with"]["fetch-depth"] == 0


def _step_index(job: dict[str, Any], predicate: Callable[[dict[str, Any]], bool], what: str) -> int:
    found = [i for i, step in enumerate(job["steps"]) if predicate(step)]
    assert len(found) == 1, f"expected one step that {what}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize(
    ("env", "entry"),
    [
        ("dev", "make enter ENV=dev RELEASE="),
        ("staging", "make promote FROM=dev TO=staging EXPECT="),
        ("prod", "make promote FROM=staging TO=prod EXPECT="),
    ],
)
def test_approvers_see_the_plan_and_the_apply_applies_exactly_that_saved_plan(env: str, entry: str) -> None:
    jobs = workflow("deploy.yml")["jobs"]
    plan, apply = jobs[f"plan-{env}"], jobs[env]
    # The plan job: unprotected environment, read-only plan role, the published release, no writes.
    assert plan["environment"] == f"{env}-plan"
    role = next(
        step["with"]["role-to-assume"] for step in plan["steps"] if "configure-aws-credentials" in step.get("uses", "")
    )
    assert role == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert plan["env"]["TF_VAR_release_manifest"] == "releases/${{ needs.publish.outputs.release_id }}.json"
    planning = _step_index(plan, lambda s: f"make plan ENV={env}" in s.get("run", ""), "plans")
    summary = _step_index(
        plan,
        lambda s: s.get("run", "") == f'make plan-summary ENV={env} >> "$GITHUB_STEP_SUMMARY"',
        "writes the summary",
    )
    upload = _step_index(plan, lambda s: s.get("with", {}).get("name") == f"tfplan-{env}", "uploads the plan")
    assert planning < summary < upload
    assert f"terraform/environments/{env}/tfplan" in plan["steps"][upload]["with"]["path"]
    assert not any(word in line for line in run_lines(plan) for word in ("make apply", "make enter", "make promote"))
    # The apply job: the protected environment, after the plan; points at the release, then applies the download.
    assert apply["environment"] == env
    role = next(
        step["with"]["role-to-assume"] for step in apply["steps"] if "configure-aws-credentials" in step.get("uses", "")
    )
    assert role == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    entering = _step_index(apply, lambda s: entry in s.get("run", ""), "points the environment at the release")
    download = _step_index(
        apply,
        lambda s: "download-artifact" in s.get("uses", "") and s["with"]["name"] == f"tfplan-{env}",
        "downloads the saved plan",
    )
    assert apply["steps"][download]["with"]["path"] == f"terraform/environments/{env}/"
    applying = _step_index(apply, lambda s: s.get("run", "") == f"make apply ENV={env}", "applies the saved plan")
    status = _step_index(apply, lambda s: s.get("run", "") == f"make status ENV={env}", "reports status")
    assert entering < download < applying < status
    assert not any("make plan" in line for line in run_lines(apply)), "the apply job must not plan again"


def test_ci_checks_pull_requests_and_keeps_the_zips() -> None:
    ci = workflow("ci.yml")
    assert ci["on"].keys() == {"pull_request", "schedule", "workflow_dispatch"}
    assert ci["permissions"] == {"contents": "read"}
    job = ci["jobs"]["test"]
    assert job["if"] == "github.event_name == 'pull_request'"
    # .ci/run is `make test` plus the browser it needs; make test already lints and type-checks,
    # so CI runs each check once.
    lines = run_lines(job)
    assert any(line.endswith("bash .ci/run") for line in lines)
    assert make_targets(lines) == ["contract-check", "audit", "package"]
    assert job["steps"][0]["with"]["fetch-depth"] == 0, "contract-check reads the base branch from history"
    upload = [step for step in job["steps"] if "upload-artifact" in step.get("uses", "")]
    assert upload[0]["with"]["path"] == "dist/"


def test_deploy_jobs_plan_the_published_release_and_no_tfvars_overrides_them() -> None:
    # terraform.tfvars outranks TF_VAR_ variables: a tfvars value would silently win over the pipeline.
    for name, job in workflow("deploy.yml")["jobs"].items():
        runs = " ".join(step.get("run", "") for step in job.get("steps", []))
        planned = re.findall(r"make plan ENV=(\w+)", runs)
        if not planned:
            continue
        environment = job.get("env", {})
        assert environment.get("TF_VAR_code_source") == "release", f"{name} would plan local dist/ zips"
        for env in planned:
            tfvars = load_hcl(ROOT / "terraform" / "environments" / env / "terraform.tfvars")
            for variable, value in environment.items():
                if variable.startswith("TF_VAR_") and variable[7:] in tfvars:
                    assert str(tfvars[variable[7:]]) == str(value), f"{env}/terraform.tfvars overrides {variable}"


def test_ci_rehearses_the_whole_deploy_pipeline_on_every_pull_request() -> None:
    job = workflow("ci.yml")["jobs"]["pipeline"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert make_targets(run_lines(job)) == ["pipeline-offline"]
    assert "UNTIL" not in "".join(run_lines(job))


def test_ci_runs_the_bench_smoke_that_make_test_leaves_out_on_every_pull_request() -> None:
    job = workflow("ci.yml")["jobs"]["bench"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert make_targets(run_lines(job)) == ["bench-smoke"]


def test_ci_scores_mutants_on_schedule_and_on_demand_and_keeps_the_report() -> None:
    ci = workflow("ci.yml")
    assert ci["jobs"].keys() == {"test", "pipeline", "bench", "mutation"}
    job = ci["jobs"]["mutation"]
    assert job["if"] == "github.event_name != 'pull_request'"
    assert make_targets(run_lines(job)) == ["mutation"]
    [upload] = [step for step in job["steps"] if "upload-artifact" in step.get("uses", "")]
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == ".cache/mutation/"


EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def _resolve(text: str, job_name: str, jobs: dict[str, Any]) -> str:
    """``text`` with each expression named by where its value comes from, the same in every job.

    ``needs.J.outputs.O`` is replaced by job J's output expression, and ``steps.S...`` is qualified
    by the job it runs in, so a path written in one job compares equal to the same path in another.
    """

    def name(match: re.Match[str]) -> str:
        expression = match.group(1)
        need = re.fullmatch(r"needs\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if need:
            producer, output = need.groups()
            return _resolve(jobs[producer]["outputs"][output], producer, jobs)
        if expression.startswith("steps."):
            return f"<{job_name}.{expression}>"
        return f"<{expression}>"

    return EXPRESSION.sub(name, text)


def _artifact_files(job_name: str, step: dict[str, Any], jobs: dict[str, Any]) -> set[str]:
    """What an upload-artifact step stores, each path relative to the artifact's root (a folder ends in /).

    upload-artifact roots the artifact at the least common ancestor of its paths (a file's folder,
    a folder itself), so `releases/x.json` is stored as `x.json` and `dist/` as its contents.
    """
    paths = [_resolve(line.strip(), job_name, jobs) for line in step["with"]["path"].splitlines() if line.strip()]
    root = os.path.commonpath([path.rstrip("/") if path.endswith("/") else os.path.dirname(path) for path in paths])
    return {os.path.relpath(path, root) + ("/" if path.endswith("/") else "") for path in paths}


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _upstream(name: str, jobs: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    pending = _needs(jobs[name])
    while pending:
        job = pending.pop()
        if job not in found:
            found.add(job)
            pending += _needs(jobs[job])
    return found


def files_reaching(apply_name: str, before: int, jobs: dict[str, Any]) -> tuple[set[str], bool]:
    """The files (and folders, ending in /) the steps of ``apply_name`` before step ``before``
    download, and whether one of those steps checks the repository out."""
    apply = jobs[apply_name]
    upstream = _upstream(apply_name, jobs)
    uploads = {
        step["with"]["name"]: (job_name, step)
        for job_name in upstream
        for step in jobs[job_name]["steps"]
        if "upload-artifact" in step.get("uses", "")
    }
    files: set[str] = set()
    checkout = False
    for step in apply["steps"][:before]:
        uses = step.get("uses", "")
        checkout |= "actions/checkout@" in uses
        if "download-artifact" in uses and step["with"]["name"] in uploads:
            producer, upload = uploads[step["with"]["name"]]
            target = Path(step["with"].get("path", "."))
            files |= {
                os.path.normpath(target / stored) + ("/" if stored.endswith("/") else "")
                for stored in _artifact_files(producer, upload, jobs)
            }
    return files, checkout


def tracked(path: str) -> bool:
    listed = subprocess.run(
        ["git", "ls-files", "--error-unmatch", path], cwd=ROOT, capture_output=True, check=False, timeout=60
    )
    return listed.returncode == 0


def plan_paths(job_name: str, jobs: dict[str, Any], workflow_env: dict[str, str]) -> dict[str, str]:
    """The TF_VAR_ variables of a plan job whose value names a file (a path: a `/` in it)."""
    environment = {**workflow_env, **jobs[job_name].get("env", {})}
    return {
        variable: os.path.normpath(_resolve(str(value), job_name, jobs))
        for variable, value in environment.items()
        if variable.startswith("TF_VAR_") and "/" in str(value)
    }


def test_every_file_a_saved_plan_names_reaches_the_job_that_applies_it() -> None:
    """Applying a saved plan re-evaluates the configuration with the plan's variables, `file()` too.

    hashicorp/terraform#36597 (closed as designed): a path variable recorded by `terraform plan -out`
    must name the same file when `terraform apply tfplan` runs, in the apply job's workspace. So
    each path a plan job's TF_VAR_ variables name must reach its apply job before `make apply`:
    downloaded from an artifact an upstream job uploaded, or tracked in git and checked out.
    """
    deploy = workflow("deploy.yml")
    jobs = deploy["jobs"]
    applies = {
        name: re.findall(r"make apply ENV=(\w+)", " ".join(run_lines(job)))
        for name, job in jobs.items()
        if "make apply" in " ".join(run_lines(job))
    }
    assert sorted(applies) == ["dev", "prod", "staging"]
    missing = []
    checked = 0
    for name, [env] in applies.items():
        job = jobs[name]
        applying = [step.get("run") for step in job["steps"]].index(f"make apply ENV={env}")
        [plan_artifact] = [
            step["with"]["name"]
            for step in job["steps"][:applying]
            if "download-artifact" in step.get("uses", "") and step["with"]["name"].startswith("tfplan")
        ]
        [plan_job] = [
            other
            for other, candidate in jobs.items()
            if any(
                s.get("with", {}).get("name") == plan_artifact and "upload-artifact" in s.get("uses", "")
                for s in candidate["steps"]
            )
        ]
        files, checkout = files_reaching(name, applying, jobs)
        for variable, path in plan_paths(plan_job, jobs, deploy.get("env", {})).items():
            checked += 1
            downloaded = path in files or any(path.startswith(folder) for folder in files if folder.endswith("/"))
            if not downloaded and not (checkout and "<" not in path and tracked(path)):
                missing.append(f"{name}: {variable} of {plan_job} names {path}, which never reaches it")
    assert checked >= 3, "each plan job names its release manifest"
    assert missing == [], "\n".join(missing)
