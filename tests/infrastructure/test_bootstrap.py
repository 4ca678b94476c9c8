"""terraform/bootstrap: the GitHub roles, the state and artifact buckets, and what cartship needs.

The roles' S3 statements are checked against the calls cartship really makes on moto's S3.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cartprovider.authorization import LOG_DELIVERY
from cartship.promote import enter, promote
from cartship.publish import publish
from cartship.release import Release
from cartship.status import status
from cartship.store import ArtifactStore
from tests.helpers.paths import ROOT
from tests.helpers.shipping import (
    BUCKET,
    COMMIT,
)
from tests.helpers.terraform import load_hcl

BOOTSTRAP = ROOT / "terraform" / "bootstrap"


def bootstrap_blocks(kind: str) -> dict[str, dict[str, Any]]:
    """``{"<type>.<name>": body}`` of every ``kind`` ("resource"/"data") block in terraform/bootstrap."""
    blocks: dict[str, dict[str, Any]] = {}
    for path in sorted(BOOTSTRAP.glob("*.tf")):
        for block in load_hcl(path).get(kind, []):
            for block_type, named in block.items():
                blocks.update({f"{block_type}.{name}": body for name, body in named.items()})
    return blocks


def test_github_roles_trust_exactly_one_repository_and_environment_or_ref() -> None:
    trust = bootstrap_blocks("data")["aws_iam_policy_document.github_trust"]
    for_each = trust["for_each"]
    assert '"repo:${var.github_repository}:environment:${env}"' in for_each
    assert '"repo:${var.github_repository}:ref:${var.publish_ref}"' in for_each
    [statement] = trust["statement"]
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
    assert conditions == {
        "${local.github_oidc_host}:aud": ("StringEquals", ["sts.amazonaws.com"]),
        "${local.github_oidc_host}:sub": ("StringEquals", ["${each.value}"]),
    }
    resources = bootstrap_blocks("resource")
    assert resources["aws_iam_role.deploy"]["for_each"] == "${toset(var.environments)}"
    assert 'github_trust["deploy-${each.key}"]' in resources["aws_iam_role.deploy"]["assume_role_policy"]
    assert 'github_trust["publish"]' in resources["aws_iam_role.publish"]["assume_role_policy"]


def test_every_role_statement_names_its_resources() -> None:
    data = bootstrap_blocks("data")
    for name in ("publish", "deploy_shipping", "deploy_stack"):
        for statement in data[f"aws_iam_policy_document.{name}"]["statement"]:
            assert statement.get("effect", "Allow") == "Allow"
            assert statement["resources"], f"{name}.{statement['sid']} names no resource"
            # Only actions AWS gives no resource to name may use "*", and then only narrowed.
            if "*" in statement["resources"]:
                assert statement["resources"] == ["*"]
                narrowed_by = {condition["variable"] for condition in statement["condition"]}
                assert "aws:RequestedRegion" in narrowed_by, f"{name}.{statement['sid']}: * in every region"
                assert set(statement["actions"]) <= {
                    "kms:CreateKey",
                    "kms:TagResource",
                    "kms:ListAliases",
                    "lambda:CreateEventSourceMapping",
                    "cognito-idp:CreateUserPool",
                    # An HTTP API stage's access logging: CloudWatch Logs log delivery, as the caller.
                    *LOG_DELIVERY,
                }
    writes = {
        statement["sid"]: statement["resources"]
        for statement in data["aws_iam_policy_document.deploy_shipping"]["statement"]
        if "s3:PutObject" in statement["actions"]
    }
    assert writes == {
        "OwnStateAndLock": ["${local.state_arn}/${var.name_prefix}/${each.key}/*"],
        "WriteOnlyOwnPointer": ["${local.artifacts_arn}/environments/${each.key}.json"],
    }


def test_state_and_artifact_buckets_are_versioned_encrypted_private_and_tls_only() -> None:
    resources = bootstrap_blocks("resource")
    assert resources["aws_s3_bucket.this"]["for_each"] == "${local.buckets}"
    for companion in (
        "versioning",
        "server_side_encryption_configuration",
        "public_access_block",
        "ownership_controls",
        "policy",
        "lifecycle_configuration",
        "logging",
    ):
        assert resources[f"aws_s3_bucket_{companion}.this"]["for_each"] == "${aws_s3_bucket.this}", companion
    assert resources["aws_s3_bucket_versioning.this"]["versioning_configuration"][0]["status"] == "Enabled"
    [rule] = resources["aws_s3_bucket_server_side_encryption_configuration.this"]["rule"]
    assert rule["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    access_block = resources["aws_s3_bucket_public_access_block.this"]
    assert all(
        access_block[flag] is True
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert resources["aws_s3_bucket_ownership_controls.this"]["rule"][0]["object_ownership"] == "BucketOwnerEnforced"
    tls = {s["sid"]: s for s in bootstrap_blocks("data")["aws_iam_policy_document.tls_only"]["statement"]}
    assert tls["DenyInsecureTransport"]["effect"] == "Deny"
    assert tls["DenyInsecureTransport"]["condition"][0]["variable"] == "aws:SecureTransport"
    assert tls["DenyTlsOlderThan12"]["condition"][0]["values"] == ["1.2"]
    assert resources["aws_kms_key.this"]["enable_key_rotation"] is True


def test_bootstrap_variables_are_typed_and_described() -> None:
    variables = load_hcl(BOOTSTRAP / "variables.tf")["variable"]
    for block in variables:
        for name, body in block.items():
            assert body.get("description"), name
            assert body.get("type"), name


def role_statements(document: str, environment: str) -> list[tuple[set[str], list[str]]]:
    """(actions, resource patterns) of one bootstrap policy document, for the test bucket and ``environment``."""
    statements = bootstrap_blocks("data")[f"aws_iam_policy_document.{document}"]["statement"]
    names = {
        "${local.artifacts_arn}": f"arn:aws:s3:::{BUCKET}",
        "${each.key}": environment,
        "${var.name_prefix}": "cartflow",
    }

    def resolve(template: str) -> str:
        for name, value in names.items():
            template = template.replace(name, value)
        return template

    return [(set(statement["actions"]), [resolve(t) for t in statement["resources"]]) for statement in statements]


def s3_actions_of(run: Callable[[ArtifactStore], object], s3: Any) -> set[tuple[str, str]]:
    """The (IAM action, object ARN) pairs ``run`` needs, recorded from the S3 calls it makes."""
    needed: set[tuple[str, str]] = set()
    action_of = {"GetObject": "s3:GetObject", "HeadObject": "s3:GetObject", "PutObject": "s3:PutObject"}

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        action = action_of[model.name]
        if params.get("VersionId"):
            action = "s3:GetObjectVersion"
        needed.add((action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"))

    # provide-client-params sees the API parameters (Bucket, Key, VersionId) before serialisation.
    s3.meta.events.register("provide-client-params.s3", record)
    try:
        run(ArtifactStore(s3, BUCKET))
    finally:
        s3.meta.events.unregister("provide-client-params.s3", record)
    return needed


def allowed(needed: set[tuple[str, str]], statements: list[tuple[set[str], list[str]]]) -> set[tuple[str, str]]:
    """The needed pairs no statement allows."""
    return {
        (action, arn)
        for action, arn in needed
        if not any(
            action in actions and any(fnmatch.fnmatchcase(arn, p) for p in resources)
            for actions, resources in statements
        )
    }


def test_each_bootstrap_role_allows_the_s3_calls_its_cartship_commands_make(s3: Any, dist: Path) -> None:
    releases: list[Release] = []
    published_release = s3_actions_of(lambda store: releases.append(publish(store, dist, COMMIT, "now", [])), s3)
    release_id = releases[0].release_id
    entered = s3_actions_of(lambda store: enter(store, "dev", release_id, "test"), s3)
    promoted = s3_actions_of(lambda store: promote(store, "dev", "staging", "test"), s3)
    reported = s3_actions_of(lambda store: status(store, "staging", verify=True), s3)

    assert allowed(published_release, role_statements("publish", "dev")) == set()
    assert allowed(entered, role_statements("deploy_shipping", "dev")) == set()
    assert allowed(promoted | reported, role_statements("deploy_shipping", "staging")) == set()
    # And no more: staging's role may not move dev, nor may the publisher move any environment.
    assert allowed(entered, role_statements("deploy_shipping", "staging")) == {
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/environments/dev.json")
    }
    assert allowed(entered, role_statements("publish", "dev")) >= {
        ("s3:PutObject", f"arn:aws:s3:::{BUCKET}/environments/dev.json")
    }


def test_the_repository_is_documented_as_compared_case_sensitively_where_it_is_set() -> None:
    """The trust compares the token's `sub` with StringEquals, which is case-sensitive, and GitHub
    writes the owner and name in `sub` as GitHub spells them: `acme/CartFlow` typed as
    `acme/cartflow` denies every role assumption. Where the value is set, the docs say so."""
    trust = bootstrap_blocks("data")["aws_iam_policy_document.github_trust"]
    tests = {c["variable"]: c["test"] for c in trust["statement"][0]["condition"]}
    assert tests["${local.github_oidc_host}:sub"] == "StringEquals"
    [variable] = [
        v["github_repository"] for v in load_hcl(BOOTSTRAP / "variables.tf")["variable"] if "github_repository" in v
    ]
    places = {
        "variables.tf description": variable["description"],
        "terraform/bootstrap/README.md": (BOOTSTRAP / "README.md").read_text(),
        "docs/shipping.md": (ROOT / "docs" / "shipping.md").read_text(),
    }
    for where, text in places.items():
        assert re.search(r"case[- ]sensitive", " ".join(text.split()), re.I), where
