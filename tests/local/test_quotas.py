"""`make local QUOTAS=default`: send_reminder's SES calls go through a proxy holding SES's rate."""

from __future__ import annotations

import pytest

from cartflow import contract
from cartlocal import cli
from cartlocal.local_aws.quotas import Quotas


def test_the_default_model_holds_ses_to_the_rate_send_reminder_paces_itself_by() -> None:
    quotas = Quotas("default")
    assert quotas.rate == float(contract.stack()["settings"]["SES_MAX_SEND_RATE"]["default"])
    assert quotas.environment == {"send_reminder": {"AWS_ENDPOINT_URL_SESV2": quotas.ses.url}}


def test_an_unknown_quota_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown quota model 'huge'"):
        Quotas("huge")
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["local", "--quotas", "huge"])


def test_make_local_and_demo_take_the_quota_model() -> None:
    assert cli.parser().parse_args(["local", "--quotas", "default"]).quotas == "default"
    assert cli.parser().parse_args(["demo"]).quotas is None
