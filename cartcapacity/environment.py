"""What the capacity model reads of one environment, through cartcost's reading of its files.

Besides what cartcost.deployment reads (region, functions, queues), the model needs the reminder
delay (how long each add holds a schedule), whether SES is still in the sandbox (which SES quotas
apply) and the API stage's throttle. That throttle and the reminder queue's event source mapping
are the environment's own limits: they are rows of the table like AWS's quotas, marked "setting".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cartcapacity.quotas import Quota
from cartcost import deployment
from cartcost.assumptions import Assumptions
from cartcost.deployment import Deployment
from cartflow import contract


@dataclass(frozen=True)
class Environment:
    deployed: Deployment
    settings: dict[str, Any]

    @property
    def delay_seconds(self) -> int:
        return int(self.settings["reminder_delay_seconds"])


def read(name: str) -> Environment:
    return Environment(deployed=deployment.read(name), settings=deployment.settings(name))


def route_key(route: str) -> str:
    return f"api_route {route}"


def mapping_key(queue: str) -> str:
    return f"event_source_mapping {queue}"


def batch_seconds(
    assumptions: Assumptions, function: str, records: int, sends_per_second: float | None = None
) -> float:
    """How long one invocation runs: a fixed part, plus a part per record for a queue's consumer.

    A paced consumer starts each send at least ``1 / sends_per_second`` after the one before, so
    a full batch runs as long as its pace, not only as its calls, take.
    """
    if function != "send_reminder" or not records:
        return assumptions.duration_seconds[function]
    per_record = assumptions.send_reminder_seconds_per_record
    spacing = max(per_record, 1 / sends_per_second) if sends_per_second else per_record
    return assumptions.duration_seconds[function] + (records - 1) * spacing + per_record


def mapping_records_per_second(
    assumptions: Assumptions, consumer: str, batch_size: int, concurrency: int, sends_per_second: float
) -> float:
    """What an event source mapping carries with every one of its invocations running a full paced batch."""
    return concurrency * batch_size / batch_seconds(assumptions, consumer, batch_size, sends_per_second)


def setting_quotas(environment: Environment, assumptions: Assumptions) -> dict[str, Quota]:
    """The environment's own limits on the paths, as rows of the quota table."""
    tfvars = f"terraform/environments/{environment.deployed.environment}/terraform.tfvars"
    rate = float(environment.settings["api_throttling_rate_limit"])
    quotas = {
        route_key(f"{route['method']} {route['path']}"): Quota(
            key=route_key(f"{route['method']} {route['path']}"),
            service="API Gateway",
            name=f"Stage throttle of {route['method']} {route['path']}",
            default=rate,
            unit="requests per second",
            measure="per_second",
            adjustable=True,
            status="setting",
            source=f"{tfvars} (api_throttling_rate_limit; the stage applies it to each method)",
            read=None,
        )
        for route in contract.routes()
    }
    for queue, mapping in environment.deployed.queues.items():
        batch, concurrency = mapping.batch_size, mapping.maximum_concurrency
        seconds = batch_seconds(assumptions, mapping.consumer, batch, mapping.sends_per_second)
        quotas[mapping_key(queue)] = Quota(
            key=mapping_key(queue),
            service="Lambda",
            name=f"{mapping.consumer}'s event source mapping: maximum_concurrency full batches at a time",
            default=mapping_records_per_second(
                assumptions, mapping.consumer, batch, concurrency, mapping.sends_per_second
            ),
            unit="records per second",
            measure="per_second",
            adjustable=True,
            status="setting",
            source=(
                f"{tfvars} (ses_max_send_rate {environment.settings['ses_max_send_rate']}) paced by"
                f" cartflow/pacing.py: maximum_concurrency {concurrency}, batch_size {batch};"
                f" a full batch runs {seconds:.2f} s at {mapping.sends_per_second:.3g} sends/s"
                " (cartcost/assumptions.py)"
            ),
            read=None,
        )
    return quotas
