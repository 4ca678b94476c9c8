"""Bounces and complaints: the stack's SES configuration set suppresses bounced and complaining
recipients and sends SES's email events to the stack's bus (send_reminder names the set: its tests)."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern

from cartflow import contract
from tests.helpers.terraform import COMPOSITION, blocks, evaluate_contract

RESOURCES = {(kind, name): body for kind, name, body in blocks(COMPOSITION, "resource")}


def test_terraform_suppresses_bounces_and_complaints_and_forwards_the_events_to_the_stack_bus() -> None:
    [suppression] = RESOURCES["aws_sesv2_configuration_set", "reminders"]["suppression_options"]
    assert sorted(suppression["suppressed_reasons"]) == ["BOUNCE", "COMPLAINT"]
    [destination] = RESOURCES["aws_sesv2_configuration_set_event_destination", "bus"]["event_destination"]
    assert {"BOUNCE", "COMPLAINT"} <= set(destination["matching_event_types"])
    # SES publishes to the default bus only; a rule there forwards this set's events.
    [bridge] = destination["event_bridge_destination"]
    assert bridge["event_bus_arn"].endswith(":event-bus/default")
    forward = RESOURCES["aws_cloudwatch_event_rule", "ses_events"]
    assert "event_bus_name" not in forward
    assert '"ses:configuration-set" = [local.names.ses_configuration]' in forward["event_pattern"]
    target = RESOURCES["aws_cloudwatch_event_target", "ses_events"]
    assert target["arn"] == "${aws_cloudwatch_event_bus.this.arn}"
    assert target["role_arn"] == "${aws_iam_role.ses_events.arn}"
    role = RESOURCES["aws_iam_role", "ses_events"]
    assert role["assume_role_policy"] == "${module.contract.trust_policies.ses_events_role}"
    assert RESOURCES["aws_iam_role_policy", "ses_events"]["policy"] == "${module.contract.ses_events_role_policy}"


def test_only_the_forwarding_rule_may_assume_its_role_which_may_only_put_on_the_stack_bus() -> None:
    outputs = evaluate_contract()
    [trust] = json.loads(outputs["trust_policies"]["ses_events_role"])["Statement"]
    rule = f"arn:aws:events:eu-west-1:123456789012:rule/{outputs['names']['ses_events_rule']}"
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"]["ArnEquals"] == {"aws:SourceArn": rule}
    [allowed] = json.loads(outputs["ses_events_role_policy"])["Statement"]
    assert (allowed["Action"], allowed["Resource"]) == ("events:PutEvents", outputs["arns"]["event_bus"])


# What the configuration set's event destination publishes (matching_event_types), by detail-type.
FORWARDED = {"BOUNCE": "Email Bounced", "COMPLAINT": "Email Complaint Received", "REJECT": "Email Rejected"}
FORWARDED["DELIVERY"] = "Email Delivered"


def test_every_email_event_forwarded_to_the_stack_bus_is_kept_by_its_archive() -> None:
    """An event on a bus that no rule and no archive matches is dropped: the SES events the stack
    forwards are kept by the stack's archive (what it replays and what an operator reads back)."""
    [destination] = RESOURCES["aws_sesv2_configuration_set_event_destination", "bus"]["event_destination"]
    assert set(destination["matching_event_types"]) == set(FORWARDED)
    assert (
        RESOURCES["aws_cloudwatch_event_archive", "this"]["event_pattern"] == "${module.contract.archive_event_pattern}"
    )
    configuration_set = evaluate_contract()["names"]["ses_configuration"]
    # The forwarding rule's pattern, as ses.tf writes it (tests/local/test_mailboxes.py holds the local copy to it).
    forwarded = EventPattern.load(
        json.dumps(
            {"source": ["aws.ses"], "detail": {"mail": {"tags": {"ses:configuration-set": [configuration_set]}}}}
        )
    )
    archived = EventPattern.load(json.dumps(contract.stack()["bus"]["archive_event_pattern"]))
    for detail_type in FORWARDED.values():
        event: Any = {
            "source": "aws.ses",
            "detail-type": detail_type,
            "detail": {"mail": {"tags": {"ses:configuration-set": [configuration_set]}}},
        }
        assert forwarded.matches_event(event), detail_type
        assert archived.matches_event(event), f"{detail_type}: forwarded to the stack bus, kept by nothing"
