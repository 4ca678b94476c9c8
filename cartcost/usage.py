"""A month's traffic shape turned into the units each service bills, for one deployment.

Every add schedules a reminder; a remove cancels one, and a checkout is counted as cancelling one
(carts of one item), so reminders sent are an upper bound for larger carts. Schedules that fire
put CartReminderDue on the bus; send_reminder emails each once and announces CartReminderSent.
"""

from __future__ import annotations

from dataclasses import dataclass

from cartcost.assumptions import SECONDS_PER_MONTH, Assumptions
from cartcost.deployment import Deployment

# The traffic shape both models assume unless told otherwise (make capacity scales it to a rate):
# a fifth of the adds removed again, a tenth of them checked out.
ADDS_PER_REMOVAL = 5
ADDS_PER_CHECKOUT = 10


@dataclass(frozen=True)
class Traffic:
    adds: int
    removes: int
    checkouts: int

    @property
    def requests(self) -> int:
        return self.adds + self.removes + self.checkouts

    @property
    def reminders(self) -> int:
        return max(self.adds - self.removes - self.checkouts, 0)


def default_traffic(adds: int) -> Traffic:
    return Traffic(adds=adds, removes=adds // ADDS_PER_REMOVAL, checkouts=adds // ADDS_PER_CHECKOUT)


@dataclass(frozen=True)
class Usage:
    """Billable units of one month, by price key (GB-seconds split by architecture)."""

    units: dict[str, float]
    # The GB-seconds every invocation would bill if it ran to its timeout: the ceiling.
    ceiling_gb_seconds: float


def sampled_traces(requests: float, assumptions: Assumptions) -> float:
    """Requests the default X-Ray rule records: the reservoir each second, then the rate."""
    per_second = requests / SECONDS_PER_MONTH
    reservoir = min(per_second, assumptions.xray_reservoir_per_second)
    return (reservoir + assumptions.xray_rate * (per_second - reservoir)) * SECONDS_PER_MONTH


def batches(records: float, batch_size: int, window_seconds: int) -> float:
    """SQS batches of an event source mapping: as full as the arrival rate fills one window."""
    per_window = records / SECONDS_PER_MONTH * window_seconds
    return records / min(max(per_window, 1.0), batch_size) if records else 0.0


def compute(deployment: Deployment, traffic: Traffic, assumptions: Assumptions) -> Usage:
    a = assumptions
    reminders = traffic.reminders
    (queue,) = deployment.queues.values()
    reminder_batches = batches(reminders, queue.batch_size, queue.batching_window_seconds)
    invocations = {
        "schedule_reminder": float(traffic.adds),
        "cancel_reminders": float(traffic.removes + traffic.checkouts),
        queue.consumer: reminder_batches,
    }
    gb_seconds = {"x86_64": 0.0, "arm64": 0.0}
    ceiling = restored_gb = 0.0
    start_seconds = a.restore_seconds if deployment.snapstart else a.init_seconds
    for name, count in invocations.items():
        function = deployment.functions[name]
        seconds = count * a.duration_seconds[name] + count * a.cold_start_share * start_seconds
        restored_gb += count * a.cold_start_share * function.memory_mb / 1024
        if name == queue.consumer:
            seconds += reminders * a.send_reminder_seconds_per_record
        gb_seconds[function.architecture] += seconds * function.memory_mb / 1024
        ceiling += count * function.timeout_seconds * function.memory_mb / 1024
    total_invocations = sum(invocations.values())

    bus_events = traffic.requests + 2 * reminders
    sqs_requests = reminders + 2 * reminder_batches  # SendMessage each; Receive and DeleteMessageBatch per batch
    sqs_requests += a.sqs_idle_pollers * SECONDS_PER_MONTH / a.sqs_long_poll_seconds
    kms_requests = (
        len(deployment.queues) * a.kms_principals_per_queue * SECONDS_PER_MONTH / a.kms_data_key_reuse_seconds
        + total_invocations * a.cold_start_share  # environment variables decrypted at each INIT
    )
    log_gb = (total_invocations * a.log_bytes_per_invocation + traffic.requests * a.access_log_bytes_per_request) / 1e9
    archive_gb = bus_events * a.event_bytes / 1e9
    units = {
        f"api_{deployment.api}_request": float(traffic.requests),
        "eventbridge_custom_event": float(bus_events),
        "eventbridge_archive_processed": archive_gb,
        "eventbridge_archive_storage": archive_gb * deployment.archive_retention_days / 30,
        "scheduler_invocation": float(reminders),
        "lambda_request": total_invocations,
        "lambda_gb_second_x86_64": gb_seconds["x86_64"],
        "lambda_gb_second_arm64": gb_seconds["arm64"],
        # One published version of each function cached all month; every cold start a restore.
        "lambda_snapstart_cache": (
            sum(fn.memory_mb for fn in deployment.functions.values()) / 1024 * SECONDS_PER_MONTH
            if deployment.snapstart
            else 0.0
        ),
        "lambda_snapstart_restore": restored_gb if deployment.snapstart else 0.0,
        "sqs_request": sqs_requests,
        "dynamodb_write_request_unit": float(reminders * a.write_units_per_reminder),
        "ses_email": float(reminders),
        "logs_ingestion": log_gb,
        "logs_storage": log_gb * deployment.log_retention_days / 30,
        "alarm": float(deployment.alarms),
        "dashboard": float(deployment.dashboards),
        "kms_key": float(deployment.kms_keys),
        "kms_request": kms_requests,
        "xray_trace": sampled_traces(traffic.requests + reminders, a) if deployment.tracing else 0.0,
    }
    return Usage(units=units, ceiling_gb_seconds=ceiling)
