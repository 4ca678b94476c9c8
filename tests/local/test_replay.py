"""make replay: a window of the archive into chosen rules, on AWS (StartReplay) and locally (the tap's archive)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from cartflow import contract
from cartflow.timestamps import format_timestamp
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, Stack
from cartlocal.pollers.bus_tap import BusTap
from cartlocal.timeline import Timeline
from cartops import replay
from tests.helpers.aws import drain
from tests.helpers.events import cart_detail

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def envelope(detail_type: str, at: datetime, **fields: Any) -> dict[str, Any]:
    entry = contract.event_type(detail_type)
    return {
        "version": "0",
        "id": f"e-{detail_type}-{at:%H%M%S}",
        "source": entry["source"],
        "detail-type": detail_type,
        "account": ACCOUNT_ID,
        "time": format_timestamp(at),
        "region": REGION,
        "resources": [],
        "detail": cart_detail(detail_type, occurred_at=format_timestamp(at), **fields),
    }


def test_rules_are_the_contracts_and_a_window_must_be_ordered_and_recent() -> None:
    assert replay.chosen_rules(None) == list(contract.stack()["rules"])
    assert replay.chosen_rules("cancel_reminders, schedule_reminder") == ["cancel_reminders", "schedule_reminder"]
    with pytest.raises(replay.ReplayError, match="unknown rule"):
        replay.chosen_rules("schedule-reminder")
    with pytest.raises(replay.ReplayError, match="is not before"):
        replay.window("2030-01-01T11:00:00Z", "2030-01-01T10:00:00Z", NOW)
    too_old = NOW - timedelta(seconds=replay.RECORDS_SECONDS + 60)
    with pytest.raises(replay.ReplayError, match="could remind again"):
        replay.window(format_timestamp(too_old), "2030-01-01T10:00:00Z", NOW)


def test_the_local_replay_delivers_the_windows_events_to_the_chosen_rules_only(stack: Stack, tmp_path: Path) -> None:
    archive = tmp_path / "archive.jsonl"
    start = NOW - timedelta(hours=1)
    events = [
        envelope("ItemAddedToCart", start + timedelta(minutes=1), user="ada", product="p1"),
        envelope("ItemRemovedFromCart", start + timedelta(minutes=2), user="ada", product="p1"),
        envelope("ItemAddedToCart", start + timedelta(hours=2), user="ada", product="p2"),  # after the window
    ]
    archive.write_text("".join(json.dumps(event) + "\n" for event in events))
    sqs = boto3.client("sqs")
    only_adds = replay.Replay("r-1", stack.name, start, NOW, ["schedule_reminder"])

    assert replay.replay_locally(sqs, archive, only_adds) == {"schedule_reminder": 1}
    [delivered] = [json.loads(m["Body"]) for m in drain(stack.lambda_delivery_queues["schedule_reminder"])]
    assert delivered == {**events[0], "replay-name": "r-1"}
    assert drain(stack.lambda_delivery_queues["cancel_reminders"]) == []

    everything = replay.Replay("r-2", stack.name, start, NOW, replay.chosen_rules(None))
    assert replay.replay_locally(sqs, archive, everything) == {"schedule_reminder": 1, "cancel_reminders": 1}


def test_on_aws_the_replay_names_the_archive_bus_and_rules_terraform_creates(stack: Stack) -> None:
    events = boto3.client("events")
    bus = stack.settings["EVENT_BUS_ARN"]
    archive_name = contract.resource_name("event_archive", stack.name)
    events.create_archive(ArchiveName=archive_name, EventSourceArn=bus)
    sent: dict[str, Any] = {}
    events.meta.events.register("provide-client-params.events.StartReplay", lambda params, **_: sent.update(params))
    chosen = replay.Replay("r-aws", stack.name, NOW - timedelta(hours=1), NOW, ["schedule_reminder"])

    described = replay.replay_on_aws(events, chosen, f"arn:aws:events:{REGION}:{ACCOUNT_ID}")

    assert described["State"] == "COMPLETED"
    assert sent["EventSourceArn"] == events.describe_archive(ArchiveName=archive_name)["ArchiveArn"]
    assert sent["Destination"]["Arn"] == bus
    rule = contract.resource_name("rule", stack.name, "schedule_reminder")
    assert sent["Destination"]["FilterArns"] == [events.describe_rule(Name=rule, EventBusName=bus)["Arn"]]


def test_the_tap_keeps_the_archive_but_never_archives_a_replayed_event(stack: Stack, tmp_path: Path) -> None:
    archive = tmp_path / "local" / "archive.jsonl"
    sqs, events = boto3.client("sqs"), boto3.client("events")
    tap = BusTap("cartflow-test", stack.settings["EVENT_BUS_ARN"], events, sqs, Timeline(), archive=archive)
    detail = cart_detail("CartCheckedOut", user="ada")
    events.put_events(
        Entries=[
            {
                "EventBusName": stack.settings["EVENT_BUS_ARN"],
                "Source": "cartflow.cart",
                "DetailType": "CartCheckedOut",
                "Detail": json.dumps(detail),
            }
        ]
    )
    sqs.send_message(QueueUrl=tap.url, MessageBody=json.dumps({**envelope("CartCheckedOut", NOW), "replay-name": "r"}))
    while tap.step(wait_seconds=0):
        pass
    [archived] = [json.loads(line) for line in archive.read_text().splitlines()]
    assert archived["detail"] == detail


def test_the_tap_archives_an_event_its_queue_delivers_twice_once(stack: Stack, tmp_path: Path) -> None:
    """The tap's queue delivers at least once; the archive, like AWS's, holds each event once."""
    archive = tmp_path / "local" / "archive.jsonl"
    sqs, events = boto3.client("sqs"), boto3.client("events")
    tap = BusTap("cartflow-test", stack.settings["EVENT_BUS_ARN"], events, sqs, Timeline(), archive=archive)
    event = envelope("CartCheckedOut", NOW, user="ada")
    for _ in range(2):
        sqs.send_message(QueueUrl=tap.url, MessageBody=json.dumps(event))
    while tap.step(wait_seconds=0):
        pass
    assert [json.loads(line)["id"] for line in archive.read_text().splitlines()] == [event["id"]]
    assert [seen["id"] for seen in tap.events] == [event["id"]]
