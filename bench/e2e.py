"""Row 4: the whole local stack against moto's own floor, on the same moto server.

Ours: cart adds through the local API (POST /cart, one request at a time), counted when
schedule_reminder has created each schedule (events/s, API to schedule), and single adds timed
until their email is in the outbox with REMINDER_DELAY_SECONDS=0 (API to email latency). The
throughput is measured twice, through the REST API (the default) and through the HTTP API option
(``api = "http"``: the EventBridge-PutEvents integration, no validation or template), each on a
stack of its own against the floor of that stack.
Floor: what moto itself does for one event: put_events matched by a rule with an SQS target,
then received from that queue, on a bus of its own (events/s with sequential puts then
receives; latency of one put until its receive returns).

Both sides run in the same stack with one client thread each. The stack runs without the bus
tap (``Options(bus_tap=False)``): the timeline's view of the bus is one more rule, queue and
poller that `make demo` and `make local` need and AWS does not have, so it is not part of the
system being measured.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Literal

from bench.stats import Summary, ratio
from cartlocal.journey import request
from cartlocal.local_stack import LocalStack, Options
from cartlocal.timeline import Timeline

GOAL = 0.8
ROUNDS = 5
POLL_SECONDS = 0.005
# How both sides run, kept with the figures so a reader of bench.json knows what they measured.
SETUP = f"one client thread per side, same stack, {ROUNDS} alternating rounds; bus tap off (Options(bus_tap=False))"
# Bounds each wait: a stuck pipeline ends the bench with an error instead of hanging it.
WAIT_SECONDS = 120.0


def _wait(condition: Callable[[], bool], what: str) -> float:
    """Poll ``condition`` until it holds; return the moment it did (time.monotonic)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench e2e: timed out waiting for {what}")
        time.sleep(POLL_SECONDS)
    return time.monotonic()


class Floor:
    """A bus, a rule matching everything put on it, and the rule's SQS target: moto alone."""

    def __init__(self, local: LocalStack) -> None:
        self._events, self._sqs = local.client("events"), local.client("sqs")
        self.bus = f"{local.options.name}-floor"
        self._events.create_event_bus(Name=self.bus)
        self.url: str = self._sqs.create_queue(QueueName=self.bus)["QueueUrl"]
        attributes = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        pattern = json.dumps({"source": ["bench.floor"]})
        self._events.put_rule(Name=self.bus, EventBusName=self.bus, EventPattern=pattern)
        self._events.put_targets(
            Rule=self.bus,
            EventBusName=self.bus,
            Targets=[{"Id": "queue", "Arn": attributes["Attributes"]["QueueArn"]}],
        )

    def put(self, number: int) -> None:
        entry = {"EventBusName": self.bus, "Source": "bench.floor", "DetailType": "Floor", "Detail": "{}"}
        answer = self._events.put_events(Entries=[entry | {"Detail": json.dumps({"n": number})}])
        if answer["FailedEntryCount"]:
            raise SystemExit(f"bench e2e: floor put_events failed: {answer}")

    def receive(self, wait_seconds: int) -> int:
        messages = self._sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if messages:
            self._sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return len(messages)

    def throughput(self, count: int) -> float:
        started = time.monotonic()
        for number in range(count):
            self.put(number)
        received = 0
        while received < count:
            received += self.receive(1)
        return count / (time.monotonic() - started)

    def latency_ms(self, samples: int) -> list[float]:
        measured = []
        for number in range(samples):
            started = time.monotonic()
            self.put(number)
            while not self.receive(1):
                pass
            measured.append((time.monotonic() - started) * 1000)
        return measured


