"""The eleven reliability scenarios, each a function of a running Harness and a size.

Each returns an Outcome: what was done, the figures measured, and lost / duplicated counts that
are computed from what the stack observably did (emails in the outbox, schedules in Scheduler,
events on the bus, messages in the dead-letter queues) — never from what the scenario sent.
Users carry a per-run marker so a scenario only counts its own traffic.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from cartcapacity import burst
from cartcost.assumptions import Assumptions
from cartflow import contract, schedules
from cartflow.models import ItemAdded
from cartflow.timestamps import format_timestamp
from cartlocal.local_aws import fault_proxy as faults
from cartlocal.local_aws import quotas as quota_models
from cartlocal.local_stack import ARCHIVE_FILE
from cartops import replay
from reliability.bodies import corpus
from reliability.harness import (
    CANCEL,
    REMINDER_DELAY_SECONDS,
    SCHEDULE,
    SEND,
    Harness,
    Outcome,
    Reply,
    percentile,
    reminder_due,
    typed,
    wait,
)
from tests.helpers.events import cart_detail

# A few concurrent API clients: moto (one process, ~55 matched PutEvents/s) is the bottleneck.
CLIENTS = 4
OUTCOME_TIMEOUT_SECONDS = 120.0
# SES throttles for at least this long (and until every reminder was attempted), then rejects.
THROTTLE_SECONDS = 5.0
# How far a burst's drain time may be from make capacity's prediction.
DRAIN_TOLERANCE = 0.2
CART_TYPES = ("ItemAddedToCart", "ItemRemovedFromCart", "CartCheckedOut")
# Redrives an operator runs while the alarm still fires after a throttled burst (each redrive is a
# smaller burst of its own, so some of it may be dead-lettered again).
REDRIVES = 10


def _run_id() -> str:
    return uuid.uuid4().hex[:6]


def _extra(counts: Counter[str], keys: list[str]) -> int:
    return sum(max(0, counts[key] - 1) for key in keys)


def _missing(counts: Counter[str], keys: list[str]) -> int:
    return sum(counts[key] == 0 for key in keys)


def _cart_events(h: Harness) -> list[dict[str, Any]]:
    return [detail for detail_type in CART_TYPES for detail in h.bus_events(detail_type)]


# --- 1. bad input ---------------------------------------------------------------------------------


def _explained(h: Harness, request_id: str) -> list[str]:
    """The local stack's reasons for rejecting a request, from its timeline (never sent to the client)."""
    for entry in h.local.timeline.trace(request_id):
        if entry.source == "api" and entry.message.startswith("local: "):
            return entry.message.removeprefix("local: ").split("; ")
    return []


def bad_input(h: Harness, size: int) -> Outcome:
    h.quiesce()
    cases = corpus(size)
    outcome = Outcome("1. bad input at the API", f"{len(cases)} generated requests over HTTP")
    seen_before = {detail["request_id"] for detail in _cart_events(h)}
    with ThreadPoolExecutor(CLIENTS) as pool:
        replies = list(pool.map(lambda case: h.call(case.method, case.path, case.body, case.content_type), cases))
    wrong_status, unnamed = [], []
    for case, reply in zip(cases, replies, strict=True):
        if reply.status != case.status:
            wrong_status.append(f"{case.kind}: {reply.status} (expected {case.status}) {reply.body[:120]!r}")
        elif reply.status == 400:
            # The client gets API Gateway's fixed message; the field is named on the timeline.
            reasons = _explained(h, reply.headers["x-amzn-requestid"])
            named = all(any(reason.startswith(f"{path}:") for reason in reasons) for path in case.fields)
            if reply.message() != "Invalid request body" or not named:
                unnamed.append(f"{case.kind}: {case.fields} not named in {reasons}; client got {reply.message()!r}")
    accepted = {reply.headers["x-amzn-requestid"] for reply in replies if reply.status == 200}

    def events() -> list[str]:
        return [d["request_id"] for d in _cart_events(h) if d["request_id"] not in seen_before]

    wait(lambda: accepted <= set(events()), OUTCOME_TIMEOUT_SECONDS)
    h.settle()
    ids = events()
    statuses = Counter(reply.status for reply in replies)
    outcome.figures = {
        "kinds": len({case.kind for case in cases}),
        **{f"HTTP {status}": count for status, count in sorted(statuses.items())},
        "5xx": sum(count for status, count in statuses.items() if status >= 500),
        "wrong status": len(wrong_status),
        "400 not naming the field": len(unnamed),
        "events for rejected requests": len(set(ids) - accepted),
    }
    outcome.lost = len(accepted - set(ids))
    outcome.duplicated = len(ids) - len(set(ids))
    outcome.expect(not wrong_status, f"status as the contract demands: {wrong_status[:3]}")
    outcome.expect(not unnamed, f"every 400 names the field: {unnamed[:3]}")
    outcome.expect(set(ids) <= accepted, "no event for a rejected request")
    outcome.expect(len(cases) >= size, f"{size} requests generated")
    return outcome


# --- 2. at-least-once delivery --------------------------------------------------------------------


