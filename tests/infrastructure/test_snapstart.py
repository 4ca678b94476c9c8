"""SnapStart per environment: versions are published and every trigger invokes the functions' alias.

SnapStart restores only published versions, so an event source mapping or rule target that
invoked the unqualified function would run $LATEST and never a snapshot. These tests read the
HCL (the AWS provider cannot run here) for that wiring, and check the deploy role may manage it.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.paths import ROOT
from tests.helpers.terraform import COMPOSITION, LAMBDA_MODULE, TERRAFORM, blocks, load_hcl, module_calls

ALIAS_ACTIONS = {
    "lambda:PublishVersion",
    "lambda:CreateAlias",
    "lambda:GetAlias",
    "lambda:UpdateAlias",
    "lambda:DeleteAlias",
}


def resources(directory: Path) -> dict[tuple[str, str], dict[str, object]]:
    return {(kind, name): body for kind, name, body in blocks(directory, "resource")}


def test_the_function_publishes_and_snapshots_only_with_snapstart() -> None:
    module = resources(LAMBDA_MODULE)
    function = module[("aws_lambda_function", "this")]
    assert function["publish"] == "${var.snapstart}"
    assert function["dynamic"] == [
        {
            "snap_start": {
                "for_each": '${var.snapstart ? ["PublishedVersions"] : []}',
                "content": [{"apply_on": "${snap_start.value}"}],
            }
        }
    ]
    alias = module[("aws_lambda_alias", "live")]
    assert alias["function_version"] == '${var.snapstart ? aws_lambda_function.this.version : "$LATEST"}'
    # Retries and the on-failure destination are configured per qualifier: the alias is what runs.
    assert module[("aws_lambda_function_event_invoke_config", "this")]["qualifier"] == "${aws_lambda_alias.live.name}"


def test_every_trigger_invokes_the_alias() -> None:
    composition = resources(COMPOSITION)
    mapping = composition[("aws_lambda_event_source_mapping", "queue")]
    assert mapping["function_name"] == "${module.function[each.value.consumer].alias_arn}"
    target = composition[("aws_cloudwatch_event_target", "this")]
    assert "module.function[each.value.function].alias_arn" in str(target["arn"])
    assert "function_arn" not in str(target["arn"])
    permission = composition[("aws_lambda_permission", "events")]
    assert permission["qualifier"] == "${module.function[each.value.function].alias_name}"
    assert module_calls(COMPOSITION)["function"]["snapstart"] == "${var.snapstart}"


def test_each_environment_chooses_snapstart_in_one_line() -> None:
    root = module_calls(TERRAFORM / "environments" / "root")["cartflow"]
    assert root["snapstart"] == "${var.snapstart}"
    for tfvars in sorted((TERRAFORM / "environments").glob("*/terraform.tfvars")):
        values = load_hcl(tfvars)
        assert isinstance(values.get("snapstart"), bool), f"{tfvars}: snapstart = true|false"


def test_the_deploy_role_may_publish_versions_and_manage_the_alias() -> None:
    document = load_hcl(TERRAFORM / "bootstrap" / "deploy_stack.tf")["data"][0]["aws_iam_policy_document"]
    [functions] = [s for s in document["deploy_stack"]["statement"] if s["sid"] == "Functions"]
    assert set(functions["actions"]) >= ALIAS_ACTIONS


def test_the_readme_says_old_versions_stay_unless_something_deletes_them() -> None:
    """With SnapStart each changed deploy publishes a version, and a Python version's snapshot is
    billed while the version exists. Nothing in terraform/ deletes versions (the provider's
    aws_lambda_function keeps every one it publishes), so terraform/README.md must say so and
    name the way to prune them, not promise a cache that ends by itself."""
    tree = " ".join(path.read_text() for path in sorted((ROOT / "terraform").rglob("*.tf")))
    prunes = re.search(r"DeleteFunction[^\n]*Qualifier|delete-function[^\n]*--qualifier", tree)
    readme = (ROOT / "terraform" / "README.md").read_text()
    section = readme.split("## SnapStart", 1)[1].split("\n## ", 1)[0]
    text = " ".join(section.split())
    assert "until it is no longer the newest" not in text
    if not prunes:
        assert "nothing here deletes old versions" in text
        assert "aws lambda delete-function --function-name" in text
