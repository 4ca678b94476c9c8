"""Trust policies of the roles an AWS service assumes carry only conditions that service sends.

API Gateway assumes an integration's credentials role, and the account's CloudWatch Logs role
(when the account setting is applied, to validate it), without putting aws:SourceAccount or
aws:SourceArn in the request context: a StringEquals on them denies every assume, so every
request answers 500 and the account setting is refused.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.terraform import COMPOSITION, TERRAFORM, blocks, contract_document

BOOTSTRAP = TERRAFORM / "bootstrap"
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID")


def roles_assumed_by(service: str, *directories: Path) -> dict[str, str]:
    """``{"<dir>/<role>": trust policy}`` of every role trusting ``service`` (the contract module's
    documents evaluated, inline ones as written)."""
    policies = {
        f"{directory.name}/{name}": contract_document(body["assume_role_policy"])
        for directory in directories
        for kind, name, body in blocks(directory, "resource")
        if kind == "aws_iam_role"
    }
    return {name: policy for name, policy in policies.items() if service in policy}


def test_api_gateway_roles_trust_without_source_conditions() -> None:
    roles = roles_assumed_by("apigateway.amazonaws.com", COMPOSITION, BOOTSTRAP)
    assert "cartflow/api" in roles
    offending = {name: key for name, policy in roles.items() for key in SOURCE_KEYS if key in policy}
    assert offending == {}
    assert any(name.startswith("bootstrap/") for name in roles), "the account's CloudWatch role is in the bootstrap"