class _Duplicator:
    """A rule copying what another rule delivers to a queue of its own, to deliver it a second time."""

    def __init__(self, h: Harness, name: str, rule: str) -> None:
        self._events, self._sqs = h.local.client("events"), h.local.client("sqs")
        self._bus, self._rule = h.settings["EVENT_BUS_ARN"], f"{h.local.options.name}-{name}"
        self.url = self._sqs.create_queue(QueueName=self._rule)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._events.put_rule(
            Name=self._rule, EventBusName=self._bus, EventPattern=json.dumps(contract.rule_pattern(rule))
        )
        self._events.put_targets(Rule=self._rule, EventBusName=self._bus, Targets=[{"Id": "copy", "Arn": arn}])

    def copies(self) -> list[str]:
        """The bodies captured so far (removed from the capture queue)."""
        bodies: list[str] = []
        while messages := self._sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                bodies.append(message["Body"])
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    def redeliver(self, bodies: list[str], queue_url: str) -> None:
        """Deliver ``bodies`` again to ``queue_url``, last first (so also out of order)."""
        reverse = list(reversed(bodies))
        for start in range(0, len(reverse), 10):
            chunk = reverse[start : start + 10]
            self._sqs.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
            )

    def remove(self) -> None:
        self._events.remove_targets(Rule=self._rule, EventBusName=self._bus, Ids=["copy"])
        self._events.delete_rule(Name=self._rule, EventBusName=self._bus)
        self._sqs.delete_queue(QueueUrl=self.url)


def at_least_once(h: Harness, users: int, products: int) -> Outcome:
    h.quiesce()
    run = _run_id()
    pairs = [(f"dup-{run}-{u}", f"sku-{p}") for u in range(users) for p in range(products)]
    outcome = Outcome(
        "2. at-least-once delivery",
        f"{len(pairs)} (user, product) pairs, each added twice (newer first); every event and every SQS"
        " message delivered twice, the copies in reverse order; every add a third time after its reminder",
    )
    # The reminders fire only after the first two deliveries were handled (so the live schedule can
    # be checked), then late copies follow; added_at is back-dated so they fire soon.
    fire_in = 15 + 0.25 * 4 * len(pairs)
    fires_at = time.monotonic() + fire_in
    newer_at = datetime.now(UTC) - timedelta(seconds=REMINDER_DELAY_SECONDS - fire_in)
    adds = {
        (user, product): [
            cart_detail(
                "ItemAddedToCart",
                user=user,
                product=product,
                email=f"{user}-{product}@example.com",
                occurred_at=format_timestamp(newer_at - timedelta(seconds=age)),
            )
            for age in (0, 60)
        ]
        for user, product in pairs
    }
    newer_ids = {pair: schedules.reminder_id(ItemAdded.from_dict(adds[pair][0])) for pair in pairs}
    stale_ids = {pair: schedules.reminder_id(ItemAdded.from_dict(adds[pair][1])) for pair in pairs}
    assert h.local.stack is not None
    add_copies = _Duplicator(h, f"dup-adds-{run}", SCHEDULE)
    due_copies = _Duplicator(h, f"dup-due-{run}", "reminder_due")
    try:
        h.put_events(typed("ItemAddedToCart", [adds[pair][0] for pair in pairs]))
        h.put_events(typed("ItemAddedToCart", [adds[pair][1] for pair in pairs]))
        captured: list[str] = []

        def all_captured() -> bool:
            captured.extend(add_copies.copies())
            return len(captured) >= 2 * len(pairs)

        wait(all_captured, OUTCOME_TIMEOUT_SECONDS)
        add_copies.redeliver(captured, h.local.stack.lambda_delivery_queues[SCHEDULE])
        handled = wait(lambda: h.records_handed(SCHEDULE, f"dup-{run}-") >= 4 * len(pairs), OUTCOME_TIMEOUT_SECONDS)
        handled &= time.monotonic() < fires_at
        live = {pair: [s for s in h.schedules_of(pair[0]) if s["product"] == pair[1]] for pair in pairs}
        one_live = sum(len(found) == 1 and found[0]["reminder_id"] == newer_ids[pair] for pair, found in live.items())
        outcome.expect(handled, "every add event handled twice before the reminders fire")
        outcome.expect(one_live == len(pairs), f"one live schedule per pair, the newest add's: {one_live}")

        redelivered: list[str] = []

        def redeliver_due() -> bool:
            fresh = due_copies.copies()
            due_copies.redeliver(fresh, h.queue("reminders"))
            redelivered.extend(fresh)
            return len(redelivered) >= len(pairs)

        wait(redeliver_due, fire_in + OUTCOME_TIMEOUT_SECONDS)
        wait(lambda: h.records_handed(SEND, f"dup-{run}-") >= 2 * len(pairs), OUTCOME_TIMEOUT_SECONDS)
        h.settle()
        # Scheduler deleted the fired schedules; every add, the older ones too, now arrives a third
        # time, late: none may schedule (or email) again.
        add_copies.redeliver(captured, h.local.stack.lambda_delivery_queues[SCHEDULE])
        late = wait(lambda: h.records_handed(SCHEDULE, f"dup-{run}-") >= 6 * len(pairs), OUTCOME_TIMEOUT_SECONDS)
        h.settle()
        rescheduled = sum(any(s["product"] == product for s in h.schedules_of(user)) for user, product in pairs)
        outcome.expect(late, "every add delivered a third time after its reminder was sent")
        outcome.expect(rescheduled == 0, f"no pair scheduled again by a late copy: {rescheduled}")
    finally:
        add_copies.remove()
        due_copies.remove()
    emails = h.emails()
    recipients = [f"{user}-{product}@example.com" for user, product in pairs]
    sent = Counter(detail["reminder_id"] for detail in h.bus_events("CartReminderSent"))
    names = {schedules.schedule_name(user, product) for user, product in pairs}
    outcomes = Counter(
        str(result.payload["outcome"])
        for result in h.local.workers[SCHEDULE].results
        if result.ok and isinstance(result.payload, dict) and result.payload.get("schedule") in names
    )
    outcome.figures = {
        "add events delivered": h.records_handed(SCHEDULE, f"dup-{run}-"),
        "live schedules before firing": one_live,
        "CartReminderDue messages delivered": h.records_handed(SEND, f"dup-{run}-"),
        "emails": sum(emails[r] for r in recipients),
        "CartReminderSent": sum(sent[newer_ids[pair]] for pair in pairs),
        "schedule_reminder outcomes": ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())),
    }
    outcome.lost = _missing(emails, recipients)
    outcome.duplicated = _extra(emails, recipients) + _extra(sent, list(newer_ids.values()))
    outcome.expect(not any(sent[stale_ids[pair]] for pair in pairs), "no reminder for the older (stale) add")
    outcome.expect(_missing(sent, list(newer_ids.values())) == 0, "CartReminderSent for every reminder")
    return outcome


