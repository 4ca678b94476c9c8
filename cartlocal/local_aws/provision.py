"""Create cartflow's AWS resources on moto from the contract (stack.json).

This is the local counterpart of the Terraform root: the same rules with the same pattern
files, the same queues with the same redrive settings, the same schedule group and table. It
returns the values of the contract's settings, which become the functions' environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from cartflow import contract

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
SENDER_EMAIL = "reminders@cartflow.example"
# Terraform keeps what lands in the stack's own dead-letter queues (scheduler, async failures)
# for SQS's maximum, 14 days (terraform/modules/cartflow/sqs.tf dead_letter_retention_seconds).
DEAD_LETTER_RETENTION_SECONDS = 1209600


@dataclass
class Stack:
    """What was provisioned: the settings handed to functions and the queues behind targets."""

    name: str
    settings: dict[str, str]
    queue_urls: dict[str, str] = field(default_factory=dict)
    dlq_urls: dict[str, str] = field(default_factory=dict)
    lambda_delivery_queues: dict[str, str] = field(default_factory=dict)

    def environment(self, function_name: str) -> dict[str, str]:
        """The environment of ``function_name``: exactly the names the contract lists for it."""
        declared = contract.function_spec(function_name)["environment"]
        defaults = contract.stack()["settings"]
        return {
            name: self.settings.get(name) or defaults[name]["default"]
            for name in declared
            if self.settings.get(name) or defaults[name]["default"] is not None
        }


def _encryption(key_arn: str | None) -> dict[str, str]:
    """A queue's encryption attributes: the stack's key where Terraform sets one, else SQS-managed."""
    if key_arn is None:
        return {"SqsManagedSseEnabled": "true"}
    return {"KmsMasterKeyId": key_arn, "KmsDataKeyReusePeriodSeconds": "300"}


def _queue(sqs: Any, name: str, attributes: dict[str, str], key_arn: str | None = None) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes={**_encryption(key_arn), **attributes})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def provision(
    name: str = "cartflow-local",
    reminder_delay_seconds: int | None = None,
    client: Callable[[str], Any] | None = None,
    key_arn: str | None = None,
) -> Stack:
    """Create every resource of the stack named ``name`` and return its settings.

    A rule whose target is a Lambda function gets an SQS delivery queue as its target instead,
    because moto cannot invoke Lambda targets: the local runtime (or a test) reads the queue and
    invokes the function with the unchanged envelope, and sends what still fails after the
    function's retries to the async-failures queue. ``client`` makes the boto3 clients
    (default ``boto3.client``; the local runtime passes one bound to its moto server). With
    ``key_arn`` every queue and the table Terraform encrypts with the stack key name that key (the
    local authorization plane then requires the KMS permissions AWS requires); the delivery
    queues, which stand in for Lambda's own asynchronous-invocation queue, stay SQS-managed.
    """
    spec = contract.stack()
    make = client or boto3.client
    events, sqs = make("events"), make("sqs")
    scheduler, dynamodb = make("scheduler"), make("dynamodb")
    iam, sesv2 = make("iam"), make("sesv2")

    bus_arn = events.create_event_bus(Name=contract.resource_name("event_bus", name))["EventBusArn"]
    # The service name is the stack's name, as terraform/modules/contract derives it.
    stack = Stack(name=name, settings={"EVENT_BUS_ARN": bus_arn, "POWERTOOLS_SERVICE_NAME": name})

    for queue_name, queue in spec["queues"].items():
        consumer_timeout = spec["functions"][queue["consumer"]]["timeout"]
        dlq_url, dlq_arn = _queue(
            sqs,
            contract.resource_name("queue_dlq", name, queue_name),
            {"MessageRetentionPeriod": str(queue["dlq_message_retention_seconds"])},
            key_arn,
        )
        url, _ = _queue(
            sqs,
            contract.resource_name("queue", name, queue_name),
            {
                "VisibilityTimeout": str(consumer_timeout * queue["visibility_timeout_per_function_timeout"]),
                "MessageRetentionPeriod": str(queue["message_retention_seconds"]),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue["max_receive_count"]}
                ),
            },
            key_arn,
        )
        stack.queue_urls[queue_name], stack.dlq_urls[queue_name] = url, dlq_url
    # send_reminder sends a reminder back to wait, or to the DLQ, itself (terraform/modules/cartflow).
    stack.settings["REMINDER_QUEUE_URL"], stack.settings["REMINDER_DLQ_URL"] = (
        stack.queue_urls["reminders"],
        stack.dlq_urls["reminders"],
    )

    dead_letter = {"MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS)}
    scheduler_dlq_url, scheduler_dlq_arn = _queue(
        sqs, contract.resource_name("scheduler_dlq", name), dead_letter, key_arn
    )
    stack.dlq_urls["scheduler"] = scheduler_dlq_url
    # The on-failure destination of every asynchronously invoked function (Terraform: async_failure_dlq).
    stack.dlq_urls["async_failures"], _ = _queue(
        sqs, contract.resource_name("async_failure_dlq", name), dead_letter, key_arn
    )
    for rule_name, rule in spec["rules"].items():
        rule_resource = contract.resource_name("rule", name, rule_name)
        events.put_rule(
            Name=rule_resource,
            EventBusName=bus_arn,
            EventPattern=json.dumps(contract.rule_pattern(rule_name)),
            Description=rule["description"],
        )
        target = rule["target"]
        if target["type"] == "sqs":
            url = stack.queue_urls[target["queue"]]
        else:
            url, _ = _queue(sqs, f"{rule_resource}-delivery", {})
            stack.lambda_delivery_queues[target["function"]] = url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_targets(Rule=rule_resource, EventBusName=bus_arn, Targets=[{"Id": rule_name, "Arn": arn}])

    group = contract.resource_name("schedule_group", name)
    scheduler.create_schedule_group(Name=group)
    role = iam.create_role(
        RoleName=contract.resource_name("scheduler_role", name),
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    table = contract.resource_name("idempotency_table", name)
    table_encryption: dict[str, Any] = {}
    if key_arn is not None:
        table_encryption["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn}
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        **table_encryption,
    )
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )
    sesv2.create_email_identity(EmailIdentity=SENDER_EMAIL)
    configuration_set = contract.resource_name("ses_configuration_set", name)
    sesv2.create_configuration_set(
        ConfigurationSetName=configuration_set, SuppressionOptions={"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}
    )
    # SES publishes the set's email events on the default bus; this rule forwards them to the stack's
    # bus, as terraform/modules/cartflow/ses.tf's ses_events rule does.
    forward = contract.resource_name("ses_events_rule", name)
    events.put_rule(
        Name=forward,
        Description=f"Email events of {configuration_set}, forwarded from the default bus to "
        f"{contract.resource_name('event_bus', name)}.",
        EventPattern=json.dumps(
            {"source": ["aws.ses"], "detail": {"mail": {"tags": {"ses:configuration-set": [configuration_set]}}}}
        ),
    )
    events.put_targets(Rule=forward, Targets=[{"Id": "stack-bus", "Arn": bus_arn}])

    stack.settings.update(
        {
            "SCHEDULE_GROUP": group,
            "SCHEDULER_ROLE_ARN": role["Role"]["Arn"],
            "SCHEDULER_DLQ_ARN": scheduler_dlq_arn,
            "IDEMPOTENCY_TABLE": table,
            "SENDER_EMAIL": SENDER_EMAIL,
            "SES_CONFIGURATION_SET": configuration_set,
        }
    )
    if reminder_delay_seconds is not None:
        stack.settings["REMINDER_DELAY_SECONDS"] = str(reminder_delay_seconds)
    return stack
