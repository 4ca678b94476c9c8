"""Paced sending: the event source mapping derived from SES's rate, the pacer, the growing waits."""

from __future__ import annotations

import pytest

from cartflow import contract, pacing


@pytest.mark.parametrize(
    ("rate", "batch_size", "concurrency"),
    [
        (1, 7, 2),  # the sandbox: the minimum concurrency, each invocation at half a send per second
        (14, 10, 3),  # a new production account
        (100, 10, 20),
    ],
)
def test_the_event_source_mapping_follows_the_sending_rate(rate: int, batch_size: int, concurrency: int) -> None:
    source = pacing.event_source("reminders", rate)
    assert (source.batch_size, source.maximum_concurrency) == (batch_size, concurrency)


@pytest.mark.parametrize("rate", [1, 2, 5, 14, 50, 1000])
def test_all_invocations_together_never_send_faster_than_the_rate_nor_outlast_their_timeout(rate: int) -> None:
    source = pacing.event_source("reminders", rate)
    assert source.maximum_concurrency * source.sends_per_second == pytest.approx(rate)
    timeout = contract.function_spec("send_reminder")["timeout"]
    assert source.batch_size * source.send_interval_seconds <= timeout / 2 or source.batch_size == 1
    assert 2 <= source.maximum_concurrency <= 1000


def test_the_pacer_spaces_calls_by_the_interval_and_lets_the_first_go_at_once() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = pacing.Pacer(0.25, clock=lambda: now[0], sleep=sleep)
    pacer.wait()
    pacer.wait()
    now[0] += 0.1
    pacer.wait()
    now[0] += 1.0  # idle longer than the interval: no wait
    pacer.wait()
    assert slept == [0.25, pytest.approx(0.15)]


def test_each_wait_doubles_up_to_the_longest_message_timer() -> None:
    assert [pacing.deferral_delay(n) for n in range(12)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert pacing.deferral_delay(10_000) == pacing.MAX_DELAY_SECONDS == 900


def test_the_reminder_queue_is_paced_by_the_ses_rate_setting() -> None:
    assert pacing.consumed_by("send_reminder") == "reminders"
    assert pacing.rate_setting("reminders") == "SES_MAX_SEND_RATE"
    assert "SES_MAX_SEND_RATE" in contract.function_spec("send_reminder")["environment"]
