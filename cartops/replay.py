"""Replay archived events into chosen rules: ``make replay ENV=<env> FROM=<time> TO=<time> [RULE=<rule>[,...]]``.

On AWS this is EventBridge's own replay: ``StartReplay`` from the stack's archive back onto its
bus, the destination filtered to the chosen rules' ARNs (``FilterArns``), followed until it
completes. moto's StartReplay ignores both the time window and the filter, so against the local
stack (``ENDPOINT=<moto URL>``) the archive the local stack keeps (``cartlocal.pollers.bus_tap``)
is read and each event of the window is delivered to the target of every chosen rule whose
pattern matches it, with ``replay-name`` set as AWS sets it.

A window is refused when it starts before the consumers' records (idempotency, newest reminded
add, newest removal and checkout) may have expired: replaying an add older than they are would
remind again. Within it, the consumers make a replay change nothing that already happened.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cartflow import contract
from cartflow.timestamps import format_timestamp, parse_timestamp
from cartops.clients import client

REPLAY_POLL_SECONDS = 5.0
# The window's start may not be older than the records that keep a replay harmless.
RECORDS_SECONDS = int(contract.stack()["settings"]["IDEMPOTENCY_TTL_SECONDS"]["default"])


class ReplayError(Exception):
    """An unknown rule, a window replay would not be harmless in, or a replay that failed."""


def chosen_rules(names: str | None) -> list[str]:
    """The contract's rules named in ``names`` (comma-separated), or all of them."""
    rules = list(contract.stack()["rules"])
    if not names:
        return rules
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(rules))
    if unknown:
        raise ReplayError(f"unknown rule(s) {', '.join(unknown)}; the contract's rules: {', '.join(rules)}")
    return chosen


def window(start: str, end: str, now: datetime) -> tuple[datetime, datetime]:
    """The [start, end) window, refused if empty or older than the consumers' records."""
    begins, ends = parse_timestamp(start), parse_timestamp(end)
    if begins >= ends:
        raise ReplayError(f"FROM {start} is not before TO {end}")
    oldest = now - timedelta(seconds=RECORDS_SECONDS)
    if begins < oldest:
        raise ReplayError(
            f"FROM {start} is older than {format_timestamp(oldest)}: the consumers' records of such events may have "
            "expired (IDEMPOTENCY_TTL_SECONDS), so replaying them could remind again"
        )
    return begins, ends


@dataclass(frozen=True)
class Replay:
    """One replay: its name, the stack, the [begins, ends) window and the contract rules it feeds."""

    name: str
    stack_name: str
    begins: datetime
    ends: datetime
    rules: list[str]


def replay_on_aws(events: Any, replay: Replay, arn_prefix: str) -> dict[str, Any]:
    """StartReplay from the stack's archive into the chosen rules; the final DescribeReplay."""
    stack = replay.stack_name
    bus = contract.resource_name("event_bus", stack)
    events.start_replay(
        ReplayName=replay.name,
        Description=f"make replay {format_timestamp(replay.begins)}..{format_timestamp(replay.ends)}",
        EventSourceArn=f"{arn_prefix}:archive/{contract.resource_name('event_archive', stack)}",
        EventStartTime=replay.begins,
        EventEndTime=replay.ends,
        Destination={
            "Arn": f"{arn_prefix}:event-bus/{bus}",
            "FilterArns": [f"{arn_prefix}:rule/{bus}/{contract.resource_name('rule', stack, r)}" for r in replay.rules],
        },
    )
    while True:
        described: dict[str, Any] = events.describe_replay(ReplayName=replay.name)
        if described["State"] in {"COMPLETED", "FAILED", "CANCELLED"}:
            if described["State"] != "COMPLETED":
                raise ReplayError(f"replay {replay.name} {described['State']}: {described.get('StateReason', '')}")
            return described
        time.sleep(REPLAY_POLL_SECONDS)


def archived(archive: Path, begins: datetime, ends: datetime) -> list[dict[str, Any]]:
    """The events of the local archive whose time lies in [begins, ends)."""
    if not archive.exists():
        raise ReplayError(f"no archive at {archive}: is the local stack (make local) running from this folder?")
    found = []
    for line in archive.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if begins <= parse_timestamp(event["time"]) < ends:
            found.append(event)
    return found


def replay_locally(sqs: Any, archive: Path, replay: Replay) -> Counter[str]:
    """Deliver each archived event of the window to every chosen rule that matches it; count per rule."""
    # moto's own matcher (the one its rules use), so the local replay routes as the local bus does.
    from moto.events.models import EventPattern  # noqa: PLC0415 - only the local replay needs moto

    delivered: Counter[str] = Counter()
    patterns = {rule: EventPattern.load(json.dumps(contract.rule_pattern(rule))) for rule in replay.rules}
    for event in archived(archive, replay.begins, replay.ends):
        for rule in replay.rules:
            if patterns[rule].matches_event(event):  # type: ignore[arg-type]  # moto types events as a TypedDict
                body = json.dumps({**event, "replay-name": replay.name})
                sqs.send_message(QueueUrl=_target_queue(sqs, replay.stack_name, rule), MessageBody=body)
                delivered[rule] += 1
    return delivered


def _target_queue(sqs: Any, stack_name: str, rule: str) -> str:
    """The queue standing for ``rule``'s target locally: its SQS queue, or its Lambda's delivery queue."""
    target = contract.stack()["rules"][rule]["target"]
    if target["type"] == "sqs":
        queue = contract.resource_name("queue", stack_name, target["queue"])
    else:
        queue = f"{contract.resource_name('rule', stack_name, rule)}-delivery"
    return str(sqs.get_queue_url(QueueName=queue)["QueueUrl"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cartops.replay", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", required=True, help="the stack's name (cartflow-<env>; cartflow-local locally)")
    parser.add_argument("--from", dest="start", required=True, help="start of the window, ISO 8601 UTC (…Z)")
    parser.add_argument("--to", dest="end", required=True, help="end of the window (exclusive), ISO 8601 UTC")
    parser.add_argument("--rules", help="comma-separated contract rules (default: every rule)")
    parser.add_argument("--endpoint-url", help="the local stack's moto URL; default: AWS")
    parser.add_argument("--archive", type=Path, default=Path(".local/archive.jsonl"), help="the local archive")
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    try:
        begins, ends = window(args.start, args.end, now)
        replay = Replay(f"{args.stack}-{now:%Y%m%d%H%M%S}", args.stack, begins, ends, chosen_rules(args.rules))
        if args.endpoint_url:
            counts = replay_locally(client("sqs", args.endpoint_url), args.archive, replay)
            done = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items())) or "no event"
            print(f"replay {replay.name}: {done}")
            return 0
        events = client("events", None)
        account = client("sts", None).get_caller_identity()["Account"]
        prefix = f"arn:{events.meta.partition}:events:{events.meta.region_name}:{account}"
        described = replay_on_aws(events, replay, prefix)
    except ReplayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"replay {replay.name} {described['State']}: {described.get('EventLastReplayedTime', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
