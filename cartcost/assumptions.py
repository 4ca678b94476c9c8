"""The per-request figures no setting decides: durations, log and event sizes, sampling, polling.

They are estimates, not measurements on AWS (no account is reachable from here); each says where
it comes from. Every cost line that depends on one says so in docs/cost.md, and changing a figure
here changes ``make cost`` and the document alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECONDS_PER_MONTH = 30 * 24 * 3600


@dataclass(frozen=True)
class Assumptions:
    # Billed duration of one warm invocation (seconds). send_reminder: a fixed part per batch
    # plus one SES send, two idempotency writes and one PutEvents per record.
    duration_seconds: dict[str, float] = field(
        default_factory=lambda: {"schedule_reminder": 0.08, "cancel_reminders": 0.08, "send_reminder": 0.03}
    )
    send_reminder_seconds_per_record: float = 0.12
    # Share of invocations that start a new execution environment, and its billed INIT time.
    cold_start_share: float = 0.02
    init_seconds: float = 0.9
    # With SnapStart a cold start is a restore, billed for its (shorter) duration instead of INIT.
    restore_seconds: float = 0.3
    # DynamoDB write request units per reminder: the newest-reminded claim (UpdateItem) and two
    # Powertools idempotency records (PutItem, then UpdateItem) for the email and the announcement.
    write_units_per_reminder: int = 5
    # Bytes: one event on the bus, one function invocation's log lines, one API access-log line.
    event_bytes: int = 1024
    log_bytes_per_invocation: int = 1500
    access_log_bytes_per_request: int = 600
    # Idle long polls of an SQS event source mapping: pollers x one 20 s poll each (unverified).
    sqs_idle_pollers: int = 5
    sqs_long_poll_seconds: int = 20
    # X-Ray default sampling rule: the first request each second, then 5 % of the rest.
    xray_reservoir_per_second: float = 1.0
    xray_rate: float = 0.05
    # KMS calls: SQS reuses a data key for the queue's reuse period (300 s default) per principal.
    kms_data_key_reuse_seconds: int = 300
    kms_principals_per_queue: int = 2
