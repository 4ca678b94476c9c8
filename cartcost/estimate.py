"""Usage times prices: one cost line per billed unit, grouped by component, free tiers optional."""

from __future__ import annotations

from dataclasses import dataclass

from cartcost.prices import PriceTable
from cartcost.usage import Usage

COMPONENTS = {
    "API Gateway": ("api_rest_request", "api_http_request"),
    "EventBridge bus and archive": (
        "eventbridge_custom_event",
        "eventbridge_archive_processed",
        "eventbridge_archive_storage",
    ),
    "EventBridge Scheduler": ("scheduler_invocation",),
    "Lambda": (
        "lambda_request",
        "lambda_gb_second_x86_64",
        "lambda_gb_second_arm64",
        "lambda_snapstart_cache",
        "lambda_snapstart_restore",
    ),
    "SQS": ("sqs_request",),
    "DynamoDB": ("dynamodb_write_request_unit",),
    "SES": ("ses_email",),
    "CloudWatch Logs": ("logs_ingestion", "logs_storage"),
    "CloudWatch alarms and dashboards": ("alarm", "dashboard"),
    "KMS": ("kms_key", "kms_request"),
    "X-Ray": ("xray_trace",),
}
# Allowances shared by several price keys (both architectures draw on one GB-second allowance).
SHARED_ALLOWANCE = {"lambda_gb_second_x86_64": "lambda_gb_second", "lambda_gb_second_arm64": "lambda_gb_second"}


@dataclass(frozen=True)
class Line:
    component: str
    key: str
    units: float
    billed_units: float
    cost: float


def price_lines(usage: Usage, prices: PriceTable, *, free_tier: bool) -> list[Line]:
    lines = []
    remaining = dict(prices.free_units) if free_tier else {}
    for component, keys in COMPONENTS.items():
        for key in keys:
            units = usage.units.get(key, 0.0)
            if not units:
                continue
            allowance_key = SHARED_ALLOWANCE.get(key, key)
            free = min(units, remaining.get(allowance_key, 0.0))
            if allowance_key in remaining:
                remaining[allowance_key] -= free
            billed = units - free
            lines.append(Line(component, key, units, billed, prices[key].of(billed)))
    return lines


def by_component(lines: list[Line]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in lines:
        totals[line.component] = totals.get(line.component, 0.0) + line.cost
    return totals
