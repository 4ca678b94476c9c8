"""The REST stage's execution-log group is the stack's: declared with retention and the key.

With execution logging on (api_execution_logging_level ERROR or INFO), API Gateway writes a REST
stage's execution logs to `API-Gateway-Execution-Logs_<api id>/<stage>` and creates that group
itself when it does not exist: no retention, no key, and it outlives `terraform destroy`. So the
stack declares it before the method settings turn the logs on, the key policy lets CloudWatch Logs
use the key for it, and the deploy and plan roles may manage and read it.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from cartlocal.iam.policy import Policy, Principal, authorize
from cartlocal.iam.policy import Request as IamRequest
from tests.helpers.terraform import COMPOSITION, DEPLOYMENT, TERRAFORM, blocks, evaluate_contract, load_hcl

GROUP_NAME = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this[0].id}/${var.api_stage_name}"
# One deployed instance of that name: a REST API id and the default stage name.
GROUP_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5/v1"
MANAGE = {
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:AssociateKmsKey",
    "logs:TagResource",
}
READ = {"logs:ListTagsForResource"}


def _resources() -> dict[tuple[str, str], dict[str, Any]]:
    return {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}


def test_the_stack_declares_the_rest_stages_execution_log_group_before_turning_the_logs_on() -> None:
    groups = {name: body for (kind, name), body in _resources().items() if kind == "aws_cloudwatch_log_group"}
    declared = [body for body in groups.values() if body["name"] == GROUP_NAME]
    assert declared, f"no aws_cloudwatch_log_group named {GROUP_NAME}: API Gateway creates it, unkept"
    [group] = declared
    assert group["count"] == "${local.rest_api ? 1 : 0}"
    assert group["retention_in_days"] == "${var.log_retention_in_days}"
    assert group["kms_key_id"] == "${aws_kms_key.this.arn}"
    settings = _resources()[("aws_api_gateway_method_settings", "all")]
    assert "${aws_cloudwatch_log_group.api_execution}" in settings.get("depends_on", [])


def test_cloudwatch_logs_may_use_the_key_for_the_execution_log_group() -> None:
    key_policy = Policy.parse("key policy", json.loads(evaluate_contract()["kms_key_policy"]))
    logs = Principal.service("logs.eu-west-1.amazonaws.com")
    for action in ("kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"):
        request = IamRequest(logs, action, DEPLOYMENT["kms_key_arn"], {"kms:EncryptionContext:aws:logs:arn": GROUP_ARN})
        assert authorize(request, resource=key_policy, resource_policy_required=True).allowed, action


def _granted(document: str, environment: str = "dev") -> dict[str, list[str]]:
    """``{action: resource patterns}`` of a bootstrap policy document for one environment."""
    arn = {"logs": "arn:aws:logs:eu-west-1:123456789012"}
    granted: dict[str, list[str]] = {}
    for kind, name, body in blocks(TERRAFORM / "bootstrap", "data"):
        if (kind, name) != ("aws_iam_policy_document", document):
            continue
        for statement in body["statement"]:
            if statement.get("condition"):
                continue
            actions = statement["actions"]
            if actions == "${local.stack_read_actions}":
                actions = load_hcl(TERRAFORM / "bootstrap" / "plan_roles.tf")["locals"][0]["stack_read_actions"]
            resources = [
                r.replace("${local.arn.logs}", arn["logs"]).replace(
                    "${local.stack_prefix[each.key]}", f"cartflow-{environment}"
                )
                for r in statement["resources"]
            ]
            for action in actions:
                granted.setdefault(action, []).extend(resources)
    return granted


def test_the_deploy_role_manages_and_the_plan_role_reads_the_execution_log_group() -> None:
    deploy, plan = _granted("deploy_stack"), _granted("plan")
    for action in MANAGE | READ:
        assert any(fnmatch.fnmatchcase(GROUP_ARN, r) for r in deploy.get(action, [])), f"deploy role: {action}"
    for action in READ:
        assert any(fnmatch.fnmatchcase(GROUP_ARN, r) for r in plan.get(action, [])), f"plan role: {action}"
