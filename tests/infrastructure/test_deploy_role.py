"""Each environment's deploy and plan roles allow what Terraform needs for the stack, and no more.

docs/deploy-permissions.md is the cited table of the IAM actions Terraform's AWS provider calls
per resource type; this checks it covers every type the stack declares and that each role in
terraform/bootstrap allows each action (actions on the stack key through the key's own policy).
It also holds the rules that keep a deploy role from taking over the account: every stack role
it creates or changes carries the environment's permissions boundary, and nothing about the KMS
key depends on a resource tag (tag changes take up to five minutes to count for authorization).
"""

from __future__ import annotations

import json
import re
from typing import Any

from cartprovider import authorization
from cartprovider import coverage as table
from cartprovider.authorization import LOG_DELIVERY
from tests.helpers.paths import ROOT
from tests.helpers.terraform import (
    COMPOSITION,
    DEPLOYMENT,
    LAMBDA_MODULE,
    TERRAFORM,
    blocks,
    contract_document,
    evaluate_boundary,
    evaluate_contract,
    load_hcl,
    module_calls,
)

BOOTSTRAP = TERRAFORM / "bootstrap"
STACK_DIRECTORIES = [COMPOSITION, LAMBDA_MODULE, TERRAFORM / "environments" / "root"]
ROLE_CHANGES = {
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
}
ESCAPES = {"iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"}
Rows = dict[str, dict[str, set[str]]]


def coverage_table() -> Rows:
    """``{resource type: {"write": actions, "read": actions}}`` from the markdown table."""
    return {kind: {"write": set(row.write), "read": set(row.read)} for kind, row in table.coverage_table().items()}


def declared_types() -> set[str]:
    return {
        kind for directory in STACK_DIRECTORIES for k in ("resource", "data") for kind, _, _ in blocks(directory, k)
    }


def _actions(statement: dict[str, Any]) -> list[str]:
    if statement["actions"] == "${local.stack_read_actions}":
        read_actions: list[str] = load_hcl(BOOTSTRAP / "plan_roles.tf")["locals"][0]["stack_read_actions"]
        return read_actions
    actions: list[str] = statement["actions"]
    return actions


def statements(document: str) -> list[dict[str, Any]]:
    """The statements of a bootstrap policy document, with ``local.stack_read_actions`` resolved."""
    found: list[dict[str, Any]] = [
        {**statement, "actions": _actions(statement)}
        for kind, name, body in blocks(BOOTSTRAP, "data")
        if kind == "aws_iam_policy_document" and name == document
        for statement in body["statement"]
    ]
    assert found, document
    return found


def key_policy_actions() -> set[str]:
    """What the stack key's policy itself grants the deploy role (nothing without that statement)."""
    key_policy = json.loads(evaluate_contract()["kms_key_policy"])
    return {
        action
        for statement in key_policy["Statement"]
        if statement.get("Sid") == "DeployRoleAdministersTheKey"
        for action in statement["Action"]
    }