# --- 3. SES outage ----------------------------------------------------------------------------------


def ses_outage(h: Harness, count: int) -> Outcome:
    h.quiesce()
    run = _run_id()
    details = [reminder_due(f"ses-{run}-{i}", "sku-9") for i in range(count)]
    recipients = [detail["email"] for detail in details]
    ids = [detail["reminder_id"] for detail in details]
    outcome = Outcome(
        "3. SES outage",
        f"{count} reminders due while SES throttles (429: they wait in the queue), then rejects"
        " (400 MessageRejected: each to the DLQ at once); after recovery `make redrive` moves the DLQ back",
    )
    dlq = h.dlq("reminders")
    # The proxy counts for the whole harness: this scenario's answers are what it adds.
    answered_before = h.ses.injected.copy()
    h.ses.inject(faults.throttled())
    try:
        h.put_events(typed("CartReminderDue", details))
        throttled_until = time.monotonic() + THROTTLE_SECONDS
        wait(
            lambda: time.monotonic() > throttled_until and all(h.records_handed(SEND, rid) >= 1 for rid in ids),
            OUTCOME_TIMEOUT_SECONDS,
        )
        h.ses.inject(faults.rejected())
        dead = wait(lambda: h.depth(dlq) >= count, OUTCOME_TIMEOUT_SECONDS)
        during = h.emails()
        receives = [h.records_handed(SEND, rid) for rid in ids]
    finally:
        h.ses.inject()
    redriven = _redrive(h, dlq)
    wait(lambda: _missing(h.emails(), recipients) == 0, OUTCOME_TIMEOUT_SECONDS)
    h.settle()
    emails = h.emails()
    sent = Counter(detail["reminder_id"] for detail in h.bus_events("CartReminderSent"))
    outcome.figures = {
        "SES 429 answers": h.ses.injected["TooManyRequestsException"] - answered_before["TooManyRequestsException"],
        "SES MessageRejected answers": h.ses.injected["MessageRejected"] - answered_before["MessageRejected"],
        "receives per reminder (waits included) before the DLQ": f"{min(receives)}-{max(receives)}",
        "emails during the outage": sum(during[r] for r in recipients),
        "redriven by make redrive": redriven.stdout.split()[1] if redriven.returncode == 0 else "failed",
        "emails after redrive": sum(emails[r] for r in recipients),
        "CartReminderSent": sum(sent[rid] for rid in ids),
    }
    outcome.lost = _missing(emails, recipients)
    outcome.duplicated = _extra(emails, recipients) + _extra(sent, ids)
    outcome.expect(dead, f"all {count} reminders reached the DLQ during the outage")
    rejections = h.ses.injected["MessageRejected"] - answered_before["MessageRejected"]
    outcome.expect(rejections == count, f"each rejected once, then dead-lettered at once: {rejections} rejections")
    outcome.expect(redriven.returncode == 0, f"redrive succeeded: {redriven.stderr[-300:]}")
    outcome.expect(h.depth(dlq) == 0, "the DLQ is empty after the redrive")
    return outcome


# --- 4. crashes and timeouts ------------------------------------------------------------------------


def crashes(h: Harness, timeouts: bool) -> Outcome:
    h.quiesce()
    run = _run_id()
    outcome = Outcome(
        "4. function crash / timeout",
        "schedule_reminder and cancel_reminders get an event that makes them raise"
        + (
            "; schedule_reminder's Scheduler call and send_reminder's SES call hang past the function timeout once;"
            " Scheduler fails (HTTP 500) for one user until the on-failure record is redriven with `make redrive`"
            if timeouts
            else ""
        )
        + "; other users keep using the API meanwhile",
    )
    failures_dlq = h.dlq("async_failures")
    crash_add = cart_detail("ItemAddedToCart", user=f"crash-{run}", quantity=0)
    crash_checkout = cart_detail("CartCheckedOut", user=f"crash {run}")
    h.put_events(typed("ItemAddedToCart", [crash_add]) + typed("CartCheckedOut", [crash_checkout]))
    markers = {SCHEDULE: crash_add["request_id"], CANCEL: crash_checkout["request_id"]}
    bystanders = [f"bystander-{run}-{i}" for i in range(3)]
    replies = [_add(h, user, "sku-1") for user in bystanders]
    hung: dict[str, bool] = {}
    if timeouts:
        hung = _timeouts(h, run)
    dead: dict[str, list[dict[str, Any]]] = {name: [] for name in markers}

    def dead_lettered() -> bool:
        for name, marker in markers.items():
            dead[name] += h.take(failures_dlq, partial(_invocation_of, marker))
        return all(dead.values())

    wait(dead_lettered, OUTCOME_TIMEOUT_SECONDS)
    if timeouts:
        hung[f"{SCHEDULE} failed every attempt, redriven from the on-failure queue, done once"] = _redriven(h, run)
    scheduled = sum(len(h.schedules_of(user)) for user in bystanders)
    h.settle()
    attempts = {name: h.records_handed(name, marker) for name, marker in markers.items()}
    expected_attempts = {name: contract.function_spec(name)["maximum_retry_attempts"] + 1 for name in markers}
    outcome.figures = {
        **{f"{name} attempts": attempts[name] for name in markers},
        **{f"{name} on-failure records": len(dead[name]) for name in markers},
        **hung,
        "Scheduler 500 answers": h.scheduler.injected["InternalServerException"],
        "bystander adds answered 200": sum(reply.status == 200 for reply in replies),
        "bystander schedules": scheduled,
    }
    outcome.lost = sum(not records for records in dead.values()) + (len(bystanders) - min(scheduled, len(bystanders)))
    outcome.lost += sum(not held for held in hung.values())
    outcome.duplicated = sum(max(0, len(records) - 1) for records in dead.values()) + max(
        0, scheduled - len(bystanders)
    )
    outcome.expect(attempts == expected_attempts, f"Lambda's retries: {attempts}, expected {expected_attempts}")
    conditions = {record["requestContext"]["condition"] for records in dead.values() for record in records}
    outcome.expect(conditions <= {"RetriesExhausted"}, f"on-failure condition {conditions}")
    return outcome


