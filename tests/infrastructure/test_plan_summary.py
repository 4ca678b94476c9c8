"""The job summary approvers read lists every change of the saved plan, and only changes."""

from __future__ import annotations

import io
import json

from tools import plan_summary

PLAN = {
    "resource_changes": [
        {"address": "module.cartflow.aws_iam_role.api", "change": {"actions": ["update"]}},
        {"address": 'module.cartflow.aws_sqs_queue.this["reminders"]', "change": {"actions": ["no-op"]}},
        {"address": "module.cartflow.aws_kms_alias.this", "change": {"actions": ["delete", "create"]}},
        {"address": "module.cartflow.aws_iam_role.api_gateway_cloudwatch[0]", "change": {"actions": ["delete"]}},
        {"address": "module.cartflow.aws_cognito_user_pool.this[0]", "change": {"actions": ["create"]}},
    ],
    "output_changes": {"api_url": {"actions": ["no-op"]}},
}


def test_summary_counts_and_lists_each_change() -> None:
    text = plan_summary.summary(PLAN, "staging")
    assert (
        text.splitlines()[0] == "### Terraform plan for `staging`: 1 to create, 1 to update, 1 to replace, 1 to destroy"
    )
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert rows == [
        "| update | `module.cartflow.aws_iam_role.api` |",
        "| replace | `module.cartflow.aws_kms_alias.this` |",
        "| destroy | `module.cartflow.aws_iam_role.api_gateway_cloudwatch[0]` |",
        "| create | `module.cartflow.aws_cognito_user_pool.this[0]` |",
    ]
    assert "reminders" not in text


def test_no_changes_says_so_and_bad_input_fails() -> None:
    out = io.StringIO()
    assert plan_summary.main(["--env", "prod"], io.StringIO(json.dumps({"resource_changes": []})), out) == 0
    assert out.getvalue() == "### Terraform plan for `prod`: no changes\n\n"
    assert plan_summary.main(["--env", "prod"], io.StringIO("not json"), io.StringIO()) == 1
