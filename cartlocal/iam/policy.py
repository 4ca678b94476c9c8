"""IAM policy documents and AWS's evaluation logic for requests within one account.

A policy is parsed once into statements; :func:`authorize` then decides a :class:`Request` the
way the IAM User Guide's "Policy evaluation for requests within a single account" describes it:
an explicit Deny in any applicable policy (identity-based, resource-based, permissions boundary,
session policy) wins; otherwise an Allow in the principal's identity-based policies or in the
resource's policy grants. A resource policy that names only the account
(``arn:aws:iam::ACCOUNT:root``) delegates to IAM: it grants nothing by itself. Role trust policies
and KMS key policies are the exceptions to "either one suffices": without a statement of theirs
that applies (directly or through the account) nothing is allowed, whatever IAM says (IAM User
Guide, single-account evaluation: "IAM role trust policies and KMS key policies are exceptions to
this logic, because they must explicitly allow access for principals"). A KMS key policy gates
only requests on keys: alias operations and ``kms:ListKeys`` are IAM's alone.

A permissions boundary caps what identity-based policies grant: with one, an identity-based Allow
counts only where the boundary allows too (IAM User Guide, "Permissions boundaries for IAM
entities"). A resource-based policy naming the role's ARN (or everyone) is capped by the boundary
as well; one naming the session's ARN (or a user's ARN) is not (IAM User Guide, "How AWS
enforcement code logic evaluates requests to allow or deny access", resource-based policies).
A session policy caps every grant, one naming the role session's ARN included: only
GetFederationToken's documentation exempts grants to the session's ARN, and this plane has no
federated users.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any, Literal

from cartlocal.iam import conditions
from cartlocal.iam.conditions import ARN_PARTS, Context, PolicyError


@dataclass(frozen=True)
class Principal:
    """Who a request is made as: a session of an IAM role, an AWS service principal, an IAM user, or
    the holder of a web identity token (the ARN of the account's OIDC provider that issued it)."""

    kind: Literal["role", "service", "user", "federated"]
    # The role's ARN, the service principal (apigateway.amazonaws.com), the IAM user's ARN, or
    # the OIDC provider's ARN.
    name: str
    session: str = "local"

    @classmethod
    def role(cls, arn: str, session: str = "local") -> Principal:
        return cls("role", arn, session)

    @classmethod
    def service(cls, name: str) -> Principal:
        return cls("service", name)

    @classmethod
    def user(cls, arn: str) -> Principal:
        return cls("user", arn)

    @classmethod
    def federated(cls, provider_arn: str) -> Principal:
        return cls("federated", provider_arn)

    @property
    def account(self) -> str:
        return self.name.split(":")[4] if self.kind != "service" else ""

    @property
    def arn(self) -> str:
        """What AWS names in a denial: the assumed-role session ARN of a role, else the user or service."""
        if self.kind != "role":
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
    # The role's ARN, or everyone ("*"): grants, but a permissions boundary or session policy caps
    # it (for "*" the documentation is silent; capped, the stricter reading).
    CAPPED = 2
    # The session's ARN, a user's ARN, a service: grants whatever the boundary says (a session
    # policy still caps it).
    DIRECT = 3


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
        return _resource_pattern(pattern).fullmatch(resource) is not None
    return conditions.like(pattern, resource)


@cache
def _resource_pattern(pattern: str) -> re.Pattern[str]:
    """An ARN in Resource: wildcards stay within their colon-separated segment, except a ``*``
    that ends a segment, which "can expand to match beyond the colon boundaries" (IAM User Guide,
    "IAM JSON policy elements: Resource", using wildcards in resource ARNs)."""
    segments = []
    for segment in pattern.split(":"):
        body = "".join("[^:]*" if c == "*" else "[^:]" if c == "?" else re.escape(c) for c in segment)
        segments.append(body.removesuffix("[^:]*") + ".*" if segment.endswith("*") else body)
    return re.compile(":".join(segments), re.DOTALL)


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
    # ARNs of fewer than six fields, completed with "*" (see _completed): all of them, and those
    # whose completed form may also be read as matching nothing.
    short: frozenset[str] = frozenset()
    unsure: frozenset[str] = frozenset()

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
        if resource_key is None and principal_key is None:
            # Only resource-based (and trust) policies may leave Resource out; IAM refuses an
            # identity-based policy statement without it (IAM User Guide, "Resource" element).
            raise PolicyError("an identity-based policy statement needs Resource or NotResource")
        actions = _listed(raw.get("Action", raw.get("NotAction")))
        resources = _listed(raw.get(resource_key) if resource_key else None)
        for text in (*actions, *resources):
            if "${" in text:
                raise PolicyError(f"policy variables are not supported: {text}")
        for action in actions:
            service, colon, _ = action.partition(":")
            if action != "*" and (not colon or any(c in service for c in "*?")):
                # IAM's documented form is service-prefix:action; a wildcard in the prefix is not
                # documented either way (docs/aws-fidelity.md): refused, never guessed.
                raise PolicyError(f"an action must be service:action with a literal service, got {action!r}")
        completed = [_completed(resource) for resource in resources]
        short = frozenset(full for resource, full in zip(resources, completed, strict=True) if full != resource)
        return cls(
            sid=str(raw.get("Sid", "")),
            effect=effect,
            actions=actions,
            not_action="NotAction" in raw,
            resources=None if resource_key is None else tuple(completed),
            not_resource=resource_key == "NotResource",
            principals=principals,
            not_principal=principal_key == "NotPrincipal",
            tests=conditions.parse(raw.get("Condition", {})),
            short=short,
            # A resource-based policy's short ARN without a wildcard: one simulator reads it as
            # matching nothing.
            unsure=frozenset(
                full
                for resource, full in zip(resources, completed, strict=True)
                if full in short and principal_key is not None and "*" not in resource
            ),
        )

    def applies(self, request: Request) -> bool:
        """Action, resource and condition match (the principal is judged by :meth:`names`).

        A condition this evaluator cannot decide (a value that is no number, date, IP or ARN for
        its operator; a single-valued operator over several values), or a resource that readings
        of a short ARN disagree on, is decided against the requester: an Allow does not apply, a
        Deny does. AWS documents none of these cases.
        """
        action = any(conditions.wildcard(a, ignore_case=True).fullmatch(request.action) for a in self.actions)
        if action == self.not_action:
            return False
        resource = True if self.resources is None else self._covers(request.resource)
        if resource is False:
            return False
        try:
            holds = all(test.holds(request.context) for test in self.tests)
        except PolicyError:
            return self.effect == "Deny"
        return holds and (resource or self.effect == "Deny")

    def _covers(self, resource: str) -> bool | None:
        """Whether Resource/NotResource lets the statement apply to ``resource``; None when the
        readings of a short ARN disagree."""
        assert self.resources is not None
        matched = {r for r in self.resources if _resource_matches(r, resource)}
        if not self.not_resource:
            return True if matched - self.unsure else None if matched else False
        if matched - self.unsure:
            return False
        # One simulator reads a completed ARN's mismatch in NotResource as inconclusive.
        return None if matched or self.short - self.unsure else True

    def names(self, principal: Principal) -> Match:
        if self.principals is None:
            return Match.NONE
        best = Match.NONE
        for kind, value in self.principals:
            best = max(best, _principal_match(kind, value, principal), key=lambda match: match.value)
        if self.not_principal:
            return Match.NONE if best is not Match.NONE else Match.DIRECT
        return best


def _completed(resource: str) -> str:
    """``resource``, a short ARN completed with ``*`` for its missing fields.

    AWS's own MalformedPolicyDocument messages show its parser completing a short resource the
    same way (``a:b:c`` is reported as ``arn:b:c:*:*:*``), and refusing one without a service
    ("Resource vendor must be fully qualified"); how it then matches is not documented.
    """
    if not resource.startswith("arn:"):
        return resource
    fields = resource.split(":", ARN_PARTS - 1)
    if len(fields) < len(["arn", "partition", "service"]):
        raise PolicyError(f"Resource vendor must be fully qualified: {resource!r}")
    return ":".join([*fields, *["*"] * (ARN_PARTS - len(fields))])


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
        return Match.CAPPED
    if principal.kind in {"service", "federated"}:
        # A service is named as {"Service": ...}; a web identity's provider as {"Federated": <its ARN>}.
        wanted = "Service" if principal.kind == "service" else "Federated"
        return Match.DIRECT if kind == wanted and value == principal.name else Match.NONE
    if kind != "AWS":
        return Match.NONE
    if value == principal.arn:
        return Match.DIRECT  # the session's ARN, or the user's
    if value == principal.name:
        return Match.CAPPED  # the role's ARN
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


# Requests a resource-based policy must allow, whatever IAM policies say: those on a KMS key
# (not alias operations, not ListKeys) and those that assume a role (its trust policy).
_TRUST_ACTIONS = frozenset(
    f"sts:{name}"
    for name in (
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "SetContext",
        "SetSourceIdentity",
        "TagSession",
    )
)


def requires_resource_policy(request: Request) -> bool:
    """Whether ``request`` needs an Allow of the resource's own policy (KMS keys, role trust)."""
    action, parts = request.action.lower(), request.resource.split(":", ARN_PARTS - 1)
    if len(parts) != ARN_PARTS:
        return False
    if action.startswith("kms:"):
        return parts[2] == "kms" and parts[5].startswith("key/")
    return action in {a.lower() for a in _TRUST_ACTIONS} and parts[2] == "iam" and parts[5].startswith("role/")


_READS = ("get", "list", "generate", "simulate")


def _reserved(request: Request) -> str | None:
    """What AWS keeps for itself whatever policies say, or None (a denial, never a grant)."""
    parts = request.resource.split(":", ARN_PARTS - 1)
    if len(parts) != ARN_PARTS:
        return None
    service, account, resource = parts[2], parts[4], parts[5]
    action = request.action.lower().partition(":")[2]
    if service == "iam" and request.action.lower().startswith("iam:") and not action.startswith(_READS):
        # AWS managed policies cannot be changed (IAM User Guide, "AWS managed policies"); roles
        # under aws-reserved/ belong to IAM Identity Center, which alone changes them.
        if account == "aws" and resource.startswith("policy/"):
            return "AWS managed policies cannot be changed"
        if resource.startswith("role/aws-reserved/"):
            return "roles under aws-reserved/ are managed by AWS"
    if (
        service == "kms"
        and resource.startswith("alias/aws/")
        and action in {"createalias", "updatealias", "deletealias"}
    ):
        # "alias/aws/" names AWS managed keys' aliases (KMS developer guide, "Aliases").
        return "the alias/aws/ prefix is reserved for AWS managed keys"
    return None


def _denies(policies: Iterable[Policy], request: Request) -> bool:
    return any(s.effect == "Deny" and s.applies(request) for policy in policies for s in policy.statements)


def _allows(policy: Policy, request: Request) -> bool:
    return any(s.effect == "Allow" and s.applies(request) for s in policy.statements)


def _explicit_deny(
    request: Request,
    identity: Sequence[Policy],
    resource: Policy | None,
    caps: Sequence[tuple[Policy, str]],
    *,
    has_boundary: bool,
) -> Decision | None:
    if _denies(identity, request):
        return Decision(False, "with an explicit deny in an identity-based policy")
    # "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
    # permissions boundary policy attached" (IAM User Guide, "Permissions boundaries").
    if resource is not None and any(
        s.effect == "Deny"
        and (s.names(request.principal) is not Match.NONE or (s.not_principal and has_boundary))
        and s.applies(request)
        for s in resource.statements
    ):
        return Decision(False, "with an explicit deny in a resource-based policy")
    for policy, kind in caps:
        if _denies((policy,), request):
            return Decision(False, f"with an explicit deny in a {kind}")
    return None


def authorize(
    request: Request,
    identity: Sequence[Policy] = (),
    resource: Policy | None = None,
    *,
    resource_policy_required: bool | None = None,
    boundary: Policy | None = None,
    session: Policy | None = None,
) -> Decision:
    """Decide ``request`` against the principal's identity policies, its permissions boundary and
    session policy, and the resource's policy (IAM User Guide, "How AWS enforcement code logic
    evaluates requests to allow or deny access").

    ``resource_policy_required``: None decides it from the request (:func:`requires_resource_policy`).
    """
    if resource_policy_required is None:
        resource_policy_required = requires_resource_policy(request)
    # What caps a grant that does not name the session itself: the boundary, the session policy.
    caps = [
        (policy, kind) for policy, kind in ((boundary, "permissions boundary"), (session, "session policy")) if policy
    ]
    if denied := _explicit_deny(request, identity, resource, caps, has_boundary=boundary is not None):
        return denied
    if reserved := _reserved(request):
        return Decision(False, f"because {reserved}")
    identity_grants = tuple(
        (policy.name, s.sid)
        for policy in identity
        for s in policy.statements
        if s.effect == "Allow" and s.applies(request)
    )
    grants: dict[Match, list[tuple[str, str]]] = {Match.DIRECT: [], Match.CAPPED: [], Match.ACCOUNT: []}
    for s in resource.statements if resource else ():
        if s.effect == "Allow" and s.applies(request) and (match := s.names(request.principal)) in grants:
            assert resource is not None
            grants[match].append((resource.name, s.sid))
    uncapped = next((kind for policy, kind in caps if not _allows(policy, request)), None)
    session_allows = session is None or _allows(session, request)
    if (grants[Match.DIRECT] and session_allows) or (grants[Match.CAPPED] and uncapped is None):
        return Decision(True, granted_by=(*grants[Match.DIRECT], *grants[Match.CAPPED], *identity_grants))
    if grants[Match.DIRECT]:
        reason = f"because no session policy allows the {request.action} action"
    elif resource_policy_required and not grants[Match.ACCOUNT] and not grants[Match.CAPPED]:
        reason = f"because no resource-based policy allows the {request.action} action"
    elif not identity_grants:
        reason = f"because no identity-based policy allows the {request.action} action"
    elif uncapped is not None:
        reason = f"because no {uncapped} allows the {request.action} action"
    else:
        return Decision(True, granted_by=(*identity_grants, *grants[Match.ACCOUNT]))
    return Decision(False, reason)
