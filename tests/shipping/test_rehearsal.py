"""The pipeline rehearsal passes data between jobs exactly as GitHub does, and no more.

Each test runs a small workflow of its own (in a throwaway git repository) through the runner, so
what is checked is the runner's behaviour, not deploy.yml's; the last test reads deploy.yml itself.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from moto import mock_aws
from werkzeug.test import Client

from cartlocal.iam.gate import Gate
from cartlocal.iam.policy import Policy, Principal
from cartship.rehearsal import workflow
from cartship.rehearsal.errors import RehearsalError, UnsupportedWorkflow
from cartship.rehearsal.expressions import evaluate
from cartship.rehearsal.identity import NOT_AUTHORIZED, Identity
from cartship.rehearsal.runner import Rehearsal, Settings, read_file_commands
from tests.helpers.paths import ROOT

Step = dict[str, Any]
CHECKOUT: Step = {"uses": "actions/checkout@v6"}


def upload(name: str, path: str, **settings: Any) -> Step:
    return {"uses": "actions/upload-artifact@v6", "with": {"name": name, "path": path, **settings}}


def download(name: str, path: str | None = None) -> Step:
    return {"uses": "actions/download-artifact@v7", "with": {"name": name} | ({"path": path} if path else {})}


def run(script: str, **extra: Any) -> Step:
    return {"run": script, **extra}


def job(*steps: Step, needs: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"runs-on": "ubuntu-24.04", **({"needs": needs} if needs else {}), **extra, "steps": [CHECKOUT, *steps]}


def two_jobs(first: list[Step], second: list[Step]) -> dict[str, Any]:
    return {"first": job(*first), "second": job(*second, needs="first")}


def _repository(path: Path) -> str:
    path.mkdir(parents=True)
    (path / "README").write_text("committed\n", encoding="utf-8")

    def git(*arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=path, capture_output=True, text=True, check=True).stdout

    git("init", "--quiet")
    git("add", "README")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "one")
    return git("rev-parse", "HEAD").strip()


def rehearse(tmp_path: Path, jobs: dict[str, Any], identity: Identity | None = None) -> tuple[Rehearsal, list[str]]:
    repository = tmp_path / "repository"
    commit = _repository(repository)
    file = tmp_path / "workflow.yml"
    file.write_text(yaml.safe_dump({"name": "test", "jobs": jobs}), encoding="utf-8")
    said: list[str] = []
    settings = Settings(
        repository=repository,
        commit=commit,
        github_repository="example/shop",
        scratch=tmp_path / "run",
        variables={"REGION": "eu-west-1"},
        environment_variables={"prod": {"REGION": "eu-central-1"}},
        identity=identity,
    )
    rehearsal = Rehearsal(workflow.load(file), settings, said.append)
    rehearsal.run()
    return rehearsal, said


MAKE_RELEASE = [
    run("mkdir -p releases && echo '{}' > releases/r1.json"),
    upload("release", "releases/r1.json", **{"if-no-files-found": "error"}),
]


def test_a_file_made_by_an_earlier_job_is_missing_unless_downloaded(tmp_path: Path) -> None:
    with pytest.raises(RehearsalError, match=r"job second, step 2 .*exit code 1"):
        rehearse(tmp_path / "without", two_jobs(MAKE_RELEASE, [run("test -f releases/r1.json")]))

    rehearse(
        tmp_path / "with", two_jobs(MAKE_RELEASE, [download("release", "releases/"), run("test -f releases/r1.json")])
    )


def test_each_job_starts_from_the_commit_alone(tmp_path: Path) -> None:
    rehearse(tmp_path, two_jobs([run("echo leftover > left.txt")], [run("test ! -e left.txt && test -f README")]))


def test_a_single_file_is_stored_under_its_own_name_and_several_under_their_common_folder(tmp_path: Path) -> None:
    first = [
        run("mkdir -p a/b && echo 1 > a/b/plan && echo 2 > a/b/lock"),
        upload("plan", "a/b/plan\na/b/lock\n"),
        upload("one", "a/b/plan"),
    ]
    second = [
        download("plan", "x/"),
        download("one", "y/"),
        run("test -f x/plan && test -f x/lock && test -f y/plan && test ! -e y/b"),
    ]

    rehearse(tmp_path, two_jobs(first, second))


def test_hidden_files_are_left_out_unless_asked_for(tmp_path: Path) -> None:
    def jobs(**settings: Any) -> dict[str, Any]:
        first = [run("mkdir -p d && echo 1 > d/plan && echo 2 > d/.lock"), upload("plan", "d/", **settings)]
        return two_jobs(first, [download("plan", "d/"), run("test -f d/.lock")])

    with pytest.raises(RehearsalError, match="job second, step 3"):
        rehearse(tmp_path / "default", jobs())
    rehearse(tmp_path / "included", jobs(**{"include-hidden-files": True}))


def test_if_no_files_found_error_fails_and_the_default_only_warns(tmp_path: Path) -> None:
    _, said = rehearse(tmp_path / "warn", two_jobs([upload("nothing", "missing/")], [run("true")]))
    assert any("No files were found" in line for line in said)

    with pytest.raises(RehearsalError, match="No files were found"):
        rehearse(tmp_path / "error", two_jobs([upload("nothing", "missing/", **{"if-no-files-found": "error"})], []))


def test_an_artifact_name_is_taken_once_per_run(tmp_path: Path) -> None:
    with pytest.raises(RehearsalError, match="already exists"):
        rehearse(tmp_path, two_jobs(MAKE_RELEASE, MAKE_RELEASE))


def test_downloading_an_artifact_no_job_uploaded_fails(tmp_path: Path) -> None:
    with pytest.raises(RehearsalError, match="Artifact not found for name: tfplan-dev"):
        rehearse(tmp_path, two_jobs([run("true")], [download("tfplan-dev")]))


def test_outputs_pass_to_the_jobs_that_need_them_and_environment_variables_override(tmp_path: Path) -> None:
    jobs = {
        "publish": job(
            run('echo "release_id=r-42" >> "$GITHUB_OUTPUT"', id="publish"),
            outputs={"release_id": "${{ steps.publish.outputs.release_id }}"},
        ),
        "deploy": job(
            run('test "$RELEASE" = r-42 && test "$REGION" = eu-central-1'),
            needs="publish",
            environment="prod",
            env={"RELEASE": "${{ needs.publish.outputs.release_id }}", "REGION": "${{ vars.REGION }}"},
        ),
    }

    rehearsal, said = rehearse(tmp_path, jobs)

    assert rehearsal.results["publish"].outputs == {"release_id": "r-42"}
    assert "[deploy] environment prod: approval simulated" in said


def test_aws_credentials_need_the_id_token_permission(tmp_path: Path) -> None:
    credentials = {
        "uses": "aws-actions/configure-aws-credentials@v6",
        "with": {"role-to-assume": "arn:aws:iam::123456789012:role/deploy", "aws-region": "eu-west-1"},
    }

    with pytest.raises(RehearsalError, match="id-token: write"):
        rehearse(tmp_path, {"deploy": job(credentials, permissions={"contents": "read"})})


ROLE = "arn:aws:iam::123456789012:role/cartflow-deploy-dev"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def local_identity(tmp_path: Path, trusted_subject: str) -> Identity:
    """The bootstrap's shape of a deploy role (as the stand-in applies it): trusted for one OIDC subject."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsOidc",
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": PROVIDER},
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": trusted_subject,
                    }
                },
            }
        ],
    }
    role = {"name": "cartflow-deploy-dev", "arn": ROLE, "assume_role_policy": json.dumps(trust)}
    outputs = {"backend_config": {"dev": {"region": "eu-west-1"}}, "github_oidc_provider_arn": PROVIDER}
    return Identity.from_bootstrap(outputs, {"deploy": {"type": "aws_iam_role", "values": role}}, tmp_path / "a.json")


