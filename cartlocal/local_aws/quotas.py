"""AWS's quotas on the local stack (`make local QUOTAS=default`): moto enforces none.

A burst behaves on AWS as the account's request-rate quotas let it, so the functions' SES,
Scheduler and EventBridge clients reach moto through one :class:`FaultProxy` per service, and a
quota model puts AWS's rates on them, answered with each service's throttling error. One proxy per
service, whichever function calls it, because AWS's rates are per account and region. SES's rate
is the one send_reminder paces itself by (the contract's ``SES_MAX_SEND_RATE``), so the stack is
rehearsed against the quota it is configured for; the others are the quota table's defaults for
the deployed environments' region (``cartcapacity/quota_tables``). The reliability harness uses
the same proxies without a model, to inject faults and to put scaled-down rates on them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import TracebackType
from typing import Self

from cartcapacity import quotas as quota_tables
from cartflow import contract
from cartlocal.local_aws.fault_proxy import FaultProxy, Quota, ses_send_rate, throttle

# The quota models `--quotas` accepts: "default" is a new production account's.
MODELS = ("default",)
SEND, SCHEDULE, CANCEL = "send_reminder", "schedule_reminder", "cancel_reminders"
# The functions whose client of each service (botocore's name) goes through that service's proxy:
# every client the handlers make of it (tests/local/test_quotas.py reads the handlers).
ROUTES: Mapping[str, tuple[str, ...]] = {"sesv2": (SEND,), "scheduler": (SCHEDULE, CANCEL), "events": (SEND,)}
# The variable botocore reads a service's endpoint from: AWS_ENDPOINT_URL_ and the service id
# (EventBridge's, not the client's name "events").
ENDPOINT_VARIABLES = {
    "sesv2": "AWS_ENDPOINT_URL_SESV2",
    "scheduler": "AWS_ENDPOINT_URL_SCHEDULER",
    "events": "AWS_ENDPOINT_URL_EVENTBRIDGE",
}
# Each request-rate quota of the table the functions' calls are held to: (service, operation) → row.
TABLE_ROWS = {
    ("scheduler", "CreateSchedule"): "scheduler_create_schedule",
    ("scheduler", "GetSchedule"): "scheduler_get_schedule",
    ("scheduler", "UpdateSchedule"): "scheduler_update_schedule",
    ("scheduler", "DeleteSchedule"): "scheduler_delete_schedule",
    ("scheduler", "ListSchedules"): "scheduler_list_schedules",
    ("events", "PutEvents"): "eventbridge_put_events",
}
# The deployed environments' region (terraform/environments/*/terraform.tfvars), whose quota
# table is the model; the local stack itself runs in moto's default region.
QUOTA_REGION = "eu-west-1"


@functools.cache
def _table() -> quota_tables.QuotaTable:
    # No environment settings: only rows that apply to every environment (no SES sandbox rows).
    return quota_tables.load(QUOTA_REGION, {})


def table_rate(service: str, name: str) -> float:
    """The quota table's default rate of an operation, per second."""
    quota = _table().quotas[TABLE_ROWS[service, name]]
    assert quota.default is not None, f"{quota.key} has no default rate"
    return float(quota.default)


def table_quotas(service: str, scale: float = 1.0) -> tuple[Quota, ...]:
    """``service``'s request-rate quotas at the table's defaults times ``scale`` (a rehearsal's smaller account)."""
    return tuple(
        throttle(service, name, table_rate(service, name) * scale) for (owner, name) in TABLE_ROWS if owner == service
    )


class Proxies:
    """One fault proxy per service the functions call; a context manager around the local stack's run."""

    def __init__(self) -> None:
        self.services = {service: FaultProxy() for service in ROUTES}
        self.ses, self.scheduler, self.events = (self.services[name] for name in ("sesv2", "scheduler", "events"))

    @property
    def environment(self) -> dict[str, dict[str, str]]:
        """The extra environment that points each function's clients at the proxies."""
        routed: dict[str, dict[str, str]] = {}
        for service, functions in ROUTES.items():
            for function in functions:
                routed.setdefault(function, {})[ENDPOINT_VARIABLES[service]] = self.services[service].url
        return routed

    def connect(self, moto_url: str) -> None:
        """Forward what the proxies let through to moto (known only once the stack started)."""
        for proxy in self.services.values():
            proxy.upstream = moto_url

    def __enter__(self) -> Self:
        for proxy in self.services.values():
            proxy.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for proxy in self.services.values():
            proxy.stop()


class Quotas(Proxies):
    """The proxies holding the functions' calls to one quota model."""

    def __init__(self, model: str) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown quota model {model!r} (one of: {', '.join(MODELS)})")
        super().__init__()
        self.rate = float(contract.stack()["settings"]["SES_MAX_SEND_RATE"]["default"])
        self.ses.limit(ses_send_rate(self.rate))
        self.scheduler.limit(*table_quotas("scheduler"))
        self.events.limit(*table_quotas("events"))

    def describe(self) -> str:
        """The rates held, for the timeline."""
        held = [f"SES SendEmail {self.rate:g}/s"]
        held += [f"{owner} {name} {table_rate(owner, name):g}/s" for owner, name in TABLE_ROWS]
        return ", ".join(held)