def _redriven(h: Harness, run: str) -> bool:
    """An add whose every attempt fails reaches the on-failure queue; redriven after recovery, it is done once."""
    user = f"down-{run}"
    failures_dlq = h.dlq("async_failures")
    h.scheduler.inject(faults.Fault(user.encode(), 500, "InternalServerException"))
    try:
        _add(h, user, "sku-1")
        dead = wait(lambda: h.depth(failures_dlq) >= 1, OUTCOME_TIMEOUT_SECONDS)
    finally:
        h.scheduler.inject()
    redriven = _redrive(h, failures_dlq, "--bus", h.settings["EVENT_BUS_ARN"])
    wait(lambda: bool(h.schedules_of(user)), OUTCOME_TIMEOUT_SECONDS)
    h.settle()
    return dead and redriven.returncode == 0 and len(h.schedules_of(user)) == 1 and h.depth(failures_dlq) == 0


def _redrive(h: Harness, dlq_url: str, *options: str) -> subprocess.CompletedProcess[str]:
    """Run what `make redrive QUEUE=<dlq> ENDPOINT=<moto>` runs."""
    assert h.local.moto is not None
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cartops.redrive",
            dlq_url.rsplit("/", 1)[-1],
            "--endpoint-url",
            h.local.moto.url,
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=OUTCOME_TIMEOUT_SECONDS,
        check=False,
    )


def _invocation_of(request_id: str, record: dict[str, Any]) -> bool:
    """Whether an on-failure record is about the event of ``request_id``."""
    return bool(record["requestPayload"]["detail"].get("request_id") == request_id)


def _add(h: Harness, user: str, product: str) -> Reply:
    body = {"user": user, "product": product, "quantity": 1, "email": f"{user}@example.com"}
    return h.call("POST", "/cart", json.dumps(body).encode())


def _timeouts(h: Harness, run: str) -> dict[str, bool]:
    """One hung call per function, then recovery: the retry must do the work exactly once."""
    done: dict[str, bool] = {}
    user = f"hang-{run}"
    stall = contract.function_spec(SCHEDULE)["timeout"] + 2
    h.scheduler.inject(faults.stalled(stall, user.encode()))
    try:
        _add(h, user, "sku-1")
        wait(lambda: "Sandbox.Timedout" in h.function_errors(SCHEDULE), stall + OUTCOME_TIMEOUT_SECONDS)
    finally:
        h.scheduler.inject()
    wait(lambda: bool(h.schedules_of(user)), OUTCOME_TIMEOUT_SECONDS)
    h.settle()
    done[f"{SCHEDULE} timed out, then done once"] = len(h.schedules_of(user)) == 1

    details = [reminder_due(f"hang-{run}-{i}", "sku-1") for i in range(4)]
    recipients = [detail["email"] for detail in details]
    stall = contract.function_spec(SEND)["timeout"] + 2
    h.ses.inject(faults.stalled(stall, recipients[0].encode()))
    try:
        h.put_events(typed("CartReminderDue", details))
        wait(lambda: "Sandbox.Timedout" in h.function_errors(SEND), stall + OUTCOME_TIMEOUT_SECONDS)
    finally:
        h.ses.inject()
    wait(lambda: _missing(h.emails(), recipients) == 0, OUTCOME_TIMEOUT_SECONDS)
    h.settle()
    emails = h.emails()
    done[f"{SEND} timed out, then every reminder of the batch emailed once"] = all(emails[r] == 1 for r in recipients)
    return done


# --- 5. load ------------------------------------------------------------------------------------------


def load(h: Harness, adds: int, users: int, products: int = 20) -> Outcome:
    h.quiesce()
    run = _run_id()
    rng = random.Random(7)  # the same workload every run
    requests = [(f"load-{run}-{i % users}", f"sku-{rng.randrange(products)}") for i in range(adds)]
    pairs = set(requests)
    outcome = Outcome(
        "5. load",
        f"{adds} adds from {users} users over HTTP, {CLIENTS} concurrent clients, {len(pairs)} distinct pairs",
    )
    before = len(h.local.workers[SCHEDULE].results)
    errors_before = len(h.function_errors(SCHEDULE))
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        replies = list(pool.map(lambda request: _add(h, *request), requests))
    api_seconds = time.monotonic() - started
    handled = wait(lambda: len(h.local.workers[SCHEDULE].results) - before >= adds, 4 * OUTCOME_TIMEOUT_SECONDS)
    drained_seconds = time.monotonic() - started
    h.settle()
    expected = {schedules.schedule_name(user, product) for user, product in pairs}
    found = [schedule["Name"] for user in sorted({user for user, _ in pairs}) for schedule in h.schedules_of(user)]
    latencies = [reply.seconds * 1000 for reply in replies]
    outcome.figures = {
        "accepted": f"{sum(reply.status == 200 for reply in replies)}/{adds}",
        "API p50 ms": f"{percentile(latencies, 0.5):.0f}",
        "API p99 ms": f"{percentile(latencies, 0.99):.0f}",
        "adds/s": f"{adds / api_seconds:.0f}",
        "all scheduled after s": f"{drained_seconds:.0f}",
        "schedules": len(found),
        "distinct pairs": len(pairs),
        "schedule_reminder errors": len(h.function_errors(SCHEDULE)) - errors_before,
    }
    outcome.lost = len(expected - set(found))
    outcome.duplicated = len(found) - len(set(found)) + len(set(found) - expected)
    outcome.expect(all(reply.status == 200 for reply in replies), "every add accepted")
    outcome.expect(handled, "every add handled by schedule_reminder")
    outcome.expect(outcome.figures["schedule_reminder errors"] == 0, "no add failed in schedule_reminder")
    return outcome


