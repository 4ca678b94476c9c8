"""`make local QUOTAS=default`: the functions' SES, Scheduler and EventBridge calls held to AWS's rates."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest

from cartcost import deployment
from cartflow import contract
from cartlocal import cli
from cartlocal.local_aws import quotas as quota_models
from cartlocal.local_aws.quotas import ENDPOINT_VARIABLES, ROUTES, Quotas

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def test_the_default_model_holds_ses_to_the_rate_send_reminder_paces_itself_by() -> None:
    quotas = Quotas("default")
    assert quotas.rate == float(contract.stack()["settings"]["SES_MAX_SEND_RATE"]["default"])
    assert quotas.environment["send_reminder"]["AWS_ENDPOINT_URL_SESV2"] == quotas.ses.url


def test_the_default_model_holds_scheduler_and_put_events_to_the_quota_table_s_rates() -> None:
    quotas = Quotas("default")

    assert quota_models.table_rate("scheduler", "CreateSchedule") == 5000
    assert quota_models.table_rate("scheduler", "ListSchedules") == 50
    assert quota_models.table_rate("events", "PutEvents") == 10000
    assert {
        f"{quota.operation.name} {quota.rate:g}" for quota in quota_models.table_quotas("scheduler", scale=0.02)
    } == {"CreateSchedule 100", "GetSchedule 20", "UpdateSchedule 20", "DeleteSchedule 20", "ListSchedules 1"}
    assert quotas.environment == {
        "send_reminder": {"AWS_ENDPOINT_URL_SESV2": quotas.ses.url, "AWS_ENDPOINT_URL_EVENTBRIDGE": quotas.events.url},
        "schedule_reminder": {"AWS_ENDPOINT_URL_SCHEDULER": quotas.scheduler.url},
        "cancel_reminders": {"AWS_ENDPOINT_URL_SCHEDULER": quotas.scheduler.url},
    }


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_quota_table_is_the_deployed_environments_region_s(environment: str) -> None:
    assert deployment.settings(environment)["region"] == quota_models.QUOTA_REGION


def test_every_client_a_handler_makes_of_a_held_service_goes_through_its_proxy() -> None:
    made = {
        (function.name, service)
        for function in FUNCTIONS.iterdir()
        if (function / "app.py").is_file()
        for service in re.findall(r'boto3\.client\(\s*"([a-z0-9-]+)"', (function / "app.py").read_text())
        if service in ROUTES
    }

    assert made == {(function, service) for service, functions in ROUTES.items() for function in functions}


@pytest.mark.parametrize("service", sorted(ENDPOINT_VARIABLES))
def test_botocore_reads_each_service_s_endpoint_from_the_variable_set(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_VARIABLES[service], "http://127.0.0.1:9")
    client = boto3.session.Session(region_name="eu-west-1").client(service)  # type: ignore[call-overload]
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


def test_an_unknown_quota_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown quota model 'huge'"):
        Quotas("huge")
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["local", "--quotas", "huge"])


def test_make_local_and_demo_take_the_quota_model() -> None:
    assert cli.parser().parse_args(["local", "--quotas", "default"]).quotas == "default"
    assert cli.parser().parse_args(["demo"]).quotas is None