def uncovered(granted: list[dict[str, Any]], needed: set[str], key_policy: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    allowed = {action for statement in granted for action in statement["actions"]}
    return {action for action in needed if action not in allowed and action not in key_policy}


def needed(kind: str) -> set[str]:
    return {action for row in coverage_table().values() for action in row[kind]}


# ---------------------------------------------------------------- coverage


def test_every_type_the_stack_declares_has_a_row() -> None:
    rows = coverage_table()
    assert len(rows) > 30
    assert declared_types() - set(rows) == set()
    assert set(rows) - declared_types() == set(), "rows for types the stack no longer declares"


def test_the_deploy_role_allows_every_action_of_the_table() -> None:
    assert uncovered(statements("deploy_stack"), needed("write") | needed("read"), key_policy_actions()) == set()


def test_the_plan_role_reads_everything_and_writes_nothing() -> None:
    plan = statements("plan")
    read = needed("read")
    # The key's read actions come through the plan role's own policy (it is not a key administrator).
    assert uncovered(plan, read) == set()
    state_key = [s for s in plan if s["sid"] == "UseTheBucketKeyThroughS3Only"]
    assert [(s["actions"], s["condition"][0]["values"]) for s in state_key] == [
        (["kms:Decrypt"], ["s3.${var.region}.amazonaws.com"])
    ]
    granted = {action for statement in plan if statement not in state_key for action in statement["actions"]}
    writes = {a for a in granted if not re.match(r"^[a-z0-9-]+:(Get|Describe|List)|^apigateway:GET$", a)}
    assert writes == set()


def test_removing_cognitos_actions_fails_the_coverage() -> None:
    cognito = {
        a for t, row in coverage_table().items() if t.startswith("aws_cognito") for a in row["write"] | row["read"]
    }
    assert cognito
    stripped = [
        {**statement, "actions": [a for a in statement["actions"] if not a.startswith("cognito-idp:")]}
        for statement in statements("deploy_stack")
    ]
    assert uncovered(stripped, needed("write") | needed("read"), key_policy_actions()) == cognito


def test_an_http_api_stage_with_access_logs_gets_the_log_delivery_actions_on_every_resource() -> None:
    """Creating, changing or deleting an HTTP API stage's access logging calls log delivery as the caller.

    The table's row for aws_apigatewayv2_stage lists the actions, and the deploy role grants them
    on "*" (they have no resource type), limited to the environment's region.
    """
    logged = [
        name
        for directory in STACK_DIRECTORIES
        for kind, name, body in blocks(directory, "resource")
        if kind == "aws_apigatewayv2_stage" and body.get("access_log_settings")
    ]
    assert logged, "no HTTP API stage logs its access: this test would pass vacuously"
    assert coverage_table()["aws_apigatewayv2_stage"]["write"] >= LOG_DELIVERY
    granting = [s for s in statements("deploy_stack") if LOG_DELIVERY & set(s["actions"])]
    assert {a for s in granting for a in s["actions"]} >= LOG_DELIVERY
    for statement in granting:
        assert set(statement["actions"]) <= LOG_DELIVERY, f"{statement['sid']} mixes other actions in"
        assert statement["resources"] == ["*"]
        assert [(c["test"], c["variable"]) for c in _conditions(statement)] == [("StringEquals", "aws:RequestedRegion")]


def test_removing_the_log_delivery_actions_fails_the_coverage() -> None:
    stripped = [
        {**statement, "actions": [a for a in statement["actions"] if a not in LOG_DELIVERY]}
        for statement in statements("deploy_stack")
    ]
    assert uncovered(stripped, needed("write") | needed("read"), key_policy_actions()) == LOG_DELIVERY


def test_api_gateway_actions_reach_the_rest_and_the_http_api_paths() -> None:
    """API Gateway authorizes by verb on a path: REST APIs live under /restapis, HTTP APIs under /apis."""
    paths = {"aws_api_gateway_": ["/restapis", "/restapis/*"], "aws_apigatewayv2_": ["/apis", "/apis/*"]}
    wanted = {
        f"${{local.arn.apigateway}}{path}"
        for prefix, prefix_paths in paths.items()
        if any(kind.startswith(prefix) for kind in declared_types())
        for path in prefix_paths
    }
    assert len(wanted) == 4
    for document in ("deploy_stack", "plan"):
        granted = {
            resource
            for statement in statements(document)
            if "apigateway:GET" in statement["actions"]
            for resource in statement["resources"]
        }
        assert wanted <= granted, (document, wanted - granted)


# What the AWS provider calls to change an argument of an existing aws_iam_role in place
# (hashicorp/terraform-provider-aws, internal/service/iam/role.go, resourceRoleUpdate; tags through
# its tagging of the role). Without the call, changing that argument fails the apply.
ROLE_UPDATES = {
    "assume_role_policy": {"iam:UpdateAssumeRolePolicy"},
    "description": {"iam:UpdateRoleDescription"},
    "max_session_duration": {"iam:UpdateRole"},
    "permissions_boundary": {"iam:PutRolePermissionsBoundary"},
    "tags": {"iam:TagRole", "iam:UntagRole"},
}


def test_every_argument_a_stack_role_sets_can_be_changed_in_place_by_the_deploy_role() -> None:
    arguments = {
        argument
        for directory in STACK_DIRECTORIES
        for kind, _, body in blocks(directory, "resource")
        if kind == "aws_iam_role"
        for argument in body
    }
    assert {"description", "assume_role_policy", "permissions_boundary"} <= arguments
    calls = {action for argument in arguments & ROLE_UPDATES.keys() for action in ROLE_UPDATES[argument]}
    assert calls - coverage_table()["aws_iam_role"]["write"] == set(), "docs/deploy-permissions.md aws_iam_role"
    assert uncovered(statements("deploy_stack"), calls) == set()


def test_only_actions_whose_requests_carry_lambda_function_arn_are_conditioned_on_it() -> None:
    """A positive condition on a key the request lacks never matches: the action would be denied.

    GetEventSourceMapping carries no lambda:FunctionArn (Lambda Developer Guide, "Resources and
    conditions for Lambda actions"), and Terraform reads a mapping after creating it.
    """
    conditioned = [
        statement
        for statement in statements("deploy_stack")
        if any(c["variable"] == "lambda:FunctionArn" for c in _conditions(statement))
    ]
    assert conditioned
    for statement in conditioned:
        assert set(statement["actions"]) <= authorization.FUNCTION_KEYED, statement["sid"]
    granted = {a for s in statements("deploy_stack") if s not in conditioned for a in s["actions"]}
    assert "lambda:GetEventSourceMapping" in granted


# ---------------------------------------------------------------- the key: no tag-based authorization


def _conditions(statement: dict[str, Any]) -> list[dict[str, Any]]:
    conditions: list[dict[str, Any]] = statement.get("condition", [])
    return conditions


def test_no_kms_permission_depends_on_a_resource_tag() -> None:
    for statement in statements("deploy_stack"):
        if not any(a.startswith("kms:") for a in statement["actions"]):
            continue
        for condition in _conditions(statement):
            tag_gated = condition["variable"].startswith("aws:ResourceTag/") and not condition["test"].endswith(
                "IfExists"
            )
            assert not tag_gated, f"{statement['sid']} grants KMS only once the key's tag counts"


def test_the_stack_key_names_the_environments_deploy_role_its_administrator() -> None:
    call = module_calls(TERRAFORM / "environments" / "root")["cartflow"]
    [administrator] = call["key_administrator_arns"]
    deploy_role = next(
        body for kind, name, body in blocks(BOOTSTRAP, "resource") if (kind, name) == ("aws_iam_role", "deploy")
    )
    assert deploy_role["name"] == "${var.name_prefix}-deploy-${each.key}"
    assert administrator.endswith(":role/cartflow-deploy-${var.environment}")
    kms_actions = {a for row in coverage_table().values() for a in row["write"] | row["read"] if a.startswith("kms:")}
    assert kms_actions - {"kms:CreateKey", "kms:ListAliases"} <= key_policy_actions()
    assert module_calls(COMPOSITION)["contract"]["key_administrator_arns"] == "${var.key_administrator_arns}"
    [statement] = [
        s
        for s in json.loads(evaluate_contract()["kms_key_policy"])["Statement"]
        if s.get("Sid") == "DeployRoleAdministersTheKey"
    ]
    assert statement["Principal"] == {"AWS": DEPLOYMENT["key_administrator_arns"]}


# ---------------------------------------------------------------- roles: the permissions boundary


def test_stack_roles_are_created_and_changed_only_with_the_boundary() -> None:
    changing = [s for s in statements("deploy_stack") if ROLE_CHANGES & set(s["actions"])]
    assert changing
    for statement in changing:
        boundary = [c for c in _conditions(statement) if c["variable"] == "iam:PermissionsBoundary"]
        assert [(c["test"], c["values"]) for c in boundary] == [
            ("StringEquals", ["${aws_iam_policy.boundary[each.key].arn}"])
        ], statement["sid"]
    granted = {a for s in statements("deploy_stack") for a in s["actions"]}
    assert ESCAPES & granted == set()
    assert not any(a.startswith("iam:") and "Policy" in a and "Role" not in a for a in granted), "managed policies"


def test_every_stack_role_carries_the_boundary_the_bootstrap_names() -> None:
    roles = [
        (d.name, name, body)
        for d in STACK_DIRECTORIES
        for kind, name, body in blocks(d, "resource")
        if kind == "aws_iam_role"
    ]
    assert len(roles) == 4  # api, scheduler, ses_events, and each function's (one resource)
    for directory, name, body in roles:
        assert body.get("permissions_boundary") == "${var.permissions_boundary}", f"{directory}/{name}"
        trust = contract_document(body["assume_role_policy"])
        assert re.fullmatch(r'.*Principal"?\s*[=:]\s*\{"?Service"?\s*[=:]\s*"[a-z.]+\.amazonaws\.com"\}.*', trust, re.S)
    assert module_calls(COMPOSITION)["function"]["permissions_boundary"] == "${var.permissions_boundary}"
    boundary = next(
        body for kind, name, body in blocks(BOOTSTRAP, "resource") if (kind, name) == ("aws_iam_policy", "boundary")
    )
    assert boundary["name"] == "${var.name_prefix}-boundary-${each.key}"
    root = module_calls(TERRAFORM / "environments" / "root")["cartflow"]
    assert root["permissions_boundary"].endswith(":policy/cartflow-boundary-${var.environment}")


def test_the_boundary_grants_no_iam_but_passing_roles_to_scheduler() -> None:
    # The boundary's document is the provider-free module the bootstrap attaches, evaluated.
    boundary = json.loads(evaluate_boundary())["Statement"]
    assert boundary
    for statement in boundary:
        iam = [a for a in statement["Action"] if a.startswith("iam:")]
        if iam:
            assert iam == ["iam:PassRole"]
            assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": ["scheduler.amazonaws.com"]}}


def test_the_github_dev_environment_is_limited_to_main() -> None:
    shipping = (ROOT / "docs" / "shipping.md").read_text()
    assert re.search(r"`dev`[^\n]*deployment branch[^\n]*`main`", shipping, re.I), (
        "docs/shipping.md: dev limited to main"
    )
