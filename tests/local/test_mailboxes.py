"""The local SES delivery: who is delivered, who bounces, who is suppressed; and where SES events go."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3

from cartlocal.local_aws.provision import Stack
from cartlocal.pollers.mailboxes import Mailboxes, bounce_detail
from tests.helpers.terraform import COMPOSITION, blocks

RESOURCES = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}


def sub_types(mailboxes: Mailboxes, recipient: str, times: int) -> list[str]:
    """The bounce sub-type of each of ``times`` sends to ``recipient`` ("" when delivered)."""
    return [mailboxes.deliver(recipient).bounce_sub_type for _ in range(times)]


def test_an_address_without_a_mail_server_bounces_once_then_is_suppressed() -> None:
    mailboxes = Mailboxes()
    assert sub_types(mailboxes, "Gone@Mailbox.invalid", 3) == [
        "General",
        "OnAccountSuppressionList",
        "OnAccountSuppressionList",
    ]
    assert mailboxes.suppressed == {"gone@mailbox.invalid"}


def test_the_simulator_bounce_address_bounces_every_time_and_is_never_suppressed() -> None:
    mailboxes = Mailboxes()
    assert sub_types(mailboxes, "bounce@simulator.amazonses.com", 2) == ["General", "General"]
    assert sub_types(mailboxes, "bounce+label@simulator.amazonses.com", 1) == ["General"]
    assert mailboxes.suppressed == frozenset()


def test_the_simulator_suppression_list_address_bounces_as_suppressed() -> None:
    mailboxes = Mailboxes()
    assert sub_types(mailboxes, "suppressionlist@simulator.amazonses.com", 1) == ["OnAccountSuppressionList"]
    assert mailboxes.suppressed == frozenset()


def test_anyone_else_is_delivered_even_after_others_bounced() -> None:
    mailboxes = Mailboxes()
    mailboxes.deliver("gone@mailbox.invalid")
    fates = [mailboxes.deliver(address) for address in ("ada@example.com", "success@simulator.amazonses.com")]
    assert [fate.delivered for fate in fates] == [True, True]


def test_the_bounce_names_the_recipient_the_message_and_the_configuration_set() -> None:
    fate = Mailboxes().deliver("gone@mailbox.invalid")
    message = {"id": "m-1", "source": "reminders@example.com"}
    detail = bounce_detail(message, fate, "cartflow-reminders", "123456789012")
    assert detail["bounce"]["bouncedRecipients"] == [
        {
            "emailAddress": "gone@mailbox.invalid",
            "action": "failed",
            "status": "5.1.1",
            "diagnosticCode": "smtp; 550 5.1.1 user unknown",
        }
    ]
    assert detail["mail"]["messageId"] == "m-1"
    assert detail["mail"]["destination"] == ["gone@mailbox.invalid"]
    assert detail["mail"]["tags"] == {"ses:configuration-set": ["cartflow-reminders"]}
    assert detail["bounce"]["timestamp"].endswith("Z")


def hcl_json(expression: str, references: dict[str, str]) -> Any:
    """The value of Terraform's ``jsonencode({...})`` of literals, with ``references`` substituted."""
    body = expression.removeprefix("${jsonencode(").removesuffix(")}")
    for reference, value in references.items():
        body = body.replace(reference, json.dumps(value))
    return json.loads(re.sub(r'(\w+|"[^"]+") =', lambda key: f'"{key.group(1).strip(chr(34))}":', body))


def test_the_local_forwarding_rule_is_terraforms(shared_stack: Stack) -> None:
    """SES's events reach the stack's bus by the same default-bus rule locally as in AWS."""
    configuration_set = shared_stack.settings["SES_CONFIGURATION_SET"]
    terraform = RESOURCES["aws_cloudwatch_event_rule", "ses_events"]["event_pattern"]
    expected = hcl_json(terraform, {"local.names.ses_configuration": configuration_set})
    rule = boto3.client("events").describe_rule(Name=f"{shared_stack.name}-ses-events")
    assert json.loads(rule["EventPattern"]) == expected
    assert "event_bus_name" not in RESOURCES["aws_cloudwatch_event_rule", "ses_events"]  # the default bus
    [target] = boto3.client("events").list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == shared_stack.settings["EVENT_BUS_ARN"]
