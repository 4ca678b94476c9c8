"""AWS's documented evaluation rules that a conformance corpus found the evaluator breaking.

Each test is one rule, with its source:
- permissions boundaries cap identity-based grants, and resource-based grants to a role's ARN,
  not to its session's ARN (IAM User Guide, "Permissions boundaries for IAM entities"; "How AWS
  enforcement code logic evaluates requests to allow or deny access");
- role trust policies, like KMS key policies, must allow the principal explicitly (IAM User Guide,
  "Policy evaluation for requests within a single account");
- KMS key policies gate requests on keys only: alias operations and ListKeys are IAM's (KMS
  developer guide, "Controlling access to aliases");
- condition key names are case-insensitive (IAM User Guide, "IAM JSON policy elements: Condition");
- a value an operator cannot read never grants, negated operators included (not documented:
  decided against the requester, docs/aws-fidelity.md);
- an identity-based statement needs Resource or NotResource (IAM User Guide, "Resource").
"""

from __future__ import annotations

from typing import Any

import pytest

from cartlocal.iam.conditions import PolicyError
from cartlocal.iam.policy import Policy, Principal, Request, authorize

ACCOUNT = "111122223333"
ROLE = Principal.role(f"arn:aws:iam::{ACCOUNT}:role/app", "s1")
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALIAS = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def parse(*statements: dict[str, Any]) -> Policy:
    return Policy.parse("p", doc(*statements))


# ---------------------------------------------------------------- permissions boundaries


