"""The least-privilege report removes exactly one statement per run, from the policy it names."""

from __future__ import annotations

import json
from typing import Any

from cartlocal.iam.least_privilege import statements, without


def outputs() -> dict[str, Any]:
    def doc(*sids: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": s, "Effect": "Allow"} for s in sids]})

    return {
        "function_policies": {"f": doc("A", "B")},
        "function_runtime_policies": {"f": doc("R")},
        "scheduler_role_policy": doc("S"),
        "api_role_policy": doc("P"),
        "trust_policies": {"api_role": doc("T1"), "scheduler_role": doc("T2"), "api_gateway_cloudwatch": doc("X")},
        "queue_policies": {"q": doc("Q")},
        "rule_target_dlq_policy": doc("D"),
        "kms_key_policy": doc("K1", "K2"),
        "permissions_boundary": doc("B"),
    }


def test_every_enforced_statement_is_listed_once() -> None:
    listed = [(label, sid) for label, _, _, sid in statements(outputs())]
    assert listed == [
        ("function f", "A"),
        ("function f", "B"),
        ("function f runtime", "R"),
        ("scheduler role", "S"),
        ("api role", "P"),
        ("api role trust", "T1"),
        ("scheduler role trust", "T2"),
        ("queue q", "Q"),
        ("rule-target DLQ", "D"),
        ("key policy", "K1"),
        ("key policy", "K2"),
        ("permissions boundary", "B"),
    ]


def test_without_removes_one_statement_and_leaves_an_emptied_policy_allowing_nothing() -> None:
    original = outputs()
    changed = without(original, ("kms_key_policy",), 0)
    assert [s["Sid"] for s in json.loads(changed["kms_key_policy"])["Statement"]] == ["K2"]
    assert original["kms_key_policy"] != changed["kms_key_policy"]
    emptied = json.loads(without(original, ("trust_policies", "api_role"), 0)["trust_policies"]["api_role"])
    assert [s["Effect"] for s in emptied["Statement"]] == ["Deny"]
