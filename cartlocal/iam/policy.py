"""IAM policy documents and AWS's evaluation logic for requests within one account.

A policy is parsed once into statements; :func:`authorize` then decides a :class:`Request` the
way the IAM User Guide's "Policy evaluation for requests within a single account" describes it:
an explicit Deny in any applicable policy wins; otherwise an Allow in the principal's
identity-based policies or in the resource's policy grants. A resource policy that names only the
account (``arn:aws:iam::ACCOUNT:root``) delegates to IAM: it grants nothing by itself. A KMS key
policy is the exception to "either one suffices": without a key policy statement that applies
(directly or through the account) nothing is allowed, whatever IAM says (KMS developer guide, "Key
policies": "no IAM policy ... will be effective unless the key policy allows it").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from cartlocal.iam import conditions
from cartlocal.iam.conditions import Context, PolicyError


@dataclass(frozen=True)
class Principal:
    """Who a request is made as: a session of an IAM role, or an AWS service principal."""

    kind: Literal["role", "service"]
    # The role's ARN, or the service principal (apigateway.amazonaws.com).
    name: str
    session: str = "local"

    @classmethod
    def role(cls, arn: str, session: str = "local") -> Principal:
        return cls("role", arn, session)

    @classmethod
    def service(cls, name: str) -> Principal:
        return cls("service", name)

    @property
    def account(self) -> str:
        return self.name.split(":")[4] if self.kind == "role" else ""

    @property
    def arn(self) -> str:
        """What AWS names in a denial: the assumed-role session ARN of a role, else the service."""
        if self.kind == "service":
            return self.name
        partition, account, role_name = self.name.split(":")[1], self.account, self.name.rsplit("/", 1)[-1]
        return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{self.session}"


@dataclass(frozen=True)
class Request:
    """One authorization: ``principal`` performs ``action`` on ``resource`` with ``context``."""

    principal: Principal
    action: str
    resource: str
    context: Context = field(default_factory=dict)


class Match(Enum):
    """How a resource-policy statement's Principal element covers a request's principal."""

    NONE = 0
    ACCOUNT = 1  # through the account: a delegation to the principal's identity policies
    DIRECT = 2


def _listed(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise PolicyError(f"expected a string or a list of strings, got {value!r}")


def _resource_matches(pattern: str, resource: str) -> bool:
    if pattern.startswith("arn:") and resource.startswith("arn:"):
        return conditions.arn_like(pattern, resource)
    return conditions.like(pattern, resource)


@dataclass(frozen=True)
class Statement:
    """One statement, parsed; ``principals`` is None in identity policies."""

    sid: str
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...] | None
    not_resource: bool
    principals: tuple[tuple[str, str], ...] | None
    not_principal: bool
    tests: tuple[conditions.Test, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Statement:
        known = {
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "NotPrincipal",
            "Condition",
        }
        if unknown := set(raw) - known:
            raise PolicyError(f"unknown statement elements {sorted(unknown)}")
        effect = raw.get("Effect")
        if effect not in {"Allow", "Deny"}:
            raise PolicyError(f"Effect must be Allow or Deny, got {effect!r}")
        if ("Action" in raw) == ("NotAction" in raw):
            raise PolicyError("a statement needs exactly one of Action and NotAction")
        if "Resource" in raw and "NotResource" in raw:
            raise PolicyError("a statement cannot have both Resource and NotResource")
        principal_key = "NotPrincipal" if "NotPrincipal" in raw else "Principal" if "Principal" in raw else None
        principals = None if principal_key is None else _principals(raw[principal_key])
        resource_key = "NotResource" if "NotResource" in raw else "Resource" if "Resource" in raw else None
        actions = _listed(raw.get("Action", raw.get("NotAction")))
        for text in (*actions, *_listed(raw.get(resource_key) if resource_key else None)):
            if "${" in text:
                raise PolicyError(f"policy variables are not supported: {text}")
        return cls(
            sid=str(raw.get("Sid", "")),
            effect=effect,
            actions=actions,
            not_action="NotAction" in raw,
            resources=None if resource_key is None else _listed(raw[resource_key]),
            not_resource=resource_key == "NotResource",
            principals=principals,
            not_principal=principal_key == "NotPrincipal",
            tests=conditions.parse(raw.get("Condition", {})),
        )

    def applies(self, request: Request) -> bool:
        """Action, resource and condition match (the principal is judged by :meth:`names`)."""
        action = any(conditions.wildcard(a, ignore_case=True).fullmatch(request.action) for a in self.actions)
        if action == self.not_action:
            return False
        if self.resources is not None:
            resource = any(_resource_matches(r, request.resource) for r in self.resources)
            if resource == self.not_resource:
                return False
        return all(test.holds(request.context) for test in self.tests)

    def names(self, principal: Principal) -> Match:
        if self.principals is None:
            return Match.NONE
        best = Match.NONE
        for kind, value in self.principals:
            best = max(best, _principal_match(kind, value, principal), key=lambda match: match.value)
        if self.not_principal:
            return Match.NONE if best is not Match.NONE else Match.DIRECT
        return best


def _principals(raw: object) -> tuple[tuple[str, str], ...]:
    if raw == "*":
        return (("AWS", "*"),)
    if not isinstance(raw, Mapping):
        raise PolicyError(f'Principal must be "*" or a map, got {raw!r}')
    pairs: list[tuple[str, str]] = []
    for kind, values in raw.items():
        if kind not in {"AWS", "Service", "Federated", "CanonicalUser"}:
            raise PolicyError(f"unknown principal type {kind}")
        pairs.extend((str(kind), value) for value in _listed(values))
    return tuple(pairs)


def _principal_match(kind: str, value: str, principal: Principal) -> Match:
    if kind == "AWS" and value == "*":
        return Match.DIRECT
    if principal.kind == "service":
        return Match.DIRECT if kind == "Service" and value == principal.name else Match.NONE
    if kind != "AWS":
        return Match.NONE
    if value in {principal.name, principal.arn}:
        return Match.DIRECT
    root = f"arn:{principal.name.split(':')[1]}:iam::{principal.account}:root"
    return Match.ACCOUNT if value in {principal.account, root} else Match.NONE


@dataclass(frozen=True)
class Policy:
    """A parsed policy document; ``name`` says where it came from in denials and reports."""

    name: str
    statements: tuple[Statement, ...]

    @classmethod
    def parse(cls, name: str, document: str | Mapping[str, Any]) -> Policy:
        raw = json.loads(document) if isinstance(document, str) else document
        if raw.get("Version") != "2012-10-17":
            raise PolicyError(f"{name}: Version must be 2012-10-17 (no policy variables otherwise)")
        listed = raw.get("Statement")
        statements = [listed] if isinstance(listed, Mapping) else listed
        if not isinstance(statements, list) or not statements:
            raise PolicyError(f"{name}: no Statement")
        try:
            return cls(name, tuple(Statement.parse(statement) for statement in statements))
        except PolicyError as error:
            raise PolicyError(f"{name}: {error}") from None

    def without(self, index: int) -> Policy:
        """This policy minus its statement ``index`` (for least-privilege measurements)."""
        return Policy(self.name, self.statements[:index] + self.statements[index + 1 :])


@dataclass(frozen=True)
class Decision:
    """The outcome; ``reason`` completes AWS's "User: X is not authorized to perform: A on resource: R ..."."""

    allowed: bool
    reason: str = ""
    # The statements that allowed it, as (policy name, sid): what least-privilege reports count.
    granted_by: tuple[tuple[str, str], ...] = ()

    def message(self, request: Request) -> str:
        return (
            f"User: {request.principal.arn} is not authorized to perform: {request.action} "
            f"on resource: {request.resource} {self.reason}"
        )


