"""What Terraform deploys and what the local stack provisions, in one comparable shape.

The local stack (cartlocal/local_aws/provision.py) and the Terraform root both read the contract,
so their queues, rules, targets, table and function environments should agree; this reduces each
side to the same dictionaries so a test can say exactly where they differ. The Terraform side is
the state after `apply` against the offline provider stand-in (cartprovider/runner.py keeps it);
the local side is read back from moto after `provision`.
"""

from __future__ import annotations

import json
from typing import Any

# SQS's defaults for attributes a configuration leaves unset (CreateQueue, "Attributes").
SQS_DEFAULT_VISIBILITY_TIMEOUT = 30
SQS_DEFAULT_RETENTION = 345600


def _name_of_arn(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def terraform_side(applied: dict[str, Any]) -> dict[str, Any]:
    """Queues, rules (pattern, bus, description, target), table and environments from the state."""
    queues: dict[str, Any] = {}
    rules: dict[str, Any] = {}
    targets: dict[str, str] = {}
    environments: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    for entry in applied.values():
        kind, values = entry["type"], entry["values"]
        if kind == "aws_sqs_queue":
            redrive = json.loads(values["redrive_policy"]) if values.get("redrive_policy") else None
            queues[values["name"]] = {
                "visibility_timeout": values.get("visibility_timeout_seconds") or SQS_DEFAULT_VISIBILITY_TIMEOUT,
                "retention": values.get("message_retention_seconds") or SQS_DEFAULT_RETENTION,
                "redrive": None
                if redrive is None
                else {
                    "dlq": _name_of_arn(redrive["deadLetterTargetArn"]),
                    "max_receive_count": redrive["maxReceiveCount"],
                },
                "customer_key": bool(values.get("kms_master_key_id")),
            }
        elif kind == "aws_cloudwatch_event_rule":
            rules[values["name"]] = {
                "bus": values.get("event_bus_name") or "default",
                "pattern": json.loads(values["event_pattern"]),
                "description": values.get("description") or None,
            }
        elif kind == "aws_cloudwatch_event_target":
            targets[values["rule"]] = values["arn"]
        elif kind == "aws_lambda_function":
            variables = (values.get("environment") or [{}])[0].get("variables") or {}
            environments[values["function_name"]] = dict(variables)
        elif kind == "aws_dynamodb_table":
            tables[values["name"]] = {
                "hash_key": values["hash_key"],
                "billing_mode": values.get("billing_mode"),
                "ttl": next((t["attribute_name"] for t in values.get("ttl") or [] if t.get("enabled")), None),
            }
    for rule, arn in targets.items():
        if rule in rules:
            rules[rule]["target"] = arn
    return {"queues": queues, "rules": rules, "environments": environments, "tables": tables}


def local_side(clients: Any, stack: Any, functions: dict[str, str]) -> dict[str, Any]:
    """The same shape read back from moto; ``functions`` maps contract key -> deployed name."""
    sqs, events, dynamodb = clients("sqs"), clients("events"), clients("dynamodb")
    queues: dict[str, Any] = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"]) if "RedrivePolicy" in attributes else None
        queues[url.rsplit("/", 1)[-1]] = {
            "visibility_timeout": int(attributes["VisibilityTimeout"]),
            "retention": int(attributes["MessageRetentionPeriod"]),
            "redrive": None
            if redrive is None
            else {
                "dlq": _name_of_arn(redrive["deadLetterTargetArn"]),
                "max_receive_count": int(redrive["maxReceiveCount"]),
            },
            "customer_key": "KmsMasterKeyId" in attributes,
        }
    rules: dict[str, Any] = {}
    buses = ["default", *(b["Name"] for b in events.list_event_buses()["EventBuses"] if b["Name"] != "default")]
    for bus in buses:
        for rule in events.list_rules(EventBusName=bus)["Rules"]:
            found = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
            rules[rule["Name"]] = {
                "bus": bus,
                "pattern": json.loads(rule["EventPattern"]),
                "description": rule.get("Description") or None,
                "target": found[0]["Arn"] if found else None,
            }
    tables: dict[str, Any] = {}
    for name in dynamodb.list_tables()["TableNames"]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        tables[name] = {
            "hash_key": next(k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH"),
            "billing_mode": table.get("BillingModeSummary", {}).get("BillingMode"),
            "ttl": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None,
        }
    environments = {deployed: stack.environment(key) for key, deployed in functions.items()}
    return {"queues": queues, "rules": rules, "environments": environments, "tables": tables}
