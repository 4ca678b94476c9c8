"""Alarms and dashboard: every metric and dimension is one AWS documents, or exactly what Powertools emits.

An alarm on a misspelt metric or a dimension the service never sends stays OK forever, so each
AWS metric below is the documented (namespace, name) with its documented dimension names
(sources in docs/aws-fidelity.md, "Events, replay and observability"), and the custom metrics are
compared with the EMF a function really prints.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cartcost.deployment import contract_alarms, resources
from cartflow import contract
from cartlocal.errors import LocalError
from cartlocal.iam import contract_module
from reliability import scenarios
from tests.helpers.events import cart_detail, deliver
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.terraform import DEPLOYMENT, evaluate_contract

ROOT = Path(__file__).resolve().parents[2]
RULE = frozenset({"EventBusName", "RuleName"})  # a rule on a custom bus: both dimensions
DOCUMENTED: dict[tuple[str, str], frozenset[str]] = {
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
    ("AWS/Events", "Invocations"): RULE,
    ("AWS/Events", "FailedInvocations"): RULE,
    ("AWS/Events", "InvocationsSentToDlq"): RULE,
    # https://docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html
    ("AWS/Scheduler", "InvocationAttemptCount"): frozenset({"ScheduleGroup"}),
    ("AWS/Scheduler", "TargetErrorCount"): frozenset({"ScheduleGroup"}),
    ("AWS/Scheduler", "InvocationDroppedCount"): frozenset({"ScheduleGroup"}),
    ("AWS/Scheduler", "InvocationsSentToDeadLetterCount"): frozenset({"ScheduleGroup"}),
    # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    ("AWS/Lambda", "Invocations"): frozenset({"FunctionName"}),
    ("AWS/Lambda", "Errors"): frozenset({"FunctionName"}),
    ("AWS/Lambda", "Throttles"): frozenset({"FunctionName"}),
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): frozenset({"QueueName"}),
    ("AWS/SQS", "ApproximateAgeOfOldestMessage"): frozenset({"QueueName"}),
}


@pytest.fixture(scope="module")
def outputs() -> dict[str, Any]:
    return evaluate_contract()


@pytest.fixture(scope="module")
def emitted_by_code() -> set[str]:
    """Every custom metric name the functions can emit (literal names and Schedules<Outcome>)."""
    names: set[str] = set()
    for path in sorted((ROOT / "functions").glob("*/app.py")):
        source = path.read_text()
        names |= set(re.findall(r'add_metric\(name="([A-Za-z]+)"', source))
        if 'name=f"Schedules{outcome.capitalize()}"' in source:
            outcomes = re.findall(r'(?:outcome = |return )"([a-z]+)"', source)
            names |= {f"Schedules{outcome.capitalize()}" for outcome in outcomes}
    names.add("InvalidEvents")  # cartflow.parsing.reject, shared by every function
    return names


def _emf(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_every_aws_alarm_watches_a_documented_metric_with_its_documented_dimensions(outputs: dict[str, Any]) -> None:
    custom = contract.stack()["settings"]["POWERTOOLS_METRICS_NAMESPACE"]["default"]
    for key, alarm in outputs["alarms"].items():
        if alarm["namespace"] == custom:
            continue
        assert (alarm["namespace"], alarm["metric"]) in DOCUMENTED, key
        assert set(alarm["dimensions"]) == DOCUMENTED[alarm["namespace"], alarm["metric"]], key


def test_alarms_cover_each_rule_the_schedule_group_and_the_custom_failures(outputs: dict[str, Any]) -> None:
    alarms = outputs["alarms"].values()
    watched = {(a["namespace"], a["metric"], a["dimensions"].get("RuleName", "")) for a in alarms}
    for rule, name in outputs["names"]["rules"].items():
        assert ("AWS/Events", "FailedInvocations", name) in watched, rule
        assert ("AWS/Events", "InvocationsSentToDlq", name) in watched, rule
    scheduler = {a["metric"] for a in alarms if a["namespace"] == "AWS/Scheduler"}
    assert scheduler == {"TargetErrorCount", "InvocationDroppedCount"}
    assert all(
        a["dimensions"] == {"ScheduleGroup": outputs["names"]["schedule_group"]}
        for a in alarms
        if a["namespace"] == "AWS/Scheduler"
    )
    custom = {a["metric"] for a in alarms if not a["namespace"].startswith("AWS/")}
    assert custom == {"InvalidEvents", "EmailsRejected", "SendingPaused"}
    # make cost counts them without Terraform: the same number.
    assert len(outputs["alarms"]) == contract_alarms()


def test_the_custom_alarms_match_the_emf_a_function_prints(
    outputs: dict[str, Any], stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = load_function("schedule_reminder")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", cart_detail("ItemAddedToCart"))
    with pytest.raises(Exception, match="quantity"):
        app.handler(
            {**envelope, "detail": {**envelope["detail"], "quantity": 0}}, FakeLambdaContext("schedule_reminder")
        )
    [record] = [r for r in _emf(capsys.readouterr().out) if "InvalidEvents" in r]
    [directive] = record["_aws"]["CloudWatchMetrics"]
    alarm = outputs["alarms"]["invalid-events"]
    assert alarm["namespace"] == directive["Namespace"]
    [dimension_names] = directive["Dimensions"]
    assert alarm["dimensions"] == {name: record[name] for name in dimension_names}


def test_the_dashboard_shows_every_function_queue_rule_and_the_schedule_group(
    outputs: dict[str, Any], emitted_by_code: set[str]
) -> None:
    widgets = json.loads(outputs["dashboard_body"])["widgets"]
    shown: dict[str, set[str]] = {}
    custom = contract.stack()["settings"]["POWERTOOLS_METRICS_NAMESPACE"]["default"]
    for widget in widgets:
        for namespace, metric, *pairs in widget["properties"]["metrics"]:
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            if namespace == custom:
                assert metric in emitted_by_code, metric
            else:
                assert set(dimensions) == DOCUMENTED[namespace, metric], (namespace, metric)
            for value in dimensions.values():
                shown.setdefault(namespace, set()).add(value)
    names = outputs["names"]
    assert set(names["functions"].values()) <= shown["AWS/Lambda"]
    queues = {*names["queues"].values(), *names["queue_dlqs"].values()}
    queues |= {names["scheduler_dlq"], names["rule_target_dlq"], names["async_failure_dlq"]}
    assert queues <= shown["AWS/SQS"]
    assert set(names["rules"].values()) <= shown["AWS/Events"]
    assert names["schedule_group"] in shown["AWS/Scheduler"]


def _custom_metrics(outputs: dict[str, Any]) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """(namespace, metric, dimensions) of every custom metric the alarms and the dashboard watch."""
    watched = {
        (alarm["namespace"], alarm["metric"], tuple(sorted(alarm["dimensions"].items())))
        for alarm in outputs["alarms"].values()
        if not alarm["namespace"].startswith("AWS/")
    }
    for widget in json.loads(outputs["dashboard_body"])["widgets"]:
        for namespace, metric, *pairs in widget["properties"]["metrics"]:
            if not namespace.startswith("AWS/"):
                watched.add((namespace, metric, tuple(sorted(zip(pairs[::2], pairs[1::2], strict=True)))))
    return watched


def test_each_environment_watches_only_the_custom_metrics_its_own_functions_emit() -> None:
    """dev, staging and prod share an account and region, so a custom metric shared by two of them
    would let dev's rejections page prod: each stack's functions emit under a `service` dimension of
    their own (the stack's name), and its alarms and dashboard watch exactly that."""
    outputs = {
        environment: contract_module.evaluate(
            {**DEPLOYMENT, "name": f"cartflow-{environment}"}, ("alarms", "dashboard_body", "environment")
        )
        for environment in ("dev", "prod")
    }
    watched = {environment: _custom_metrics(values) for environment, values in outputs.items()}
    assert watched["dev"] & watched["prod"] == set(), "dev and prod watch the same custom metrics"
    for environment, values in outputs.items():
        emitted = {
            (settings["POWERTOOLS_METRICS_NAMESPACE"], (("service", settings["POWERTOOLS_SERVICE_NAME"]),))
            for settings in values["environment"].values()
        }
        assert emitted == {("cartflow", (("service", f"cartflow-{environment}"),))}
        assert {(namespace, dimensions) for namespace, _, dimensions in watched[environment]} == emitted


def test_a_deployment_cannot_give_two_environments_one_service_name() -> None:
    with pytest.raises(LocalError, match="may not set POWERTOOLS_SERVICE_NAME"):
        contract_module.evaluate(
            {**DEPLOYMENT, "setting_values": {**DEPLOYMENT["setting_values"], "POWERTOOLS_SERVICE_NAME": "cartflow"}},
            ("environment",),
        )


def test_the_dlq_alarm_reliability_names_is_terraform_s_alarm_on_the_async_failures_dlq() -> None:
    module = ROOT / "terraform" / "modules" / "cartflow"
    [dlq_alarm] = [
        alarm
        for alarm in resources(module, "aws_cloudwatch_metric_alarm")
        if alarm.get("for_each") == "${local.dead_letter_queues}"
    ]
    watched = (module / "sqs.tf").read_text(encoding="utf-8")

    assert "async_failure_dlq = aws_sqs_queue.async_failure_dlq.name" in watched
    assert dlq_alarm["alarm_name"].replace("${each.value}", "s-async-failures-dlq") == scenarios.dlq_alarm(
        "http://127.0.0.1/000000000000/s-async-failures-dlq"
    )
