"""The least-privilege report removes exactly one statement per run, from the policy it names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cartlocal.iam.least_privilege import BEGIN, END, Measured, merged, statements, table, without


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


def test_a_partial_run_rewrites_its_policies_rows_and_keeps_the_others(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    measured_before = [Measured(label, sid, ("x",), 1) for label, _, _, sid in statements(outputs())]
    old = [*measured_before, Measured("function f", "Gone", (), 0)]
    document.write_text(f"before\n{BEGIN}\n{table(old)}\n{END}\nafter\n", encoding="utf-8")
    fresh = [Measured("function f", "A", (), 0), Measured("function f", "B", ("y", "z"), 2)]

    rows = merged(document, fresh, outputs())

    assert [(m.policy, m.sid) for m in rows] == [(label, sid) for label, _, _, sid in statements(outputs())]
    assert rows[:2] == fresh
    assert rows[2:] == measured_before[2:]


def test_a_partial_run_refuses_a_table_without_a_row_for_another_policy(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text(f"{BEGIN}\n{table([])}\n{END}\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="measure that policy too"):
        merged(document, [Measured("function f", "A", (), 0)], outputs())
