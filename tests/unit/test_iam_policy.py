"""The IAM evaluator decides like AWS: cases from the IAM User Guide's evaluation and condition pages.

Sources (IAM User Guide): "Policy evaluation for requests within a single account"
(reference_policies_evaluation-logic_policy-eval-basics), "The difference between explicit and
implicit denies", "IAM JSON policy elements: Condition operators", "Conditions with multiple context
keys or values" (reference_policies_multi-value-conditions), and the KMS developer guide's "Key
policies" (a key policy must allow, directly or through the account).
"""

from __future__ import annotations

from typing import Any

import pytest

from cartlocal.iam.conditions import Context, PolicyError
from cartlocal.iam.policy import Policy, Principal, Request, authorize

ACCOUNT = "111122223333"
ROLE = Principal.role(f"arn:aws:iam::{ACCOUNT}:role/app", "s1")
OTHER_ROLE = Principal.role(f"arn:aws:iam::{ACCOUNT}:role/other", "s1")
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(statements: list[dict[str, Any]], action: str, resource: str, context: Context | None = None) -> bool:
    policy = Policy.parse("identity", doc(*statements))
    # The identity policy alone is under test (a key policy is the subject of its own tests).
    return authorize(Request(ROLE, action, resource, context or {}), [policy], resource_policy_required=False).allowed


# ---------------------------------------------------------------- identity policies, one account