# --- 6. poison message --------------------------------------------------------------------------------


def poison(h: Harness, good: int) -> Outcome:
    h.quiesce()
    run = _run_id()
    details = [reminder_due(f"poison-ok-{run}-{i}", "sku-1") for i in range(good)]
    recipients = [detail["email"] for detail in details]
    poison_id = uuid.uuid4().hex
    # Matches the reminder_due rule but lacks fields send_reminder requires: it can never succeed.
    bad = {"user": f"poison-{run}", "product": "sku-1", "scheduled_event": True, "reminder_id": poison_id}
    outcome = Outcome(
        "6. poison message",
        f"1 malformed CartReminderDue among {good} valid ones, put in one PutEvents call (one batch)",
    )
    h.put_events(typed("CartReminderDue", [bad, *details]))
    dead: list[dict[str, Any]] = []

    def done() -> bool:
        dead.extend(h.take(h.dlq("reminders"), lambda body: body.get("detail", {}).get("reminder_id") == poison_id))
        return bool(dead) and _missing(h.emails(), recipients) == 0

    wait(done, OUTCOME_TIMEOUT_SECONDS)
    h.settle()
    emails = h.emails()
    max_receives = contract.stack()["queues"]["reminders"]["max_receive_count"]
    receives = h.records_handed(SEND, poison_id)
    shared = h.batches_with_all(SEND, [poison_id, details[0]["reminder_id"]])
    handed_once = sum(h.records_handed(SEND, detail["reminder_id"]) == 1 for detail in details)
    outcome.figures = {
        "poison receives": receives,
        "poison in DLQ": len(dead),
        "batches shared by poison and valid": shared,
        "valid records handed exactly once": f"{handed_once}/{good}",
        "emails": sum(emails[r] for r in recipients),
    }
    outcome.lost = _missing(emails, recipients) + (0 if dead else 1)
    outcome.duplicated = _extra(emails, recipients) + max(0, len(dead) - 1)
    outcome.expect(receives == max_receives, f"poison received maxReceiveCount={max_receives} times: {receives}")
    outcome.expect(shared >= 1, "the poison shared a batch with valid messages")
    outcome.expect(handed_once == good, "valid messages were not redelivered because of the poison")
    return outcome


# --- 7. cancellations before late adds ------------------------------------------------------------


def _adds(pairs: list[tuple[str, str]], added_at: datetime) -> list[dict[str, Any]]:
    """An add of each (user, product) pair at ``added_at``, emailing ``<user>-<product>@example.com``."""
    return [
        cart_detail(
            "ItemAddedToCart",
            user=user,
            product=product,
            email=f"{user}-{product}@example.com",
            occurred_at=format_timestamp(added_at),
        )
        for user, product in pairs
    ]


def cancelled_before_late_adds(h: Harness, users: int, products: int) -> Outcome:
    h.quiesce()
    run = _run_id()
    pairs = [(f"late-{run}-{u}", f"sku-{p}") for u in range(users) for p in range(products)]
    outcome = Outcome(
        "7. removals and checkouts before late adds",
        f"{len(pairs)} (user, product) pairs: each item removed (even users) or its cart checked out (odd"
        " users) one second after its add, the removals and checkouts delivered first, the adds after them",
    )
    # If a late add were scheduled, its reminder would fire within fire_in seconds: wait that out.
    fire_in = 10.0
    added_at = datetime.now(UTC) - timedelta(seconds=REMINDER_DELAY_SECONDS - fire_in)
    adds = _adds(pairs, added_at)
    cancelled_at = format_timestamp(added_at + timedelta(seconds=1))
    removals = [
        cart_detail("ItemRemovedFromCart", user=user, product=product, occurred_at=cancelled_at)
        for user, product in pairs
        if int(user.rsplit("-", 1)[1]) % 2 == 0
    ]
    checkouts = [
        cart_detail("CartCheckedOut", user=f"late-{run}-{u}", occurred_at=cancelled_at) for u in range(users) if u % 2
    ]
    fires_at = time.monotonic() + fire_in
    h.put_events([*typed("ItemRemovedFromCart", removals), *typed("CartCheckedOut", checkouts)])
    cancelled = wait(
        lambda: h.records_handed(CANCEL, f"late-{run}-") >= len(removals) + len(checkouts), OUTCOME_TIMEOUT_SECONDS
    )
    h.settle()
    h.put_events(typed("ItemAddedToCart", adds))
    handled = wait(lambda: h.records_handed(SCHEDULE, f"late-{run}-") >= len(pairs), OUTCOME_TIMEOUT_SECONDS)
    h.settle()
    live = sum(len(h.schedules_of(f"late-{run}-{u}")) for u in range(users))
    wait(lambda: time.monotonic() > fires_at + 5, fire_in + 10)
    emails = h.emails()
    unwanted = sum(emails[f"{user}-{product}@example.com"] for user, product in pairs)
    names = {schedules.schedule_name(user, product) for user, product in pairs}
    outcomes = Counter(
        str(result.payload["outcome"])
        for result in h.local.workers[SCHEDULE].results
        if result.ok and isinstance(result.payload, dict) and result.payload.get("schedule") in names
    )
    outcome.figures = {
        "removals and checkouts handled first": len(removals) + len(checkouts),
        "late adds handled": h.records_handed(SCHEDULE, f"late-{run}-"),
        "schedule_reminder outcomes": ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())),
        "schedules": live,
        "emails for removed items": unwanted,
    }
    outcome.expect(cancelled, "every removal and checkout handled before the adds were sent")
    outcome.expect(handled, "every late add handled")
    outcome.expect(live == 0, f"no schedule for a removed item: {live}")
    outcome.duplicated = unwanted
    return outcome


