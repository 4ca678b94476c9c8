"""The stand-in's apply, authorized as the caller: what the real provider's AWS calls would need.

The stand-in creates nothing in AWS, so an apply it runs would pass whatever the caller's role
may do. With ``CARTPROVIDER_AUTHORIZATION`` naming an account file (written by the pipeline
rehearsal, cartship/rehearsal/identity.py), each resource change is authorized before it is
applied: every IAM action that docs/deploy-permissions.md lists for the resource type (the
create/update/tag/delete column and the read column: the table does not split them per kind of
change, and the provider reads a resource back after every change), on the resource the Service
Authorization Reference names, with the context keys AWS adds (the role's permissions boundary
on role changes, the service a role is passed to, the function of an event source mapping, the
tags of a new key). The caller is the role session the file names for ``AWS_ACCESS_KEY_ID``; the
decision is cartlocal's plane (identity policies, boundary, key policies), so a refusal reads as
AWS's: "User: arn:aws:sts::…:assumed-role/… is not authorized to perform: …".

Key policies and role boundaries come from the keys and roles this apply creates or changes (a
key or role applied earlier is not known here: requests on it are refused as AWS refuses a key
whose policy does not name the caller; the rehearsal applies each environment once).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cartlocal.iam.conditions import Context
from cartlocal.iam.operations import Call, Needed, Where
from cartlocal.iam.plane import Plane
from cartlocal.iam.policy import Policy, Principal
from cartprovider.coverage import coverage_table

ENVIRONMENT = "CARTPROVIDER_AUTHORIZATION"
# CloudWatch Logs' (v1) log delivery, which an HTTP API stage's access logging uses with the
# caller's permissions: AWS, "Configuring logging for an HTTP API". None has a resource type.
LOG_DELIVERY = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
    }
)
# Actions the Service Authorization Reference lists without a resource type: authorized on "*".
NO_RESOURCE_TYPE = (
    frozenset({"cognito-idp:CreateUserPool", "kms:CreateKey", "kms:ListAliases", "lambda:CreateEventSourceMapping"})
    | LOG_DELIVERY
)
# Role actions whose request carries the role's permissions boundary as iam:PermissionsBoundary
# (SAR, IAM: the condition key column of each).
BOUNDARY_KEYED = frozenset(
    {"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy"}
)
# Event source mapping actions that carry lambda:FunctionArn (Lambda Developer Guide, "Resources
# and conditions for Lambda actions", Event source mappings); GetEventSourceMapping does not.
FUNCTION_KEYED = frozenset(
    {"lambda:CreateEventSourceMapping", "lambda:DeleteEventSourceMapping", "lambda:UpdateEventSourceMapping"}
)
# The service each resource type passes its role to (iam:PassedToService), and the argument naming it.
PASSED_ROLE = {
    "aws_lambda_function": ("role", "lambda.amazonaws.com"),
    "aws_api_gateway_integration": ("credentials", "apigateway.amazonaws.com"),
    "aws_apigatewayv2_integration": ("credentials_arn", "apigateway.amazonaws.com"),
}
# The customer managed key a resource type's service uses as the caller, and the argument naming it.
USED_KEY = {
    "aws_lambda_function": ("kms_key_arn", "lambda"),
    "aws_dynamodb_table": ("server_side_encryption.kms_key_arn", "dynamodb"),
}


@dataclass
class Authorizer:
    """Decides each change of one apply as the caller the account file names."""

    plane: Plane
    principal: Principal | None
    # Role ARN -> its permissions boundary ARN, for roles this apply created or changed.
    boundaries: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> Authorizer | None:
        path = os.environ.get(ENVIRONMENT)
        if not path:
            return None
        account = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls.from_account(account, os.environ.get("AWS_ACCESS_KEY_ID", ""))

    @classmethod
    def from_account(cls, account: Mapping[str, Any], access_key: str) -> Authorizer:
        plane = Plane(Where(account["region"], account["account"]))
        for role, policies in account["roles"].items():
            plane.identity[role] = tuple(Policy.parse(f"{name} (role policy)", doc) for name, doc in policies.items())
        session = account["sessions"].get(access_key)
        principal = Principal.role(session["role"], session["session"]) if session else None
        return cls(plane, principal)

    def refusal(self, type_name: str, values: Mapping[str, Any]) -> str | None:
        """AWS's denial text for the first request of this change the caller may not make, else None."""
        if self.principal is None:
            return "The security token included in the request is invalid."
        self._learn(type_name, values)
        for needed in requests(type_name, values, self.plane.where, self.boundaries):
            service, operation = needed.action.split(":", 1)
            denial = self.plane.check(self.principal, Call(service, operation, (needed,)))
            if denial is not None:
                return denial.message
        return None

    def _learn(self, type_name: str, values: Mapping[str, Any]) -> None:
        """A key's policy and a role's boundary count from the change that sets them."""
        arn = values.get("arn")
        if not isinstance(arn, str):
            return
        if type_name == "aws_kms_key" and isinstance(values.get("policy"), str):
            self.plane.resource[arn] = Policy.parse(f"{arn} (key policy)", values["policy"])
        if type_name == "aws_iam_role" and isinstance(values.get("permissions_boundary"), str):
            self.boundaries[arn] = values["permissions_boundary"]


