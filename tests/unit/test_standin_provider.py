"""The stand-in provider's value rules (cartprovider/model.py), without Terraform.

What the offline plan can know depends on these: computed attributes unknown on create and kept
on update, arguments that force replacement, AWS's formats at apply, data sources from context.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cartprovider import model
from cartprovider.plugin import conform, decode, encode
from cartprovider.schema import load

SCHEMA = load()
CTX: dict[str, Any] = {"region": "eu-west-1", "default_tags": {"Application": "cartflow"}}


def queue_block() -> dict[str, Any]:
    block: dict[str, Any] = SCHEMA["resource"]["aws_sqs_queue"]
    return block


def test_a_new_queue_plans_its_arn_and_url_unknown_and_its_tags_all_known() -> None:
    block = queue_block()
    config = conform({"name": "q", "tags": {"Stack": "s"}}, block)
    planned = model.plan_block(config, None, config, block, CTX, create=True, top=True)
    assert planned["arn"] is model.UNKNOWN
    assert planned["url"] is model.UNKNOWN
    assert planned["name"] == "q"
    assert planned["delay_seconds"] is None  # optional, not computed: stays null
    assert planned["region"] == "eu-west-1"
    assert planned["tags_all"] == {"Application": "cartflow", "Stack": "s"}


def test_an_update_keeps_computed_values_and_a_new_name_replaces_the_queue() -> None:
    block = queue_block()
    config = conform({"name": "q"}, block)
    created = model.apply_create(
        "aws_sqs_queue", model.plan_block(config, None, config, block, CTX, True, True), block, CTX
    )
    renamed = dict(created, name="r")
    planned = model.plan_block(conform({"name": "r"}, block), created, renamed, block, CTX, create=False, top=True)
    assert planned["arn"] == created["arn"]
    assert model.requires_replace("aws_sqs_queue", created, planned) == ["name"]
    assert model.requires_replace("aws_sqs_queue", created, dict(created, delay_seconds=5)) == []


def test_apply_fills_arns_in_aws_formats_deterministically() -> None:
    block = queue_block()
    config = conform({"name": "orders"}, block)
    planned = model.plan_block(config, None, config, block, CTX, create=True, top=True)
    state = model.apply_create("aws_sqs_queue", planned, block, CTX)
    assert state["arn"] == "arn:aws:sqs:eu-west-1:123456789012:orders"
    assert state["url"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
    assert state == model.apply_create("aws_sqs_queue", planned, block, CTX)
    key_block = SCHEMA["resource"]["aws_kms_key"]
    key = model.apply_create(
        "aws_kms_key", model.plan_block({}, None, conform({}, key_block), key_block, CTX, True, True), key_block, CTX
    )
    assert re.fullmatch(r"arn:aws:kms:eu-west-1:123456789012:key/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", key["arn"])
    assert model.UNKNOWN not in json.loads(json.dumps(key, default=repr)).values()


def test_a_name_prefix_generates_the_name() -> None:
    block = SCHEMA["resource"]["aws_iam_role"]
    config = conform({"name_prefix": "cartflow-", "assume_role_policy": "{}"}, block)
    planned = model.plan_block(config, None, config, block, CTX, create=True, top=True)
    assert planned["name"] is model.UNKNOWN
    state = model.apply_create("aws_iam_role", planned, block, CTX)
    assert re.fullmatch(r"cartflow-\d{26}", state["name"])
    assert state["arn"] == f"arn:aws:iam::123456789012:role/{state['name']}"


def test_policy_documents_render_single_values_as_strings() -> None:
    config = {
        "statement": [
            {
                "sid": "TlsOnly",
                "effect": "Deny",
                "actions": ["s3:*"],
                "resources": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "principals": [{"type": "*", "identifiers": ["*"]}],
                "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
            }
        ]
    }
    document = json.loads(model.read_data("aws_iam_policy_document", config, CTX)["json"])
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def test_data_sources_answer_from_the_context() -> None:
    assert model.read_data("aws_caller_identity", {}, CTX)["account_id"] == "123456789012"
    assert model.read_data("aws_partition", {}, CTX)["partition"] == "aws"
    assert model.read_data("aws_region", {}, CTX)["name"] == "eu-west-1"


def test_protected_tables_and_user_pools_refuse_deletion() -> None:
    assert model.delete_refusal("aws_dynamodb_table", {"name": "t", "deletion_protection_enabled": True})
    assert model.delete_refusal("aws_dynamodb_table", {"name": "t", "deletion_protection_enabled": False}) is None
    assert model.delete_refusal("aws_cognito_user_pool", {"id": "p", "deletion_protection": "ACTIVE"})


def test_unknown_values_cross_the_wire_as_cty_unknowns() -> None:
    value = {"arn": model.UNKNOWN, "tags": {"a": "b"}, "n": 3}
    assert decode(encode(value)) == value