def assume_in(environment: str) -> dict[str, Any]:
    credentials = {
        "uses": "aws-actions/configure-aws-credentials@v6",
        "with": {"role-to-assume": ROLE, "role-session-name": "s-1", "aws-region": "eu-west-1"},
    }
    return job(credentials, environment=environment, permissions={"id-token": "write"})


def test_a_role_is_assumed_only_with_a_token_its_trust_policy_accepts(tmp_path: Path) -> None:
    identity = local_identity(tmp_path, "repo:example/shop:environment:dev")

    with pytest.raises(RehearsalError, match=NOT_AUTHORIZED):
        rehearse(tmp_path / "prod", {"deploy": assume_in("prod")}, identity)

    with mock_aws():
        _, said = rehearse(tmp_path / "dev", {"deploy": assume_in("dev")}, identity)
    assert any("assumed-role/cartflow-deploy-dev/s-1" in line for line in said)
    [session] = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["sessions"].values()
    assert session == {"role": ROLE, "session": "s-1"}


def test_a_token_not_signed_by_the_runs_provider_is_refused(tmp_path: Path) -> None:
    identity = local_identity(tmp_path, "repo:example/shop:environment:dev")
    token = identity.token("repo:example/shop:environment:dev", {})
    header, _, signature = token.split(".")
    forged = identity.token("repo:example/shop:environment:dev", {"extra": "claim"}).split(".")[1]

    identity.assume(ROLE, token, "s-1")
    with pytest.raises(RehearsalError, match="InvalidIdentityToken"):
        identity.assume(ROLE, f"{header}.{forged}.{signature}", "s-1")


