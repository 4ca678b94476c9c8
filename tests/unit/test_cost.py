"""cartcost's arithmetic against cases computed by hand, and the settings it reads per environment."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cartcost import __main__ as cli
from cartcost import deployment, doc, prices
from cartcost.assumptions import SECONDS_PER_MONTH, Assumptions
from cartcost.deployment import Deployment, Function, Queue
from cartcost.estimate import by_component, price_lines
from cartcost.prices import Price, PriceTable
from cartcost.usage import Traffic, batches, compute, default_traffic, sampled_traces

# Every key the estimate prices, at $1 a unit, then the figures the hand computations use.
UNIT_PRICES = {key: Price(1.0, 1, "units", "unverified", "test") for key in prices.load("eu-west-1").prices}
PRICES = PriceTable(
    region="test-1",
    as_of="2026-11-29",
    prices={
        **UNIT_PRICES,
        "lambda_request": Price(0.20, 1_000_000, "requests", "unverified", "test"),
        "lambda_gb_second_x86_64": Price(0.0000166667, 1, "GB-seconds", "unverified", "test"),
        "lambda_gb_second_arm64": Price(0.0000133334, 1, "GB-seconds", "unverified", "test"),
        "api_rest_request": Price(3.50, 1_000_000, "requests", "unverified", "test"),
        "ses_email": Price(0.10, 1000, "emails", "unverified", "test"),
    },
    free_units={"lambda_request": 1_000_000, "lambda_gb_second": 400_000},
)
# Every duration is known, no cold start: the GB-seconds below are computed by hand.
PLAIN = Assumptions(
    duration_seconds={"schedule_reminder": 0.1, "cancel_reminders": 0.1, "send_reminder": 0.1},
    send_reminder_seconds_per_record=0.2,
    cold_start_share=0.0,
)


def stack(schedule_arch: str = "arm64") -> Deployment:
    return Deployment(
        environment="test",
        region="test-1",
        api="rest",
        functions={
            "schedule_reminder": Function("schedule_reminder", 512, schedule_arch, 10),
            "cancel_reminders": Function("cancel_reminders", 512, "arm64", 30),
            "send_reminder": Function("send_reminder", 512, "arm64", 30),
        },
        queues={"reminders": Queue("send_reminder", 10, 1, 5, 5.0)},
        log_retention_days=30,
        archive_retention_days=30,
        alarms=0,
        kms_keys=0,
        dashboards=0,
        tracing=False,
    )


def test_a_price_is_per_its_unit_count() -> None:
    assert PRICES["api_rest_request"].of(1_300_000) == pytest.approx(4.55)
    assert PRICES["ses_email"].of(700_000) == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (700_000, 700_000),  # 0.27 a second: every 1 s window holds one record
        (20_000_000, SECONDS_PER_MONTH),  # 7.7 a second: one batch per window
        (100_000_000, 10_000_000),  # 38.6 a second: batches are full at 10
        (0, 0),
    ],
)
def test_batches_fill_with_the_arrival_rate_up_to_the_batch_size(records: int, expected: float) -> None:
    assert batches(records, batch_size=10, window_seconds=1) == pytest.approx(expected)


def test_xray_records_the_reservoir_then_five_percent() -> None:
    assert sampled_traces(SECONDS_PER_MONTH, Assumptions()) == pytest.approx(SECONDS_PER_MONTH)
    # 10 a second: 1 + 0.05 x 9 = 1.45 recorded a second.
    assert sampled_traces(10 * SECONDS_PER_MONTH, Assumptions()) == pytest.approx(1.45 * SECONDS_PER_MONTH)


def test_lambda_of_one_million_adds_by_hand() -> None:
    traffic = Traffic(adds=1_000_000, removes=100_000, checkouts=0)
    assert traffic.reminders == 900_000
    usage = compute(stack(), traffic, PLAIN)
    # schedule 1M x 0.1 s x 0.5 GB = 50,000; cancel 100k x 0.1 x 0.5 = 5,000;
    # send 900k batches x 0.1 x 0.5 + 900k records x 0.2 x 0.5 = 45,000 + 90,000.
    assert usage.units["lambda_gb_second_arm64"] == pytest.approx(190_000)
    assert usage.units["lambda_gb_second_x86_64"] == 0
    assert usage.units["lambda_request"] == 2_000_000
    # Every invocation at its timeout: (1M x 10 + 100k x 30 + 900k x 30) x 0.5 GB.
    assert usage.ceiling_gb_seconds == pytest.approx(20_000_000)
    costs = {line.key: line.cost for line in price_lines(usage, PRICES, free_tier=False)}
    assert costs["lambda_gb_second_arm64"] == pytest.approx(190_000 * 0.0000133334)  # $2.533346
    assert costs["lambda_request"] == pytest.approx(0.40)
    assert costs["ses_email"] == pytest.approx(90.0)
    assert costs["api_rest_request"] == pytest.approx(3.85)
    assert by_component(price_lines(usage, PRICES, free_tier=False))["Lambda"] == pytest.approx(2.933346)


def test_free_tier_is_one_allowance_shared_by_both_architectures() -> None:
    usage = compute(stack(schedule_arch="x86_64"), Traffic(adds=4_000_000, removes=0, checkouts=0), PLAIN)
    # schedule_reminder on x86_64: 4M x 0.1 x 0.5 = 200,000 GB-s; send_reminder on arm64:
    # 4M records arrive at 1.54 a second, so 4M / 1.5432 = 2,592,000 batches:
    # 2,592,000 x 0.1 x 0.5 + 4M x 0.2 x 0.5 = 129,600 + 400,000 = 529,600 GB-s.
    assert usage.units["lambda_gb_second_x86_64"] == pytest.approx(200_000)
    assert usage.units["lambda_gb_second_arm64"] == pytest.approx(529_600)
    billed = {line.key: line.billed_units for line in price_lines(usage, PRICES, free_tier=True)}
    # 400,000 free GB-s: 200,000 go to x86_64 (listed first), the other 200,000 to arm64.
    assert billed["lambda_gb_second_x86_64"] == 0
    assert billed["lambda_gb_second_arm64"] == pytest.approx(329_600)
    # 4M + 2,592,000 invocations, 1M of them free.
    assert billed["lambda_request"] == pytest.approx(5_592_000)


def test_an_environment_is_read_from_its_tfvars_the_defaults_and_the_module() -> None:
    dev, staging = deployment.read("dev"), deployment.read("staging")
    assert (dev.log_retention_days, dev.archive_retention_days) == (14, 7)  # dev's terraform.tfvars
    assert staging.log_retention_days == 30  # the module default: staging does not set it
    # 4 DLQ alarms (reminders, scheduler, rule targets, async failures), 3 function alarms, the API's 5xx,
    # the reminder queue's oldest-message age, and the contract's 11 (two per rule, InvalidEvents,
    # EmailsRejected, SendingPaused, Scheduler's two); one dashboard.
    assert (dev.alarms, dev.kms_keys, dev.dashboards, dev.tracing) == (20, 1, 1, True)
    assert {fn.architecture for fn in dev.functions.values()} == {"arm64"}


def test_an_unknown_environment_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--env", "qa"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: unknown environment 'qa'")
    assert error.count("\n") == 1


def test_snapstart_bills_one_cached_version_per_function_and_restores_instead_of_init() -> None:
    traffic = Traffic(adds=1_000_000, removes=100_000, checkouts=0)
    a = Assumptions(
        duration_seconds={"schedule_reminder": 0.1, "cancel_reminders": 0.1, "send_reminder": 0.1},
        send_reminder_seconds_per_record=0.2,
        cold_start_share=0.1,
        init_seconds=1.0,
        restore_seconds=0.2,
    )
    off = compute(stack(), traffic, a)
    on = compute(replace(stack(), snapstart=True), traffic, a)
    assert off.units["lambda_snapstart_cache"] == off.units["lambda_snapstart_restore"] == 0
    # Three functions of 0.5 GB cached for the month: 1.5 GB x 2,592,000 s.
    assert on.units["lambda_snapstart_cache"] == pytest.approx(3_888_000)
    # 2,000,000 invocations (1M + 100k + 900k batches), a tenth cold, 0.5 GB each.
    assert on.units["lambda_snapstart_restore"] == pytest.approx(100_000)
    # The 200,000 cold starts bill 0.2 s instead of 1.0 s at 0.5 GB: 80,000 GB-s less.
    assert off.units["lambda_gb_second_arm64"] - on.units["lambda_gb_second_arm64"] == pytest.approx(80_000)


def test_docs_cost_md_is_what_make_cost_doc_writes() -> None:
    deployed = deployment.read("prod")
    text = doc.markdown(deployed, default_traffic(1_000_000), prices.load(deployed.region))
    assert doc.DOC.read_text(encoding="utf-8") == text, "docs/cost.md drifted from cartcost: run make cost-doc"