IDENTITY_CASES: list[tuple[str, list[dict[str, Any]], str, str, Context, bool]] = [
    # (why, statements, action, resource, context, allowed)
    ("no policy allows: implicit deny", [allow("s3:GetObject", BUCKET)], "s3:PutObject", BUCKET, {}, False),
    ("an Allow that matches grants", [allow("s3:PutObject", BUCKET)], "s3:PutObject", BUCKET, {}, True),
    ("explicit Deny overrides Allow", [allow("s3:*"), deny("s3:PutObject", BUCKET)], "s3:PutObject", BUCKET, {}, False),
    ("action wildcard, case-insensitive", [allow("S3:put*")], "s3:PutObject", BUCKET, {}, True),
    ("action ? wildcard is one character", [allow("s3:Get?bject")], "s3:GetObject", BUCKET, {}, True),
    (
        "NotAction allows everything else",
        [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
        "s3:GetObject",
        BUCKET,
        {},
        True,
    ),
    (
        "NotAction excludes what it names",
        [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
        "iam:CreateRole",
        "*",
        {},
        False,
    ),
    (
        "Deny with NotAction denies everything else",
        [allow("*"), {"Effect": "Deny", "NotAction": "s3:Get*", "Resource": "*"}],
        "s3:PutObject",
        BUCKET,
        {},
        False,
    ),
    (
        "resource wildcard within one ARN part",
        [allow("sqs:SendMessage", "arn:aws:sqs:*:111122223333:q-*")],
        "sqs:SendMessage",
        "arn:aws:sqs:eu-west-1:111122223333:q-1",
        {},
        True,
    ),
    (
        "resource other queue",
        [allow("sqs:SendMessage", "arn:aws:sqs:*:111122223333:q-*")],
        "sqs:SendMessage",
        "arn:aws:sqs:eu-west-1:111122223333:r-1",
        {},
        False,
    ),
    (
        "NotResource excludes",
        [{"Effect": "Allow", "Action": "s3:*", "NotResource": BUCKET}],
        "s3:PutObject",
        BUCKET,
        {},
        False,
    ),
    (
        "Deny NotResource denies the rest",
        [allow("sqs:*"), {"Effect": "Deny", "Action": "sqs:*", "NotResource": "arn:aws:sqs:*:*:mine"}],
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:1:theirs",
        {},
        False,
    ),
]


@pytest.mark.parametrize(
    ("statements", "action", "resource", "context", "allowed"),
    [case[1:] for case in IDENTITY_CASES],
    ids=[case[0] for case in IDENTITY_CASES],
)
def test_identity_policy(
    statements: list[dict[str, Any]], action: str, resource: str, context: Context, allowed: bool
) -> None:
    assert decide(statements, action, resource, context) is allowed


# ---------------------------------------------------------------- condition operators

VIA_SQS = {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}
CONDITION_CASES: list[tuple[str, dict[str, Any], Context, bool]] = [
    ("StringEquals matches", {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}, VIA_SQS, True),
    (
        "StringEquals is case-sensitive",
        {"StringEquals": {"kms:ViaService": "SQS.us-east-1.amazonaws.com"}},
        VIA_SQS,
        False,
    ),
    (
        "StringEqualsIgnoreCase",
        {"StringEqualsIgnoreCase": {"kms:ViaService": "SQS.us-east-1.amazonaws.com"}},
        VIA_SQS,
        True,
    ),
    ("missing key: positive operator is false", {"StringEquals": {"aws:SourceAccount": "111122223333"}}, {}, False),
    ("missing key: negated operator is true", {"StringNotEquals": {"aws:SourceAccount": "111122223333"}}, {}, True),
    ("missing key: ArnNotLike is true", {"ArnNotLike": {"aws:SourceArn": "arn:aws:events:*:*:rule/x"}}, {}, True),
    ("IfExists: missing key is true", {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}, {}, True),
    (
        "IfExists: present key is checked",
        {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}},
        {"aws:SourceAccount": "444455556666"},
        False,
    ),
    (
        "values of one key OR",
        {"StringEquals": {"aws:SourceAccount": ["1", "111122223333"]}},
        {"aws:SourceAccount": "111122223333"},
        True,
    ),
    (
        "negated values NOR",
        {"StringNotEquals": {"aws:SourceAccount": ["1", "111122223333"]}},
        {"aws:SourceAccount": "111122223333"},
        False,
    ),
    ("keys of one operator AND", {"StringEquals": {"a:x": "1", "a:y": "2"}}, {"a:x": "1", "a:y": "3"}, False),
    ("operators AND", {"StringEquals": {"a:x": "1"}, "StringLike": {"a:y": "2*"}}, {"a:x": "1", "a:y": "20"}, True),
    ("StringLike wildcard", {"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/ada/x"}, True),
    ("StringNotLike", {"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "etc/x"}, True),
    (
        "ArnLike per ARN part",
        {"ArnLike": {"aws:SourceArn": "arn:aws:scheduler:*:111122223333:schedule-group/g"}},
        {"aws:SourceArn": "arn:aws:scheduler:us-east-1:111122223333:schedule-group/g"},
        True,
    ),
    (
        "ArnLike: * does not cross a colon",
        {"ArnLike": {"aws:SourceArn": "arn:aws:*:111122223333:x"}},
        {"aws:SourceArn": "arn:aws:sqs:us-east-1:111122223333:x"},
        False,
    ),
    (
        "ArnEquals exact",
        {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/bus/r"}},
        {"aws:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/bus/r"},
        True,
    ),
    ("Bool true", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
    ("Bool JSON literal", {"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "true"}, False),
    ("NumericLessThan", {"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "9"}, True),
    ("NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "9"}, False),
    (
        "DateLessThan ISO",
        {"DateLessThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"}},
        {"aws:CurrentTime": "2020-03-31T23:59:59Z"},
        True,
    ),
    (
        "DateGreaterThan epoch",
        {"DateGreaterThan": {"aws:EpochTime": "1585699200"}},
        {"aws:EpochTime": "2020-04-01T00:00:01Z"},
        True,
    ),
    ("IpAddress CIDR", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ("NotIpAddress", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    ("Null true: key absent", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    ("Null false: key present", {"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "x"}, True),
    ("Null true, key present", {"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "x"}, False),
    (
        "ForAllValues: every value listed",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ("a",)},
        True,
    ),
    (
        "ForAllValues: one value not listed",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ("a", "c")},
        False,
    ),
    ("ForAllValues: missing key is true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, True),
    (
        "ForAnyValue: one value listed",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}},
        {"aws:TagKeys": ("c", "a")},
        True,
    ),
    ("ForAnyValue: missing key is false", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
]


@pytest.mark.parametrize(
    ("condition", "context", "allowed"),
    [case[1:] for case in CONDITION_CASES],
    ids=[case[0] for case in CONDITION_CASES],
)
def test_condition_operator(condition: dict[str, Any], context: Context, allowed: bool) -> None:
    assert (
        decide([allow("kms:Decrypt", Condition=condition)], "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k", context)
        is allowed
    )


# ---------------------------------------------------------------- resource policies and principals

QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"


def test_resource_policy_alone_grants_a_named_role() -> None:
    queue_policy = Policy.parse("queue", doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": ROLE.name})))
    assert authorize(Request(ROLE, "sqs:SendMessage", QUEUE), [], queue_policy).allowed
    assert not authorize(Request(OTHER_ROLE, "sqs:SendMessage", QUEUE), [], queue_policy).allowed


def test_resource_policy_naming_the_session_arn_grants() -> None:
    queue_policy = Policy.parse("queue", doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": [ROLE.arn]})))
    assert authorize(Request(ROLE, "sqs:SendMessage", QUEUE), [], queue_policy).allowed


def test_account_principal_delegates_to_identity_policies() -> None:
    key_policy = Policy.parse("key", doc(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})))
    identity = Policy.parse("role", doc(allow("kms:Decrypt", "*")))
    request = Request(ROLE, "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k")
    assert not authorize(request, [], key_policy, resource_policy_required=True).allowed
    assert authorize(request, [identity], key_policy, resource_policy_required=True).allowed


def test_key_policy_is_required_for_kms() -> None:
    identity = Policy.parse("role", doc(allow("kms:Decrypt", "*")))
    key_policy = Policy.parse("key", doc(allow("kms:*", "*", Principal={"AWS": "arn:aws:iam::999999999999:root"})))
    decision = authorize(Request(ROLE, "kms:Decrypt", "k"), [identity], key_policy, resource_policy_required=True)
    assert not decision.allowed
    assert decision.reason == "because no resource-based policy allows the kms:Decrypt action"


def test_deny_in_resource_policy_wins() -> None:
    identity = Policy.parse("role", doc(allow("sqs:*", "*")))
    queue_policy = Policy.parse("queue", doc(deny("sqs:SendMessage", QUEUE, Principal="*")))
    decision = authorize(Request(ROLE, "sqs:SendMessage", QUEUE), [identity], queue_policy)
    assert (decision.allowed, decision.reason) == (False, "with an explicit deny in a resource-based policy")


def test_not_principal_covers_everyone_else() -> None:
    queue_policy = Policy.parse("queue", doc(deny("sqs:*", QUEUE, NotPrincipal={"AWS": ROLE.name})))
    identity = Policy.parse("role", doc(allow("sqs:*", "*")))
    assert authorize(Request(ROLE, "sqs:SendMessage", QUEUE), [identity], queue_policy).allowed
    assert not authorize(Request(OTHER_ROLE, "sqs:SendMessage", QUEUE), [identity], queue_policy).allowed


TRUST = doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": "scheduler.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/g"},
        },
    }
)


@pytest.mark.parametrize(
    ("principal", "context", "allowed"),
    [
        (
            "scheduler.amazonaws.com",
            {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/g"},
            True,
        ),
        (
            "scheduler.amazonaws.com",
            {"aws:SourceArn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/g"},
            False,
        ),
        (
            "scheduler.amazonaws.com",
            {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/h"},
            False,
        ),
        (
            "events.amazonaws.com",
            {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/g"},
            False,
        ),
    ],
    ids=["service with both keys", "no aws:SourceAccount", "other group", "other service"],
)
def test_trust_policy(principal: str, context: Context, allowed: bool) -> None:
    trust = Policy.parse("trust", TRUST)
    request = Request(Principal.service(principal), "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/r", context)
    assert authorize(request, [], trust).allowed is allowed


def test_denial_message_names_the_assumed_role_session() -> None:
    request = Request(ROLE, "dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t")
    decision = authorize(request, [Policy.parse("role", doc(allow("dynamodb:PutItem", "*")))])
    assert decision.message(request) == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app/s1 is not authorized to perform: dynamodb:GetItem "
        f"on resource: arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t "
        "because no identity-based policy allows the dynamodb:GetItem action"
    )
    explicit = authorize(request, [Policy.parse("role", doc(allow("*"), deny("dynamodb:*")))])
    assert explicit.reason == "with an explicit deny in an identity-based policy"


def test_granting_statements_are_reported() -> None:
    policy = Policy.parse("role", doc({**allow("sqs:SendMessage"), "Sid": "Send"}, {**allow("sqs:*"), "Sid": "All"}))
    assert authorize(Request(ROLE, "sqs:SendMessage", QUEUE), [policy]).granted_by == (
        ("role", "Send"),
        ("role", "All"),
    )
    assert not authorize(Request(ROLE, "sqs:SendMessage", QUEUE), [policy.without(0).without(0)]).allowed


@pytest.mark.parametrize(
    "document",
    [
        {"Version": "2008-10-17", "Statement": [allow("s3:*")]},
        doc({"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}),
        doc(allow("s3:*", Condition={"StringSorta": {"a:b": "c"}})),
        doc(allow("s3:*", "arn:aws:s3:::bucket/${aws:username}/*")),
        doc({"Effect": "Allow", "Resource": "*"}),
        doc({**allow("s3:*"), "Surprise": 1}),
    ],
    ids=["old version", "bad effect", "unknown operator", "policy variable", "no action", "unknown element"],
)
def test_what_cannot_be_decided_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        Policy.parse("p", document)
