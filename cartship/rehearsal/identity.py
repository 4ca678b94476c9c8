"""Who a rehearsed job is: GitHub-shaped OIDC tokens, the roles' trust policies, and the sessions.

On GitHub a job asks GitHub's OIDC provider for a signed token whose ``sub`` names the repository
and the job's environment (or ref) and whose ``aud`` is ``sts.amazonaws.com``; STS checks the
signature and then the role's trust policy against those claims before it issues credentials.
Here the token is signed with a key of this run (HMAC-SHA256: only this process verifies it),
and the trust policy the bootstrap attaches is decided by cartlocal's plane; a claim the policy
does not accept fails as STS fails it. Each session STS then issues is recorded by its access key:
in the plane, so the authorization gate in front of the run's moto decides what the session signs
as its role, and in the account file the provider stand-in reads (cartprovider/authorization.py),
with the role policies the bootstrap attaches, so Terraform's apply is authorized as that session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cartlocal.iam.operations import Where
from cartlocal.iam.plane import Plane
from cartlocal.iam.policy import Policy, Principal, Request
from cartship.rehearsal.errors import RehearsalError

AUDIENCE = "sts.amazonaws.com"
ISSUER = "https://token.actions.githubusercontent.com"
# What aws-actions/configure-aws-credentials prints when STS refuses the token
# (aws-actions/configure-aws-credentials#318, #1446; STS's own message after the colon).
NOT_AUTHORIZED = "Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Identity:
    """The local account's OIDC provider, roles (trust and policies), and the sessions issued so far."""

    where: Where
    oidc_provider_arn: str
    # Role ARN -> {policy name: document}.
    role_policies: dict[str, dict[str, str]]
    # The roles' policies, their trust policies and the sessions issued: what the gate decides with.
    plane: Plane
    account_file: Path
    sessions: dict[str, dict[str, str]] = field(default_factory=dict)
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @classmethod
    def from_bootstrap(cls, outputs: dict[str, Any], applied: dict[str, Any], account_file: Path) -> Identity:
        """From the bootstrap's outputs and applied state (its roles, their policies and trust)."""
        roles = {
            entry["values"]["name"]: entry["values"] for entry in applied.values() if entry["type"] == "aws_iam_role"
        }
        region = outputs["backend_config"][next(iter(outputs["backend_config"]))]["region"]
        account = next(iter(roles.values()))["arn"].split(":")[4]
        plane = Plane(Where(region, account))
        policies: dict[str, dict[str, str]] = {role["arn"]: {} for role in roles.values()}
        for role in roles.values():
            plane.resource[role["arn"]] = Policy.parse(f"{role['name']} (trust)", role["assume_role_policy"])
        for entry in applied.values():
            if entry["type"] == "aws_iam_role_policy":
                values = entry["values"]
                policies[roles[values["role"]]["arn"]][values["name"]] = values["policy"]
        for role, documents in policies.items():
            plane.identity[role] = tuple(Policy.parse(f"{name} (role policy)", doc) for name, doc in documents.items())
        identity = cls(plane.where, outputs["github_oidc_provider_arn"], policies, plane, account_file)
        identity.save()
        return identity

    @property
    def host(self) -> str:
        """The provider's URL without https://: the prefix of its condition keys (``<host>:sub``)."""
        return self.oidc_provider_arn.split(":oidc-provider/", 1)[1]

    def token(self, subject: str, extra: dict[str, str]) -> str:
        """A GitHub-shaped job token for ``subject``, signed with this run's key."""
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, **extra}
        signing_input = (
            f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}"
        )
        signature = hmac.new(self.key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def claims(self, token: str) -> dict[str, str]:
        """The claims of a token this run signed; any other token is refused as STS refuses it."""
        header, payload, signature = [*token.split("."), "", ""][:3]
        expected = hmac.new(self.key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise RehearsalError("configure-aws-credentials: Could not assume role with OIDC: InvalidIdentityToken")
        claims: dict[str, str] = json.loads(_unb64(payload))
        return claims

    def accepts(self, role_arn: str, token: str) -> bool:
        """Does the role's trust policy take this token (signed by this run)?"""
        try:
            claims = self.claims(token)
        except RehearsalError:
            return False
        context = {f"{self.host}:{name}": value for name, value in claims.items() if name in {"sub", "aud", "iss"}}
        request = Request(
            Principal.federated(self.oidc_provider_arn), "sts:AssumeRoleWithWebIdentity", role_arn, context
        )
        return self.plane.decide(request).allowed

    def assume(self, role_arn: str, token: str, session: str) -> Principal:
        """The session STS's AssumeRoleWithWebIdentity would issue, if the role's trust policy allows the token."""
        claims = self.claims(token)
        if not self.accepts(role_arn, token):
            raise RehearsalError(f"configure-aws-credentials: {NOT_AUTHORIZED} (sub {claims.get('sub')!r})")
        return Principal.role(role_arn, session)

    def register(self, access_key: str, principal: Principal) -> None:
        """Record the session STS issued, so what it signs is decided as that role (here and by the stand-in)."""
        self.plane.principals[access_key] = principal
        self.sessions[access_key] = {"role": principal.name, "session": principal.session}
        self.save()

    def save(self) -> None:
        account = {
            "region": self.where.region,
            "account": self.where.account,
            "roles": self.role_policies,
            "sessions": self.sessions,
        }
        self.account_file.write_text(json.dumps(account, indent=1), encoding="utf-8")
