"""Trust policies of the roles an AWS service assumes carry only conditions that service sends.

API Gateway assumes an integration's credentials role, and the account's CloudWatch Logs role
(when the account setting is applied, to validate it), without putting aws:SourceAccount or
aws:SourceArn in the request context: a StringEquals on them denies every assume, so every
request answers 500 and the account setting is refused.
"""

from __future__ import annotations

from pathlib import Path

from tests.test_terraform_contract import COMPOSITION, TERRAFORM, blocks

BOOTSTRAP = TERRAFORM / "bootstrap"
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID")


def roles_assumed_by(service: str, *directories: Path) -> dict[str, str]:
    """``{"<dir>/<role>": assume_role_policy expression}`` of every role trusting ``service``."""
    return {
        f"{directory.name}/{name}": body["assume_role_policy"]
        for directory in directories
        for kind, name, body in blocks(directory, "resource")
        if kind == "aws_iam_role" and service in body["assume_role_policy"]
    }


def test_api_gateway_roles_trust_without_source_conditions() -> None:
    roles = roles_assumed_by("apigateway.amazonaws.com", COMPOSITION, BOOTSTRAP)
    assert "cartflow/api" in roles
    offending = {name: key for name, policy in roles.items() for key in SOURCE_KEYS if key in policy}
    assert offending == {}
    assert any(name.startswith("bootstrap/") for name in roles), "the account's CloudWatch role is in the bootstrap"