def requests(
    type_name: str, values: Mapping[str, Any], where: Where, boundaries: Mapping[str, str]
) -> Iterator[Needed]:
    """Every authorization a change of ``type_name`` (with these values) needs, per the coverage table."""
    row = coverage_table().get(type_name)
    if row is None:
        raise KeyError(f"docs/deploy-permissions.md has no row for {type_name}")
    for action in sorted(row.write | row.read):
        if action == "iam:PassRole":
            yield from _passed_role(type_name, values)
        elif action.startswith("kms:") and type_name in USED_KEY:
            yield from _used_key(type_name, action, values, where)
        elif type_name == "aws_kms_alias" and action != "kms:ListAliases":
            # SAR, KMS: alias operations are authorized on the alias and on the key.
            key = str(values.get("target_key_id"))
            yield Needed(action, where.arn("kms", str(values.get("name"))))
            yield Needed(action, key if key.startswith("arn:") else where.arn("kms", f"key/{key}"))
        else:
            resource = "*" if action in NO_RESOURCE_TYPE else resource_of(type_name, action, values, where)
            yield Needed(action, resource, _context(type_name, action, values, where, boundaries))


def _passed_role(type_name: str, values: Mapping[str, Any]) -> Iterator[Needed]:
    argument, service = PASSED_ROLE[type_name]
    role = values.get(argument)
    if isinstance(role, str) and role:
        yield Needed("iam:PassRole", role, {"iam:PassedToService": service})


def _used_key(type_name: str, action: str, values: Mapping[str, Any], where: Where) -> Iterator[Needed]:
    argument, service = USED_KEY[type_name]
    key: Any = values
    for part in argument.split("."):
        key = key[0] if isinstance(key, list) and key else key
        key = key.get(part) if isinstance(key, Mapping) else None
    if isinstance(key, str) and key:
        yield Needed(action, key, {"kms:ViaService": f"{service}.{where.region}.amazonaws.com"})


def _context(
    type_name: str, action: str, values: Mapping[str, Any], where: Where, boundaries: Mapping[str, str]
) -> Context:
    context: dict[str, str | tuple[str, ...]] = {}
    if action in BOUNDARY_KEYED:
        role = values.get("arn") if type_name == "aws_iam_role" else _role_arn(values, where)
        boundary = values.get("permissions_boundary") if type_name == "aws_iam_role" else boundaries.get(str(role))
        if isinstance(boundary, str) and boundary:
            context["iam:PermissionsBoundary"] = boundary
    if action in FUNCTION_KEYED:
        context["lambda:FunctionArn"] = _function_arn(values, where)
    if action == "kms:CreateKey":
        tags = values.get("tags_all") or {}
        context |= {f"aws:RequestTag/{key}": str(value) for key, value in tags.items()}
        context["aws:TagKeys"] = tuple(tags)
    return context


def _role_arn(values: Mapping[str, Any], where: Where) -> str:
    role = str(values.get("role", ""))
    return role if role.startswith("arn:") else f"arn:aws:iam::{where.account}:role/{role}"


def _function_arn(values: Mapping[str, Any], where: Where) -> str:
    """``function_name`` as an ARN (it may be a name, or a function's, version's or alias's ARN)."""
    function = str(values.get("function_name"))
    return function if function.startswith("arn:") else where.arn("lambda", f"function:{function}")


def _qualified_function(values: Mapping[str, Any], where: Where) -> str:
    qualifier = values.get("qualifier")
    arn = _function_arn(values, where)
    return f"{arn}:{qualifier}" if qualifier else arn


def _rule(values: Mapping[str, Any], where: Where) -> str:
    bus, rule = values.get("event_bus_name") or "default", values.get("rule")
    return where.arn("events", f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}")


def _queue(values: Mapping[str, Any], where: Where) -> str:
    return where.arn("sqs", str(values.get("queue_url")).rstrip("/").rsplit("/", 1)[-1])


def _api_path(type_name: str, values: Mapping[str, Any], where: Where) -> str:
    """API Gateway authorizes its control plane on resource paths (docs/deploy-permissions.md)."""
    if type_name.startswith("aws_apigatewayv2_"):
        return f"arn:aws:apigateway:{where.region}::/apis/{values.get('api_id') or values.get('id')}"
    return f"arn:aws:apigateway:{where.region}::/restapis/{values.get('rest_api_id') or values.get('id')}"


# Resource types whose changes are authorized on another resource (SAR: none of them is a resource type).
_AUTHORIZED_ON: dict[str, Callable[[Mapping[str, Any], Where], str]] = {
    "aws_iam_role_policy": _role_arn,
    "aws_lambda_permission": _qualified_function,
    "aws_lambda_function_event_invoke_config": _qualified_function,
    "aws_cloudwatch_event_target": _rule,
    "aws_sqs_queue_policy": _queue,
    "aws_sqs_queue_redrive_allow_policy": _queue,
    "aws_sesv2_configuration_set_event_destination": lambda values, where: where.arn(
        "ses", f"configuration-set/{values.get('configuration_set_name')}"
    ),
    "aws_cognito_user_pool_client": lambda values, where: where.arn(
        "cognito-idp", f"userpool/{values.get('user_pool_id')}"
    ),
}


def resource_of(type_name: str, action: str, values: Mapping[str, Any], where: Where) -> str:
    """The ARN ``action`` is authorized on for a resource of ``type_name`` (SAR, each service's resource types)."""
    if action.startswith("apigateway:"):
        return _api_path(type_name, values, where)
    if action == "logs:DescribeLogGroups":
        # The provider finds a log group by listing the region's groups by name prefix.
        return where.arn("logs", "log-group:*")
    if type_name in _AUTHORIZED_ON:
        return _AUTHORIZED_ON[type_name](values, where)
    arn = values.get("arn", values.get("dashboard_arn"))
    if isinstance(arn, str):
        return arn
    raise KeyError(f"{type_name}: no ARN to authorize {action} on")