# --- 8. replay of a journey's window --------------------------------------------------------------


def replayed_journey(h: Harness, users: int) -> Outcome:
    h.quiesce()
    run = _run_id()
    names = [f"replay-{run}-{u}" for u in range(users)]
    outcome = Outcome(
        "8. replay of a whole journey",
        f"{users} users each add p1 (reminded), add and remove p2; after the window, add p2 again; the"
        " window's archive (adds, removals, reminders due and sent) is then replayed into every rule",
    )
    fire_in = 10.0
    base = datetime.now(UTC) - timedelta(seconds=REMINDER_DELAY_SECONDS - fire_in)

    def at(seconds: int) -> str:
        return format_timestamp(base + timedelta(seconds=seconds))

    def email(user: str, product: str) -> str:
        return f"{user}-{product}@example.com"

    begins = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    h.put_events(
        [
            *typed(
                "ItemAddedToCart",
                [
                    cart_detail("ItemAddedToCart", user=u, product="p1", email=email(u, "p1"), occurred_at=at(0))
                    for u in names
                ],
            ),
            *typed(
                "ItemAddedToCart",
                [
                    cart_detail("ItemAddedToCart", user=u, product="p2", email=email(u, "p2"), occurred_at=at(1))
                    for u in names
                ],
            ),
        ]
    )
    wait(lambda: h.records_handed(SCHEDULE, f"replay-{run}-") >= 2 * users, OUTCOME_TIMEOUT_SECONDS)
    h.put_events(
        typed(
            "ItemRemovedFromCart",
            [cart_detail("ItemRemovedFromCart", user=u, product="p2", occurred_at=at(2)) for u in names],
        )
    )
    reminded = wait(lambda: sum(h.emails()[email(u, "p1")] for u in names) >= users, fire_in + OUTCOME_TIMEOUT_SECONDS)
    wait(
        lambda: len([d for d in h.bus_events("CartReminderSent") if d["user"] in names]) >= users,
        OUTCOME_TIMEOUT_SECONDS,
    )
    h.settle()
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.1)
    # After the window: each user adds p2 again, a new intent the replayed removal must not cancel.
    later = [cart_detail("ItemAddedToCart", user=u, product="p2", email=email(u, "p2")) for u in names]
    h.put_events(typed("ItemAddedToCart", later))
    wait(lambda: h.records_handed(SCHEDULE, f"replay-{run}-") >= 3 * users, OUTCOME_TIMEOUT_SECONDS)
    h.settle()
    later_ids = {schedules.reminder_id(ItemAdded.from_dict(detail)) for detail in later}
    before = {
        "schedule": h.records_handed(SCHEDULE, f"replay-{run}-"),
        "cancel": h.records_handed(CANCEL, f"replay-{run}-"),
        "send": h.records_handed(SEND, f"replay-{run}-"),
    }
    assert h.local.stack is not None
    archive = h.local.options.workdir / ARCHIVE_FILE
    chosen = replay.Replay(f"replay-{run}", h.local.options.name, begins, ends, replay.chosen_rules(None))
    delivered = replay.replay_locally(h.local.client("sqs"), archive, chosen)
    # Each user's journey: two adds, one removal, one reminder due (and sent, which no rule takes).
    expected = {"schedule_reminder": 2 * users, "cancel_reminders": users, "reminder_due": users}
    handled = wait(
        lambda: (
            h.records_handed(SCHEDULE, f"replay-{run}-") >= before["schedule"] + 2 * users
            and h.records_handed(CANCEL, f"replay-{run}-") >= before["cancel"] + users
            and h.records_handed(SEND, f"replay-{run}-") >= before["send"] + users
        ),
        OUTCOME_TIMEOUT_SECONDS,
    )
    h.settle()
    emails = h.emails()
    live = {u: h.schedules_of(u) for u in names}
    kept = sum(len(found) == 1 and found[0]["reminder_id"] in later_ids for found in live.values())
    sent = Counter(d["reminder_id"] for d in h.bus_events("CartReminderSent") if d["user"] in names)
    outcome.figures = {
        "replayed per rule": ", ".join(f"{rule} {n}" for rule, n in sorted(delivered.items())),
        "emails (p1)": sum(emails[email(u, "p1")] for u in names),
        "emails (p2)": sum(emails[email(u, "p2")] for u in names),
        "CartReminderSent": sum(sent.values()),
        "users whose later add kept its schedule": kept,
    }
    outcome.expect(reminded, "every p1 reminded before the replay")
    outcome.expect(dict(delivered) == expected, f"the window's events replayed into their rules: {dict(delivered)}")
    outcome.expect(handled, "every replayed event handled")
    outcome.lost = _missing(emails, [email(u, "p1") for u in names]) + (users - kept)
    outcome.duplicated = _extra(emails, [email(u, "p1") for u in names]) + sum(emails[email(u, "p2")] for u in names)
    outcome.duplicated += sum(count - 1 for count in sent.values() if count > 1)
    return outcome


