"""cartcapacity's arithmetic against cases worked by hand, its quota table, and the document it writes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cartcapacity import __main__ as cli
from cartcapacity import burst, calls, consumption, designs, doc, environment, model, quotas
from cartcapacity.calls import OPERATIONS, Call, Cart
from cartcost.assumptions import Assumptions

PROD = environment.read("prod")


def built(peak_factor: float = 1.0, items: int = 1) -> model.Capacity:
    return model.build(PROD, model.Shape(10.0, peak_factor, Cart(items)), Assumptions())


def row(capacity: model.Capacity, key: str) -> model.Row:
    [found] = [candidate for candidate in capacity.rows if candidate.quota.key == key]
    return found


def default(capacity: model.Capacity, key: str) -> float:
    value = row(capacity, key).quota.default
    assert value is not None
    return value


def test_a_per_second_quota_binds_at_its_default_over_the_peak_demand_of_an_add() -> None:
    capacity = built(peak_factor=2.0)
    # One GetSchedule per removal and per checkout (of one item), 0.2 and 0.1 of them per add, at twice the average.
    assert row(capacity, "scheduler_get_schedule").binds_at == pytest.approx(
        default(capacity, "scheduler_get_schedule") / ((0.2 + 0.1) * 2.0)
    )
    # PutEvents: the API's for each add, removal and checkout, then Scheduler's and send_reminder's per reminder.
    per_add = 1 + 0.2 + 0.1 + 2 * 0.7
    assert row(capacity, "eventbridge_put_events").binds_at == pytest.approx(
        default(capacity, "eventbridge_put_events") / (per_add * 2.0)
    )


def test_daily_and_held_quotas_see_the_average_rate() -> None:
    capacity = built(peak_factor=5.0)
    # 0.7 emails per add, over a day.
    assert row(capacity, "ses_daily").binds_at == pytest.approx(default(capacity, "ses_daily") / (0.7 * 86400))
    # Each add holds its schedule for prod's reminder delay.
    assert row(capacity, "scheduler_schedules").binds_at == pytest.approx(
        default(capacity, "scheduler_schedules") / PROD.delay_seconds
    )
    assert row(capacity, "scheduler_schedules").utilisation(10.0) == pytest.approx(
        10.0 * PROD.delay_seconds / default(capacity, "scheduler_schedules")
    )


def test_concurrency_is_the_rate_times_each_invocations_run_time() -> None:
    a = Assumptions()
    capacity = built()
    # prod's SES rate of 14/s paces send_reminder to 3 batches of 10 at a time (cartflow.pacing),
    # each sending at 14 / 3 per second: a full batch's sends start 3 / 14 s apart.
    per_batch = a.duration_seconds["send_reminder"] + 9 * 3 / 14 + a.send_reminder_seconds_per_record
    adds_and_cancels = a.duration_seconds["schedule_reminder"] + (0.2 + 0.1) * a.duration_seconds["cancel_reminders"]
    expected = adds_and_cancels + 0.7 * per_batch / 10
    assert row(capacity, "lambda_concurrency").per_add == pytest.approx(expected)
    mapping = PROD.deployed.queues["reminders"]
    assert (mapping.maximum_concurrency, mapping.batch_size) == (3, 10)
    assert default(capacity, "event_source_mapping reminders") == pytest.approx(3 * 10 / per_batch)


def test_a_bigger_cart_costs_its_checkout_a_read_and_a_delete_per_item_and_fewer_reminders() -> None:
    one, three = built(items=1), built(items=3)
    for key in ("scheduler_get_schedule", "scheduler_delete_schedule"):
        assert row(three, key).units["checkout"] == 3 * row(one, key).units["checkout"]
    assert row(three, "scheduler_list_schedules").units["checkout"] == 0
    assert three.shape.shares()["reminder"] == pytest.approx(1 - 0.2 - 0.3)


def test_the_first_binding_of_a_path_is_its_lowest_and_settings_only_when_asked() -> None:
    capacity = built()
    for name in OPERATIONS:
        used = [r for r in capacity.rows if r.units[name] and r.binds_at is not None]
        aws = capacity.first_binding(name, settings=False)
        assert aws is not None
        assert aws.adds_per_second == min(r.binds_at or 0.0 for r in used if r.quota.status != "setting")
        assert aws.operations_per_second == pytest.approx(aws.adds_per_second * capacity.shape.shares()[name])
        own = capacity.first_binding(name, settings=True)
        assert own is not None
        assert own.adds_per_second == min(r.binds_at or 0.0 for r in used)


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_on_the_reminder_path_ses_binds_before_any_other_quota_or_setting(name: str) -> None:
    # Its 24-hour quota at sustained rates, its sending rate first among the per-second quotas:
    # paced sending keeps the event source mapping, Lambda and Scheduler out of the way.
    env = environment.read(name)
    for peak_factor in (1.0, 10.0):
        capacity = model.build(env, model.Shape(1.0, peak_factor, Cart(1)), Assumptions())
        first = capacity.first_binding("reminder", settings=True)
        assert first is not None
        assert first.row.quota.service == "SES"
        per_second = capacity.first_binding("reminder", settings=True, measures=("per_second",))
        assert per_second is not None
        assert per_second.row.quota.key.startswith("ses_send_rate")


def test_the_sandbox_decides_which_ses_quotas_apply() -> None:
    dev = {key for key in quotas.load("eu-west-1", environment.read("dev").settings).quotas if key.startswith("ses")}
    prod = {key for key in quotas.load("eu-west-1", PROD.settings).quotas if key.startswith("ses")}
    assert dev == {"ses_send_rate_sandbox", "ses_daily_sandbox"}
    assert prod == {"ses_send_rate", "ses_daily"}


def test_every_quota_row_has_a_status_a_source_and_the_date_it_was_read() -> None:
    document = json.loads((quotas.TABLES / "eu-west-1.json").read_text(encoding="utf-8"))
    for key, raw in document["quotas"].items():
        assert raw["status"] in {"confirmed", "unverified"}, key
        assert raw["source"].strip(), key
        assert raw["measure"] in quotas.MEASURES, key
        assert date.fromisoformat(raw["read"]), key


def test_every_quota_the_calls_consume_is_a_row_of_the_table() -> None:
    document = json.loads((quotas.TABLES / "eu-west-1.json").read_text(encoding="utf-8"))
    known = set(document["quotas"]) | set(environment.setting_quotas(PROD, Assumptions()))
    for design in designs.DESIGNS:
        for name in OPERATIONS:
            consumed = consumption.units(design.calls_of(name, Cart(2)), PROD, Assumptions())
            assert set(consumed) <= known, (design.name, name)


def test_a_call_the_model_does_not_know_is_an_error() -> None:
    with pytest.raises(consumption.ConsumptionError, match="scheduler:TagResource"):
        consumption.units([Call("cancel_reminders", "scheduler:TagResource", 1)], PROD, Assumptions())


def test_each_operation_reaches_the_function_the_contract_routes_it_to() -> None:
    assert {name: calls.handler(name) for name in OPERATIONS} == {
        "add": "schedule_reminder",
        "removal": "cancel_reminders",
        "checkout": "cancel_reminders",
        "reminder": "send_reminder",
    }
    # CartReminderSent matches no rule: the reminder's second event invokes nothing.
    assert calls.deliveries("CartReminderSent") == []


def test_only_the_earlier_design_lists_at_checkout() -> None:
    for design in designs.DESIGNS:
        actions = {call.action for call in design.calls_of("checkout", Cart(2))}
        assert ("scheduler:ListSchedules" in actions) == (design.calls_of is designs.listing), design.name
    # A cart of one page more than ListSchedules answers needs two pages.
    listed = designs.listing("checkout", Cart(designs.LIST_PAGE + 1))
    assert sum(call.count for call in listed if call.action == "scheduler:ListSchedules") == 2
    dropped = designs.drop_at_send("checkout", Cart(2))
    # Each of the two items' schedules still fires once, and send_reminder reads the checkout record.
    assert sum(call.count for call in dropped if call.action == "scheduler:Invocation") == 2
    assert sum(call.count for call in dropped if call.action == "dynamodb:GetItem") == 2


def test_an_unknown_environment_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--env", "qa"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: unknown environment 'qa'")
    assert error.count("\n") == 1


def test_docs_capacity_md_is_what_make_capacity_doc_writes() -> None:
    text = doc.markdown(doc.capacity(PROD))
    drifted = "docs/capacity.md drifted from cartcapacity: run make capacity-doc"
    assert doc.DOC.read_text(encoding="utf-8") == text, drifted


def test_a_burst_drains_at_the_ses_rate_when_the_mapping_carries_more() -> None:
    drained = burst.drain(500, 14.0, Assumptions())

    assert drained.mapping_rate > 14.0
    assert drained.seconds == pytest.approx(500 / 14)
    assert drained.line() == (
        "a burst of 500 due reminders drains in about 35.7 s (bound: SES's maximum send rate, 14 emails/s)"
    )


def test_a_burst_drains_at_the_mappings_rate_when_its_batches_run_slower_than_ses_sends() -> None:
    slow = Assumptions(send_reminder_seconds_per_record=1.0)
    drained = burst.drain(500, 14.0, slow)

    # 14/s paces the mapping to 3 batches of 10 at a time (cartflow.pacing), each running 10.03 s.
    assert drained.mapping_rate == pytest.approx(3 * 10 / 10.03)
    assert drained.seconds == pytest.approx(500 * 10.03 / 30)
    assert "bound: event_source_mapping reminders, 3.0 records/s" in drained.line()


def test_make_capacity_burst_prints_the_drain_at_the_environments_ses_rate(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--env", "prod", "--burst", "500"]) == 0

    rate = float(PROD.settings["ses_max_send_rate"])
    assert capsys.readouterr().out.endswith(burst.drain(500, rate, Assumptions()).line() + "\n")