class Ours:
    """Cart adds through the local API, observed where AWS would make them observable."""

    def __init__(self, local: LocalStack) -> None:
        assert local.api is not None
        assert local.outbox is not None
        self._url, self._outbox = local.api.url, local.outbox
        self._scheduler = local.workers["schedule_reminder"]

    def add(self, user: str, product: str) -> None:
        body = {"user": user, "product": product, "quantity": 1, "email": f"{user}@example.com"}
        status, answer = request(self._url, "POST", "/cart", body)
        # The HTTP API answers PutEvents' own response: 200 even when the entry failed.
        if status != 200 or answer.get("FailedEntryCount", 0):
            raise SystemExit(f"bench e2e: POST /cart answered {status} {answer}")

    def scheduled(self) -> int:
        """How many adds schedule_reminder has handled successfully so far."""
        return sum(1 for result in self._scheduler.results if result.ok)

    def throughput(self, count: int) -> float:
        """Adds per second from the first request until schedule_reminder handled the last."""
        before, user = self.scheduled(), f"load-{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        for number in range(count):
            self.add(user, f"sku-{number}")
        done = _wait(lambda: self.scheduled() >= before + count, f"{count} schedules")
        return count / (done - started)

    def _emails_beyond(self, count: int) -> bool:
        return len(self._outbox.files) > count

    def latency_ms(self, samples: int) -> list[float]:
        """API request to the email in the outbox, one add at a time (each to its own user)."""
        measured = []
        for _ in range(samples):
            emails = len(self._outbox.files)
            started = time.monotonic()
            self.add(f"latency-{uuid.uuid4().hex[:8]}", "sku-1")
            done = _wait(partial(self._emails_beyond, emails), "the reminder email")
            measured.append((done - started) * 1000)
        return measured


@contextmanager
def _stack(
    dist: Path, name: str, delay_seconds: int | None, api: Literal["rest", "http"] = "rest"
) -> Iterator[LocalStack]:
    """A quiet local stack whose functions have had their cold start (one add, handled)."""
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as workdir, open(os.devnull, "w") as quiet:
        options = Options(
            dist=dist, workdir=Path(workdir), name=name, reminder_delay_seconds=delay_seconds, bus_tap=False, api=api
        )
        with LocalStack(options, Timeline(stream=quiet)) as local:
            ours = Ours(local)
            ours.add("warm-up", "sku-0")
            _wait(lambda: ours.scheduled() >= 1, "the warm-up schedule")
            yield local


def _throughput(dist: Path, per_round: int, api: Literal["rest", "http"]) -> dict[str, float]:
    """Adds/s through ``api`` and the floor's events/s on the same stack, over alternating rounds."""
    # Alternating rounds: a change in the shared CPUs' load hits both sides alike.
    with _stack(dist, f"bench-rate-{api}", None, api) as local:
        floor, ours = Floor(local), Ours(local)
        floor_seconds = ours_seconds = 0.0
        for _ in range(ROUNDS):
            floor_seconds += per_round / floor.throughput(per_round)
            ours_seconds += per_round / ours.throughput(per_round)
    floor_rate, ours_rate = per_round * ROUNDS / floor_seconds, per_round * ROUNDS / ours_seconds
    return {"ours_per_s": ours_rate, "floor_per_s": floor_rate, "ratio": ratio(ours_rate, floor_rate), "goal": GOAL}


def measure(dist: Path, events: int, latency_samples: int) -> dict[str, Any]:
    """Throughput with the contract's delay (nothing fires meanwhile), latency with delay 0."""
    per_round = max(1, events // ROUNDS)
    throughput = _throughput(dist, per_round, "rest")
    http_throughput = _throughput(dist, per_round, "http")
    with _stack(dist, "bench-latency", 0) as local:
        assert local.outbox is not None
        outbox = local.outbox
        _wait(lambda: len(outbox.files) >= 1, "the warm-up email")  # send_reminder's cold start
        floor_latency, ours_latency = Floor(local).latency_ms(latency_samples), Ours(local).latency_ms(latency_samples)
    latency = {"ours_ms": Summary.of(ours_latency).as_dict(), "floor_ms": Summary.of(floor_latency).as_dict()}
    return {
        "events": per_round * ROUNDS,
        "setup": SETUP,
        "throughput": throughput,
        "http_throughput": http_throughput,
        # A latency's ratio is floor / ours, so that above 1 is better in both rows alike.
        "latency": latency
        | {"ratio": ratio(latency["floor_ms"]["median"], latency["ours_ms"]["median"]), "goal": GOAL},
    }
