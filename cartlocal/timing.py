"""Local time: AWS's fixed waits (retry back-off, visibility timeouts) shortened by one factor.

The reminder delay itself is a setting (REMINDER_DELAY_SECONDS) and is passed as such; what
the local runtime scales are the waits AWS imposes between attempts, which no setting controls
locally but which would otherwise make a failure path take minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

# Lambda's asynchronous invocation waits about 1 minute before the first retry and 2 before the
# second (AWS Lambda developer guide, "Asynchronous invocation").
ASYNC_RETRY_DELAYS_SECONDS = (60, 120)


@dataclass(frozen=True)
class TimeScale:
    """``factor`` local seconds per AWS second (1.0 is real time)."""

    factor: float

    def seconds(self, aws_seconds: float) -> float:
        return aws_seconds * self.factor

    def visibility(self, aws_seconds: float) -> int:
        """A scaled SQS visibility timeout: SQS counts whole seconds; at least 1 avoids a hot loop."""
        return max(1, round(self.seconds(aws_seconds)))

    def async_retry_delay(self, attempt: int) -> int:
        """Visibility delay before retry ``attempt`` (1-based) of an asynchronous invocation."""
        delays = ASYNC_RETRY_DELAYS_SECONDS
        return self.visibility(delays[min(attempt, len(delays)) - 1])
