"""Requests to the local REST API and what they put on the moto stack's bus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cartflow import contract
from cartlocal.apigateway.rest_api import ApiResponse, LocalRestApi
from cartlocal.local_aws.provision import Stack
from tests.helpers.aws import drain
from tests.helpers.events import cart_detail, routed_envelopes

JSON_HEADERS = {"Content-Type": "application/json"}
NOW = datetime(2026, 11, 28, 4, 5, 6, 789000, tzinfo=UTC)
ROUTES = {route["detail_type"]: route for route in contract.routes()}
MAX_BODY = contract.load("api/routes.json")["max_body_bytes"]


def consumers(detail_type: str) -> list[str]:
    """Functions whose contract rule matches ``detail_type`` (read from stack.json and the patterns)."""
    return [
        rule["target"]["function"]
        for name, rule in contract.stack()["rules"].items()
        if rule["target"]["type"] == "lambda" and detail_type in contract.rule_pattern(name)["detail-type"]
    ]


def valid_body(detail_type: str) -> dict[str, Any]:
    """A request body the route accepts: the API's event detail without what the API adds."""
    detail = cart_detail(detail_type)
    return {key: value for key, value in detail.items() if key not in {"request_id", "occurred_at"}}


def bus_events(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Every envelope the bus routed to a function since the last call, per function."""
    return {function: routed_envelopes(stack, function) for function in stack.lambda_delivery_queues}


def event_count(tap: str) -> int:
    """How many events reached the bus since the last call, whatever their source or type."""
    return len(drain(tap))


def send(api: LocalRestApi, detail_type: str, body: Any, headers: dict[str, str] | None = None) -> ApiResponse:
    route = ROUTES[detail_type]
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.handle(route["method"], route["path"], JSON_HEADERS if headers is None else headers, payload)