# --- 9. a burst over SES's sending rate -------------------------------------------------------------


def _dead_letters(h: Harness) -> dict[str, int]:
    """Messages in each of the stack's dead-letter queues."""
    assert h.local.stack is not None
    return {name: h.depth(url) for name, url in h.local.stack.dlq_urls.items()}


def ses_rate_burst(h: Harness, count: int) -> Outcome:
    h.quiesce()
    # The quota is the rate the stack's send_reminder is configured with (SES_MAX_SEND_RATE).
    rate = float(h.local.workers[SEND].config.environment["SES_MAX_SEND_RATE"])
    run = _run_id()
    details = [reminder_due(f"burst-{run}-{i}", "sku-1") for i in range(count)]
    recipients = [detail["email"] for detail in details]
    ids = [detail["reminder_id"] for detail in details]
    outcome = Outcome(
        "9. burst over SES's sending rate",
        f"{count} reminders due at once while SES accepts {rate:g} emails/s (the local quota answers"
        " 429 TooManyRequestsException above it)",
    )
    dead_before = _dead_letters(h)
    throttled_before = h.ses.injected["TooManyRequestsException"]
    invocations_before = len(h.local.workers[SEND].results)
    h.ses.limit(faults.ses_send_rate(rate))
    try:
        started = time.monotonic()
        h.put_events(typed("CartReminderDue", details))
        dead_after: dict[str, int] = {}

        def settled() -> bool:
            # Every reminder emailed or dead-lettered: the DLQ count is then the burst's whole loss.
            dead_after.update(_dead_letters(h))
            dead = sum(dead_after.values()) - sum(dead_before.values())
            return _missing(h.emails(), recipients) <= dead

        # The burst drains at the rate at best; the same again covers retries and waits.
        wait(settled, 2 * count / rate + OUTCOME_TIMEOUT_SECONDS)
        drained = time.monotonic() - started
        h.settle()
    finally:
        h.ses.limit(None)
    emails = h.emails()
    sent = Counter(detail["reminder_id"] for detail in h.bus_events("CartReminderSent"))
    dead = {name: dead_after.get(name, 0) - before for name, before in dead_before.items()}
    handed = sum(h.records_handed(SEND, rid) for rid in ids)
    # make capacity predicts with cartcost's durations of send_reminder on AWS; the same model at
    # the burst's local run time per record shows whether the local stack, not SES, set the pace.
    aws = Assumptions()
    run_seconds = sum(result.duration_ms for result in h.local.workers[SEND].results[invocations_before:]) / 1000
    local = replace(
        aws,
        duration_seconds={**aws.duration_seconds, SEND: 0.0},
        send_reminder_seconds_per_record=run_seconds / max(handed, 1),
    )
    predicted, predicted_locally = burst.drain(count, rate, aws), burst.drain(count, rate, local)
    outcome.figures = {
        "emails sent": sum(emails[r] for r in recipients),
        "CartReminderSent": sum(sent[rid] for rid in ids),
        "in a DLQ": sum(dead.values()),
        "SES 429 answers": h.ses.injected["TooManyRequestsException"] - throttled_before,
        "records handed to send_reminder (waits included)": handed,
        "drain s": round(drained, 1),
        "predicted drain s (make capacity)": round(predicted.seconds, 1),
        "local s per record": round(local.send_reminder_seconds_per_record, 2),
        "predicted drain s (local run time)": round(predicted_locally.seconds, 1),
        "emails/s": round(sum(emails[r] for r in recipients) / drained, 1),
    }
    outcome.lost = _missing(emails, recipients)
    outcome.duplicated = _extra(emails, recipients) + _extra(sent, ids)
    outcome.expect(sum(dead.values()) == 0, f"no reminder in any DLQ: {dead}")
    outcome.expect(
        abs(drained - predicted.seconds) <= DRAIN_TOLERANCE * predicted.seconds,
        f"drained in {drained:.1f} s, within {DRAIN_TOLERANCE:.0%} of make capacity's {predicted.line()}",
    )
    return outcome


# --- 10. a burst of adds over Scheduler's CreateSchedule rate ---------------------------------------


def dlq_alarm(dlq_url: str) -> str:
    """The alarm Terraform puts on a DLQ (terraform/modules/cartflow/alarms.tf, ``dlq_depth``)."""
    return f"{dlq_url.rsplit('/', 1)[-1]}-not-empty"