def test_a_boundary_caps_what_the_identity_policy_grants() -> None:
    request = Request(ROLE, "ses:SendEmail", f"arn:aws:ses:us-east-1:{ACCOUNT}:configuration-set/c")
    identity = [parse(allow("ses:SendEmail"))]
    boundary = parse(allow("ses:SendEmail", f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/*"))
    decision = authorize(request, identity, boundary=boundary)
    assert (decision.allowed, decision.reason) == (
        False,
        "because no permissions boundary allows the ses:SendEmail action",
    )
    assert authorize(request, identity, boundary=parse(allow("ses:*"))).allowed
    assert not authorize(request, [], boundary=parse(allow("ses:*"))).allowed, "a boundary grants nothing"


def test_an_explicit_deny_in_a_boundary_wins() -> None:
    decision = authorize(
        Request(ROLE, "sqs:SendMessage", QUEUE), [parse(allow("sqs:*"))], boundary=parse(allow("*"), deny("sqs:*"))
    )
    assert (decision.allowed, decision.reason) == (False, "with an explicit deny in a permissions boundary")


def test_a_boundary_caps_a_resource_policy_naming_the_role_not_one_naming_the_session() -> None:
    boundary = parse(allow("dynamodb:*"))
    request = Request(ROLE, "sqs:SendMessage", QUEUE)
    to_role = Policy.parse("queue", doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": ROLE.name})))
    to_session = Policy.parse("queue", doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": ROLE.arn})))
    assert not authorize(request, [], to_role, boundary=boundary).allowed
    assert authorize(request, [], to_session, boundary=boundary).allowed


def test_a_session_policy_caps_like_a_boundary() -> None:
    request = Request(ROLE, "sqs:SendMessage", QUEUE)
    decision = authorize(request, [parse(allow("sqs:*"))], session=parse(allow("sqs:ReceiveMessage")))
    assert (decision.allowed, decision.reason) == (False, "because no session policy allows the sqs:SendMessage action")


def test_a_session_policy_caps_a_resource_policy_naming_the_role_session_too() -> None:
    # Only GetFederationToken's documentation exempts grants to the session's ARN from the
    # session policy; AssumeRole's does not, so a role session stays capped (the stricter reading).
    request = Request(ROLE, "sqs:SendMessage", QUEUE)
    to_session = Policy.parse("queue", doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": ROLE.arn})))
    decision = authorize(request, [], to_session, session=parse(allow("ec2:*")))
    assert (decision.allowed, decision.reason) == (False, "because no session policy allows the sqs:SendMessage action")
    assert authorize(request, [], to_session, session=parse(allow("sqs:*"))).allowed
    assert authorize(request, [], to_session, boundary=parse(allow("ec2:*"))).allowed, "a boundary does not cap it"


# ---------------------------------------------------------------- trust and key policies


def test_a_role_trust_policy_must_allow_the_principal_explicitly() -> None:
    target = f"arn:aws:iam::{ACCOUNT}:role/target"
    request = Request(ROLE, "sts:AssumeRole", target)
    identity = [parse(allow("sts:AssumeRole"))]
    trusts_a_service = Policy.parse(
        "trust", doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    )
    decision = authorize(request, identity, trusts_a_service)
    assert (decision.allowed, decision.reason) == (
        False,
        "because no resource-based policy allows the sts:AssumeRole action",
    )
    assert not authorize(request, identity, None).allowed
    trusts_the_account = Policy.parse(
        "trust",
        doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}),
    )
    assert authorize(request, identity, trusts_the_account).allowed
    assert not authorize(request, [], trusts_the_account).allowed


@pytest.mark.parametrize(
    ("action", "resource"),
    [("kms:CreateAlias", ALIAS), ("kms:UpdateAlias", ALIAS), ("kms:DeleteAlias", ALIAS), ("kms:ListKeys", "*")],
)
def test_alias_operations_and_list_keys_need_no_key_policy(action: str, resource: str) -> None:
    assert authorize(Request(ROLE, action, resource), [parse(allow("kms:*"))]).allowed


def test_a_request_on_a_key_needs_its_key_policy() -> None:
    assert not authorize(Request(ROLE, "kms:Decrypt", KEY), [parse(allow("kms:*"))]).allowed


# ---------------------------------------------------------------- conditions


def test_condition_key_names_are_case_insensitive() -> None:
    request = Request(ROLE, "sqs:SendMessage", QUEUE, {"aws:SourceVpc": "vpc-1"})
    assert authorize(request, [parse(allow("sqs:*", Condition={"StringEquals": {"AWS:SOURCEVPC": "vpc-1"}}))]).allowed
    negated = parse(allow("sqs:*", Condition={"StringNotEquals": {"aws:sourcevpc": "vpc-1"}}))
    assert not authorize(request, [negated]).allowed, "the key is present: a negated operator must not grant"


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("DateGreaterThan", "1700000000000"),  # epoch milliseconds: no crash, no grant
        ("DateNotEquals", "not a date"),
        ("NumericNotEquals", "ten"),
        ("NotIpAddress", "not an address"),
        ("ArnNotLike", "not-an-arn"),
    ],
)
def test_a_value_an_operator_cannot_read_never_grants(operator: str, value: str) -> None:
    policy_value = {
        "DateGreaterThan": "2020-01-01T00:00:00Z",
        "DateNotEquals": "2020-01-01T00:00:00Z",
        "NumericNotEquals": "5",
        "NotIpAddress": "10.0.0.0/8",
        "ArnNotLike": "arn:aws:sqs:*:*:*",
    }[operator]
    request = Request(ROLE, "sqs:SendMessage", QUEUE, {"corpus:key": value})
    grant = parse(allow("sqs:*", Condition={operator: {"corpus:key": policy_value}}))
    assert not authorize(request, [grant]).allowed
    refusal = parse(allow("sqs:*"), deny("sqs:*", Condition={operator: {"corpus:key": policy_value}}))
    assert not authorize(request, [refusal]).allowed, "nor does it lift a Deny"


def test_a_single_valued_operator_over_several_values_never_grants() -> None:
    request = Request(ROLE, "sqs:SendMessage", QUEUE, {"aws:CalledVia": ("a.amazonaws.com", "b.amazonaws.com")})
    assert not authorize(
        request, [parse(allow("sqs:*", Condition={"StringEquals": {"aws:CalledVia": "a.amazonaws.com"}}))]
    ).allowed
    any_value = parse(allow("sqs:*", Condition={"ForAnyValue:StringEquals": {"aws:CalledVia": "a.amazonaws.com"}}))
    assert authorize(request, [any_value]).allowed


# ---------------------------------------------------------------- what IAM refuses to store


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "s3:GetObject"},
        allow("*:GetObject"),
        allow("s3*:GetObject"),
        allow("s3:GetObject", "arn:aws"),
    ],
    ids=["identity statement without Resource", "wildcard service", "wildcard in service", "ARN without a service"],
)
def test_what_iam_would_not_store_is_refused(statement: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        parse(statement)


def test_a_trust_policy_may_leave_resource_out() -> None:
    parse({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})


def test_a_star_ending_an_arn_segment_matches_beyond_colons() -> None:
    queue = Request(ROLE, "sqs:SendMessage", QUEUE)
    assert authorize(queue, [parse(allow("sqs:*", "arn:aws:sqs:*"))]).allowed
    assert authorize(queue, [parse(allow("sqs:*", "arn:aws:sqs:us-east-1:*"))]).allowed
    assert not authorize(queue, [parse(allow("sqs:*", "arn:aws:sqs:us-east-2:*"))]).allowed
    assert authorize(queue, [parse(allow("sqs:*", f"arn:aws:sqs:us-*-1:{ACCOUNT}:q"))]).allowed


# ---------------------------------------------------------------- ARNs of fewer than six parts


def test_a_short_arn_in_an_identity_policy_is_completed_with_wildcards() -> None:
    queue = Request(ROLE, "sqs:SendMessage", QUEUE)
    for pattern in (
        "arn:aws:sqs",
        "arn:aws:sqs:us-east-1",
        f"arn:aws:sqs:us-east-1:{ACCOUNT}",
        f"arn:aws:sqs:*:{ACCOUNT}",
    ):
        assert authorize(queue, [parse(allow("sqs:*", pattern))]).allowed, pattern
    for pattern in ("arn:aws:sqs:us-west-2", "arn:aws:sqs:us-east-1:444455556666", "arn:aws:sns"):
        assert not authorize(queue, [parse(allow("sqs:*", pattern))]).allowed, pattern
    assert not authorize(queue, [parse(allow("sqs:*"), deny("sqs:*", "arn:aws:sqs:us-east-1"))]).allowed


def test_where_the_readings_of_a_short_arn_differ_it_never_grants() -> None:
    queue = Request(ROLE, "sqs:SendMessage", QUEUE)

    def queue_policy(statement: dict[str, Any]) -> Policy:
        return Policy.parse("queue", doc({**statement, "Principal": {"AWS": ROLE.arn}}))

    # In a resource-based policy a short ARN without a wildcard may match nothing at all.
    assert not authorize(queue, [], queue_policy(allow("sqs:*", "arn:aws:sqs:us-east-1"))).allowed
    assert authorize(queue, [], queue_policy(allow("sqs:*", f"arn:aws:sqs:*:{ACCOUNT}"))).allowed
    everything = [parse(allow("sqs:*"))]
    assert not authorize(queue, everything, queue_policy(deny("sqs:*", "arn:aws:sqs:us-east-1"))).allowed
    # A short ARN in NotResource that does not match the request may still be read as excluding it.
    not_west = {"Effect": "Allow", "Action": "sqs:*", "NotResource": "arn:aws:sqs:us-west-2"}
    assert not authorize(queue, [parse(not_west)]).allowed
    assert not authorize(queue, [parse(allow("sqs:*"), {**not_west, "Effect": "Deny"})]).allowed
    not_here = {"Effect": "Allow", "Action": "sqs:*", "NotResource": "arn:aws:sqs:us-east-1"}
    assert not authorize(queue, [parse(not_here)]).allowed


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:DeletePolicy", "arn:aws:iam::aws:policy/AdministratorAccess"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_x"),
        ("kms:DeleteAlias", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/s3"),
    ],
)
def test_what_aws_reserves_is_denied_whatever_the_policies(action: str, resource: str) -> None:
    assert not authorize(Request(ROLE, action, resource), [parse(allow("*"))]).allowed