def _moto_stand_in(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"reached moto"]


def test_the_runs_gate_lets_through_only_what_the_trust_and_the_role_allow(tmp_path: Path) -> None:
    identity = local_identity(tmp_path, "repo:example/shop:environment:dev")
    identity.plane.identity[ROLE] = (
        Policy.parse(
            "own pointer",
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::a/env/dev.json"}],
            },
        ),
    )
    identity.register("ASIASESSION", Principal.role(ROLE, "s-1"))
    gate = Client(
        Gate(_moto_stand_in, identity.plane, lambda denial: None, operator="op", web_identity=identity.accepts)
    )

    def assume(subject: str) -> Any:
        form = {"Action": "AssumeRoleWithWebIdentity", "RoleArn": ROLE, "WebIdentityToken": identity.token(subject, {})}
        return gate.post("/", data=form)

    def put(key: str, access_key: str = "ASIASESSION") -> Any:
        signature = f"AWS4-HMAC-SHA256 Credential={access_key}/20261207/eu-west-1/s3/aws4_request, Signature=x"
        return gate.put(f"/a/{key}", data=b"{}", headers={"Authorization": signature})

    assert assume("repo:example/shop:environment:dev").get_data() == b"reached moto"
    refused = assume("repo:example/shop:environment:prod")
    assert refused.status_code == 403
    assert b"Not authorized to perform sts:AssumeRoleWithWebIdentity" in refused.get_data()
    assert put("env/dev.json").get_data() == b"reached moto"
    assert put("env/prod.json", access_key="op").get_data() == b"reached moto"
    denied = put("env/prod.json")
    assert denied.status_code == 403
    assert (
        b"<Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/cartflow-deploy-dev/s-1 "
        b"is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::a/env/prod.json"
    ) in denied.get_data()


def test_a_step_has_no_aws_credentials_of_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "caller")

    rehearse(tmp_path, {"only": job(run('test -z "${AWS_ACCESS_KEY_ID:-}"'))})


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("github.event_name == 'push'", "not understood"),
        ("format('{0}', vars.X)", "not understood"),
        ("matrix.python", "unknown context"),
    ],
)
def test_an_expression_the_rehearsal_does_not_evaluate_is_refused_by_name(expression: str, reason: str) -> None:
    with pytest.raises(UnsupportedWorkflow, match=reason):
        evaluate(expression, {"github": {}, "vars": {}})


def test_a_job_key_the_rehearsal_does_not_play_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedWorkflow, match="does not play if"):
        rehearse(tmp_path, {"first": job(**{"if": "github.ref == 'refs/heads/main'"})})


def test_file_commands_read_lines_and_delimited_blocks(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.write_text("a=1\nb<<EOF\nline one\nline two\nEOF\nc=x=y\n", encoding="utf-8")

    assert read_file_commands(output) == {"a": "1", "b": "line one\nline two", "c": "x=y"}


def test_deploy_yml_is_read_whole_in_dependency_order() -> None:
    deploy = workflow.load(ROOT / ".github" / "workflows" / "deploy.yml")

    order = [job.key for job in deploy.jobs]
    assert order == ["build", "publish", "plan-dev", "dev", "plan-staging", "staging", "plan-prod", "prod"]
    for job in deploy.jobs:
        assert all(order.index(need) < order.index(job.key) for need in job.needs)
