"""The local stack names every resource exactly as Terraform does, for the same stack name.

Both build names from the contract's templates (stack.json ``names``); this compares what each
side really produces: Terraform's evaluated contract module and the resources provisioned on moto.
"""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from cartflow import contract
from cartlocal.local_aws.provision import provision
from tests.helpers.terraform import DEPLOYMENT, evaluate_contract


def provisioned_names(stack_name: str) -> dict[str, Any]:
    """The names of what the local stack creates, keyed like the contract module's ``names``."""
    with mock_aws():
        stack = provision(name=stack_name)
        sqs = boto3.client("sqs")
        queue_names = {url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]}
        rules = {
            rule["Name"]
            for rule in boto3.client("events").list_rules(EventBusName=stack.settings["EVENT_BUS_ARN"])["Rules"]
        }
        return {
            "event_bus": stack.settings["EVENT_BUS_ARN"].rsplit("/", 1)[1],
            "schedule_group": stack.settings["SCHEDULE_GROUP"],
            "scheduler_role": stack.settings["SCHEDULER_ROLE_ARN"].rsplit("/", 1)[1],
            "scheduler_dlq": stack.settings["SCHEDULER_DLQ_ARN"].rsplit(":", 1)[1],
            "async_failure_dlq": stack.dlq_urls["async_failures"].rsplit("/", 1)[1],
            "idempotency_table": stack.settings["IDEMPOTENCY_TABLE"],
            "queues": {queue: url.rsplit("/", 1)[1] for queue, url in stack.queue_urls.items()},
            "queue_dlqs": {queue: stack.dlq_urls[queue].rsplit("/", 1)[1] for queue in contract.stack()["queues"]},
            "rules": sorted(rules),
            "all_queues": queue_names,
        }


def test_every_resource_the_local_stack_creates_has_terraforms_name() -> None:
    terraform = evaluate_contract()["names"]
    local = provisioned_names(DEPLOYMENT["name"])
    for kind in (
        "event_bus",
        "schedule_group",
        "scheduler_role",
        "scheduler_dlq",
        "async_failure_dlq",
        "idempotency_table",
    ):
        assert local[kind] == terraform[kind], kind
    assert local["queues"] == terraform["queues"]
    assert local["queue_dlqs"] == terraform["queue_dlqs"]
    assert local["rules"] == sorted(terraform["rules"].values())
    # Only the local stack's own stand-ins for Lambda targets carry names Terraform has not.
    expected_queues = {*terraform["queues"].values(), *terraform["queue_dlqs"].values()}
    expected_queues |= {terraform["scheduler_dlq"], terraform["async_failure_dlq"]}
    stand_ins = {
        f"{terraform['rules'][rule]}-delivery"
        for rule, spec in contract.stack()["rules"].items()
        if spec["target"]["type"] == "lambda"
    }
    assert local["all_queues"] == expected_queues | stand_ins


def test_a_name_needs_its_key_exactly_when_the_template_has_one() -> None:
    assert contract.resource_name("rule", "cartflow-dev", "reminder_due") == "cartflow-dev-reminder-due"
    assert contract.resource_name("event_bus", "cartflow-dev") == "cartflow-dev-bus"