def create_schedule_burst(h: Harness, adds: int, rate: float) -> Outcome:
    h.quiesce()
    run = _run_id()
    # Five products per user: distinct (user, product) pairs, so every add creates a schedule.
    pairs = [(f"create-{run}-{i // 5}", f"sku-{i % 5}") for i in range(adds)]
    failures_dlq = h.dlq("async_failures")
    outcome = Outcome(
        "10. burst of adds over Scheduler's CreateSchedule rate",
        f"{adds} distinct (user, product) adds over HTTP, {CLIENTS} concurrent clients, while Scheduler accepts"
        f" {rate:g} CreateSchedule/s (429 ThrottlingException above it); an add whose retries (botocore's, then"
        f" Lambda's asynchronous ones) are exhausted waits in {failures_dlq.rsplit('/', 1)[-1]} (alarm"
        f" {dlq_alarm(failures_dlq)}) and `make redrive` puts it back on the bus",
    )
    dead_before = h.depth(failures_dlq)
    errors_before = len(h.function_errors(SCHEDULE))
    create = faults.throttle("scheduler", "CreateSchedule", rate)
    h.scheduler.limit(create)
    redrives: list[subprocess.CompletedProcess[str]] = []
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            replies = list(pool.map(lambda pair: _add(h, *pair), pairs))
        # Every add is scheduled or dead-lettered once nothing is pending (failed attempts wait in
        # the delivery queue): each attempt spends at most a few of botocore's backoffs.
        h.settle(4 * adds / rate + OUTCOME_TIMEOUT_SECONDS)
        drained = time.monotonic() - started
        dead = h.depth(failures_dlq) - dead_before
        # As an operator would: redrive again while the alarm still fires.
        while h.depth(failures_dlq) > dead_before and len(redrives) < REDRIVES:
            redrives.append(_redrive(h, failures_dlq, "--bus", h.settings["EVENT_BUS_ARN"]))
            h.settle(4 * dead / rate + OUTCOME_TIMEOUT_SECONDS)
    finally:
        h.scheduler.limit()
    users = sorted({user for user, _ in pairs})
    found = Counter(schedule["Name"] for user in users for schedule in h.schedules_of(user))
    expected = [schedules.schedule_name(user, product) for user, product in pairs]
    outcome.figures = {
        "adds accepted": f"{sum(reply.status == 200 for reply in replies)}/{adds}",
        "CreateSchedule requests": create.requests,
        "Scheduler 429 answers": create.throttled,
        "schedule_reminder attempts failed": len(h.function_errors(SCHEDULE)) - errors_before,
        "in the DLQ before redrive": dead,
        "redrives": len(redrives),
        "schedules": sum(found.values()),
        "pairs": len(pairs),
        "drain s": round(drained, 1),
    }
    outcome.lost = _missing(found, expected)
    outcome.duplicated = _extra(found, expected)
    outcome.expect(all(reply.status == 200 for reply in replies), "every add accepted")
    outcome.expect(create.throttled > 0, f"the burst went over {rate:g} CreateSchedule/s")
    outcome.expect(all(done.returncode == 0 for done in redrives), "every redrive succeeded")
    outcome.expect(h.depth(failures_dlq) == dead_before, "the DLQ is empty after the redrive")
    return outcome


# --- 11. checkouts over the listing design's ListSchedules rate -----------------------------------


def checkout_burst(h: Harness, users: int, products: int, list_rate: float) -> Outcome:
    h.quiesce()
    run = _run_id()
    # An account list_rate / ListSchedules' default the size of AWS's: each rate scaled alike.
    scale = list_rate / quota_models.table_rate("scheduler", "ListSchedules")
    held = {quota.operation.name: quota for quota in quota_models.table_quotas("scheduler", scale)}
    names = [f"checkout-{run}-{u}" for u in range(users)]
    pairs = [(user, f"sku-{p}") for user in names for p in range(products)]
    recipients = [f"{user}-{product}@example.com" for user, product in pairs]
    rates = ", ".join(f"{name} {quota.rate:g}/s" for name, quota in held.items())
    outcome = Outcome(
        "11. checkouts over the listing design's ListSchedules rate",
        f"{users} users add {products} items each (reminders due soon), then all check out at once, faster than"
        f" the earlier design's ListSchedules rate would let them; Scheduler's rates scaled by {scale:g}: {rates}",
    )
    # Time for the adds, then the checkouts, to be handled before the reminders fall due.
    fire_in = 15 + 0.25 * len(pairs) + 0.5 * users
    added_at = datetime.now(UTC) - timedelta(seconds=REMINDER_DELAY_SECONDS - fire_in)
    fires_at = time.monotonic() + fire_in
    adds = _adds(pairs, added_at)
    failures_dlq = h.dlq("async_failures")
    dead_before = h.depth(failures_dlq)
    h.scheduler.limit(*held.values())
    try:
        h.put_events(typed("ItemAddedToCart", adds))
        wait(lambda: h.records_handed(SCHEDULE, f"checkout-{run}-") >= len(pairs), OUTCOME_TIMEOUT_SECONDS)
        h.settle()
        scheduled = sum(len(h.schedules_of(user)) for user in names)
        checkouts = [cart_detail("CartCheckedOut", user=user) for user in names]
        started = time.monotonic()
        h.put_events(typed("CartCheckedOut", checkouts))
        offered = users / (time.monotonic() - started)
        handled = wait(lambda: h.records_handed(CANCEL, f"checkout-{run}-") >= users, OUTCOME_TIMEOUT_SECONDS)
        h.settle()
        before_due = time.monotonic() < fires_at
        left = sum(len(h.schedules_of(user)) for user in names)
        # Whatever was not cancelled fires by now: wait it out, and for its email.
        wait(lambda: time.monotonic() > fires_at + 10, fire_in + 20)
        h.settle()
    finally:
        h.scheduler.limit()
    emails = h.emails()
    sent = sum(emails[r] for r in recipients)
    dead = h.depth(failures_dlq) - dead_before
    outcome.figures = {
        "schedules before checkout": scheduled,
        "checkouts put on the bus /s": round(offered),
        "ListSchedules quota /s": f"{list_rate:g}",
        "ListSchedules calls": held["ListSchedules"].requests,
        **{f"{name} calls": held[name].requests for name in ("GetSchedule", "DeleteSchedule")},
        "Scheduler 429 answers": sum(quota.throttled for quota in held.values()),
        "checkouts in a DLQ": dead,
        "schedules left after checkout": left,
        "emails for checked-out carts": sent,
    }
    outcome.duplicated = sent
    outcome.lost = dead
    outcome.expect(scheduled == len(pairs), f"every add scheduled before the checkouts: {scheduled}/{len(pairs)}")
    outcome.expect(offered > list_rate, f"checkouts offered faster than {list_rate:g}/s")
    outcome.expect(handled and before_due, "every checkout handled before its reminders fell due")
    outcome.expect(left == 0, f"no schedule left after checkout: {left}")
    return outcome
