"""The reliability scenarios at a small size, so `make test` keeps them honest.

Each must lose nothing, duplicate nothing and meet its own expectations; the full-size run
(`make reliability`) publishes the figures. The timeout paths wait out real function timeouts
(10 s and 30 s), so only the full run exercises them. Scenario 9 (a burst over SES's sending
rate) runs a small burst: its drain-time expectation is the full run's, as a small burst's drain
is within the noise of a loaded machine. Scenario 10 runs at a rate its small burst exceeds but
botocore's retries absorb: its DLQ and redrive path needs the full run's lower rate. Scenario 11
(checkouts over the listing design's rate) waits for reminders to fall due, so only the full run
has it.
"""

from __future__ import annotations

import json
import uuid

import pytest

from cartlocal.local_aws import fault_proxy as faults
from reliability import scenarios
from reliability.harness import Harness, Outcome

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]


def held(outcome: Outcome) -> None:
    print(outcome.summary())
    assert outcome.failures == []
    assert (outcome.lost, outcome.duplicated) == (0, 0)


def test_bad_input_is_rejected_with_the_field_named_and_puts_no_event(harness: Harness) -> None:
    outcome = scenarios.bad_input(harness, 60)

    held(outcome)
    assert outcome.figures["5xx"] == 0
    assert outcome.figures["events for rejected requests"] == 0


def test_a_poison_message_reaches_the_dlq_without_blocking_its_batch(harness: Harness) -> None:
    held(scenarios.poison(harness, 4))


def test_an_ses_outage_dead_letters_and_a_redrive_emails_each_reminder_once(harness: Harness) -> None:
    outcome = scenarios.ses_outage(harness, 3)

    held(outcome)
    assert outcome.figures["emails during the outage"] == 0


def test_crashing_consumers_are_retried_then_dead_lettered_and_others_are_served(harness: Harness) -> None:
    held(scenarios.crashes(harness, timeouts=False))


def test_every_event_and_message_twice_out_of_order_gives_one_schedule_and_one_email(harness: Harness) -> None:
    held(scenarios.at_least_once(harness, users=2, products=2))


def test_load_schedules_every_distinct_pair_once(harness: Harness) -> None:
    held(scenarios.load(harness, adds=40, users=5, products=4))


def test_removals_and_checkouts_delivered_before_late_adds_leave_no_schedule_and_no_email(harness: Harness) -> None:
    outcome = scenarios.cancelled_before_late_adds(harness, users=2, products=2)

    held(outcome)
    assert outcome.figures["schedules"] == 0


def test_replaying_a_whole_journey_sends_and_schedules_nothing_again(harness: Harness) -> None:
    outcome = scenarios.replayed_journey(harness, users=2)

    held(outcome)
    assert outcome.figures["users whose later add kept its schedule"] == 2


def test_a_burst_of_adds_over_the_create_schedule_rate_schedules_each_pair_once(harness: Harness) -> None:
    outcome = scenarios.create_schedule_burst(harness, adds=8, rate=2)

    held(outcome)
    assert outcome.figures["schedules"] == 8


def test_a_burst_of_due_reminders_is_emailed_once_each_through_concurrent_invocations(harness: Harness) -> None:
    outcome = scenarios.ses_rate_burst(harness, 40)

    print(outcome.summary())
    assert (outcome.lost, outcome.duplicated) == (0, 0)
    assert outcome.figures["in a DLQ"] == 0
    assert outcome.figures["CartReminderSent"] == 40


def test_a_scenario_fed_a_loss_a_duplicate_and_a_redelivery_reports_each(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The judge itself: a run that went wrong through the real stack must not hold.

    SES fails one valid reminder's email with a server error each time (a loss, and, the error
    being transient, its message is received again: the scenario's "not redelivered" expectation
    misses), and a second email reaches another recipient (a duplicate). The poison scenario must
    count both and fail that expectation.
    """
    run = f"judge{uuid.uuid4().hex[:4]}"
    monkeypatch.setattr(scenarios, "_run_id", lambda: run)
    # Waits for every email, which a loss never brings: bounded shorter than a real run's.
    monkeypatch.setattr(scenarios, "OUTCOME_TIMEOUT_SECONDS", 20.0)
    lost, doubled = f"poison-ok-{run}-1@example.com", f"poison-ok-{run}-0@example.com"
    harness.local.client("sesv2").send_email(
        FromEmailAddress=harness.settings["SENDER_EMAIL"],
        Destination={"ToAddresses": [doubled]},
        Content={"Simple": {"Subject": {"Data": "an earlier copy"}, "Body": {"Text": {"Data": "sku-1"}}}},
    )
    harness.ses.inject(faults.server_error(lost.encode()))
    try:
        outcome = scenarios.poison(harness, 3)
    finally:
        harness.ses.inject()
        harness.settle()
        harness.take(harness.dlq("reminders"), lambda body: run in json.dumps(body))

    print(outcome.summary())
    assert not outcome.ok
    assert (outcome.lost, outcome.duplicated) == (1, 1)
    assert outcome.failures == ["valid messages were not redelivered because of the poison"]
    assert outcome.summary().startswith("FAIL 6. poison message")