def authorize(
    request: Request,
    identity: Sequence[Policy] = (),
    resource: Policy | None = None,
    *,
    resource_policy_required: bool = False,
) -> Decision:
    """Decide ``request`` against the principal's identity policies and the resource's policy."""
    for policy in identity:
        if any(s.effect == "Deny" and s.applies(request) for s in policy.statements):
            return Decision(False, "with an explicit deny in an identity-based policy")
    resource_statements: Iterable[Statement] = resource.statements if resource else ()
    if any(
        s.effect == "Deny" and s.names(request.principal) is not Match.NONE and s.applies(request)
        for s in resource_statements
    ):
        return Decision(False, "with an explicit deny in a resource-based policy")
    identity_grants = tuple(
        (policy.name, s.sid)
        for policy in identity
        for s in policy.statements
        if s.effect == "Allow" and s.applies(request)
    )
    direct: list[tuple[str, str]] = []
    delegated: list[tuple[str, str]] = []
    for s in resource_statements:
        if s.effect != "Allow" or not s.applies(request):
            continue
        match = s.names(request.principal)
        assert resource is not None
        if match is Match.DIRECT:
            direct.append((resource.name, s.sid))
        elif match is Match.ACCOUNT:
            delegated.append((resource.name, s.sid))
    if direct:
        return Decision(True, granted_by=(*direct, *identity_grants))
    if resource_policy_required and not delegated:
        return Decision(False, f"because no resource-based policy allows the {request.action} action")
    if identity_grants:
        return Decision(True, granted_by=(*identity_grants, *delegated))
    return Decision(False, f"because no identity-based policy allows the {request.action} action")
