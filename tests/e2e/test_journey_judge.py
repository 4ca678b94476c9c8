"""The demo journey is a judge (cartlocal.journey): fed a run that went wrong, it must say so.

Each test runs the real journey on one local stack while the run is made to go wrong in one way:
a reminder lost (SES refuses every email), a reminder duplicated (a second CartReminderDue for
the customer reaches the queue), or a missed cancellation (the reminder fires before the
removal, as a short delay made it do). The journey must fail exactly the expectations that
fault breaks, and hold the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cartlocal.journey import DELAY_SECONDS, EMAIL, STEP_TIMEOUT_SECONDS, USER, Expectation, Journey, wait_for
from cartlocal.local_aws import fault_proxy as faults
from cartlocal.local_aws.fault_proxy import FaultProxy
from cartlocal.local_stack import LocalStack, Options
from tests.helpers.events import valid_detail

pytestmark = pytest.mark.e2e

# Retry back-off and visibility timeouts become ~1 s each, so a refused reminder is dead-lettered soon.
TIME_SCALE = 1 / 360
EMAIL_EXPECTATION = "exactly one reminder email after the delay"
CHECKOUT_EXPECTATION = "checkout cancels the remaining reminders (no more emails)"
REMOVE_EXPECTATION = "remove deletes the schedule"


@pytest.fixture(scope="module")
def ses() -> Iterator[FaultProxy]:
    proxy = FaultProxy()
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def local(built_dist: Path, tmp_path_factory: pytest.TempPathFactory, ses: FaultProxy) -> Iterator[LocalStack]:
    options = Options(
        dist=built_dist,
        workdir=tmp_path_factory.mktemp("judge"),
        name="cartflow-judge",
        reminder_delay_seconds=DELAY_SECONDS,
        time_scale=TIME_SCALE,
        extra_environment={"send_reminder": {"AWS_ENDPOINT_URL_SESV2": ses.url}},
    )
    with LocalStack(options) as running:
        assert running.moto is not None
        ses.upstream = running.moto.url
        yield running


@pytest.fixture
def quiet(local: LocalStack, ses: FaultProxy) -> Iterator[None]:
    """Each run starts and ends on a quiet stack: no schedule of the customer, nothing queued."""
    ses.inject()
    assert Journey(local, DELAY_SECONDS).settled()
    yield
    ses.inject()
    assert Journey(local, DELAY_SECONDS).settled()


def failed(expectations: list[Expectation]) -> dict[str, str]:
    return {e.description: e.observed for e in expectations if not e.held}


@pytest.mark.usefixtures("quiet")
def test_a_lost_reminder_fails_the_email_expectations(local: LocalStack, ses: FaultProxy) -> None:
    ses.inject(faults.rejected())
    expectations = Journey(local, DELAY_SECONDS).run()

    assert len(expectations) == 7
    assert set(failed(expectations)) == {EMAIL_EXPECTATION, CHECKOUT_EXPECTATION}, failed(expectations)
    assert "0 email(s) in total" in failed(expectations)[CHECKOUT_EXPECTATION]
    assert ses.injected["MessageRejected"] >= 1


class DuplicatingJourney(Journey):
    """The journey, while a second reminder for the customer reaches the queue with the one it fires."""

    duplicating = False

    def add(self, product: str) -> tuple[int, dict[str, Any]]:
        answer = super().add(product)
        if self.duplicating:
            assert self.local.stack is not None
            detail = {**valid_detail("CartReminderDue"), "user": USER, "product": "sku-again", "email": EMAIL}
            entry = {
                "EventBusName": self.local.stack.settings["EVENT_BUS_ARN"],
                "Source": "cartflow.reminders",
                "DetailType": "CartReminderDue",
                "Detail": json.dumps(detail),
            }
            assert self.local.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0
        return answer

    def add_it_again_and_get_reminded(self) -> None:
        self.duplicating = True
        try:
            super().add_it_again_and_get_reminded()
        finally:
            self.duplicating = False


@pytest.mark.usefixtures("quiet")
def test_a_duplicated_reminder_fails_the_email_expectations(local: LocalStack) -> None:
    expectations = DuplicatingJourney(local, DELAY_SECONDS).run()

    assert set(failed(expectations)) == {EMAIL_EXPECTATION, CHECKOUT_EXPECTATION}, failed(expectations)
    assert "2 email(s) in total" in failed(expectations)[CHECKOUT_EXPECTATION]


class LateRemovalJourney(Journey):
    """The journey, with the reminder firing before the removal (what a short delay risks)."""

    def remove_the_item(self) -> None:
        assert self.local.scheduler is not None
        self.local.scheduler.fire_now(self.name)
        assert wait_for(lambda: not self.schedules(), STEP_TIMEOUT_SECONDS)
        assert self.settled()  # its email is out before the removal, not counted as the next step's
        super().remove_the_item()


@pytest.mark.usefixtures("quiet")
def test_a_reminder_that_fired_before_the_removal_fails_the_removal(local: LocalStack) -> None:
    expectations = LateRemovalJourney(local, DELAY_SECONDS).run()

    assert set(failed(expectations)) == {REMOVE_EXPECTATION}, failed(expectations)
    assert "cancel_reminders answered ['absent']" in failed(expectations)[REMOVE_EXPECTATION]


@pytest.mark.usefixtures("quiet")
def test_the_same_stack_without_a_fault_holds_every_expectation(local: LocalStack) -> None:
    assert failed(Journey(local, DELAY_SECONDS).run()) == {}
