"""What each SES v2 SendEmail error means for a reminder: drop it to the DLQ, wait, or retry.

Each SES error code is one of three outcomes, so the handler counts it once and treats it the
same way everywhere (docs/aws-fidelity.md cites the API reference for every code):
- permanent: the message as it is will never be accepted; it goes to the DLQ at once;
- throttled: over the sending rate; it waits in the queue and is sent later, never dead-lettered;
- paused: the account cannot send for now; every reminder waits the longest delay and an alarm
  names the cause.
Anything else (a 5xx, a network error) is transient: the record fails and SQS redelivers it.
"""

from __future__ import annotations

from enum import Enum

from botocore.exceptions import ClientError


class Outcome(Enum):
    PERMANENT = "permanent"
    THROTTLED = "throttled"
    PAUSED = "paused"
    TRANSIENT = "transient"


CODES = {
    # The request or the message is wrong: the same request is refused again, whenever it is made.
    "BadRequestException": Outcome.PERMANENT,
    "MessageRejected": Outcome.PERMANENT,
    "MailFromDomainNotVerifiedException": Outcome.PERMANENT,
    "NotFoundException": Outcome.PERMANENT,
    # Over the account's sending rate: botocore names SES's 429 and the generic throttling codes.
    "TooManyRequestsException": Outcome.THROTTLED,
    "Throttling": Outcome.THROTTLED,
    "ThrottlingException": Outcome.THROTTLED,
    # The account, not the message: sending resumes once AWS or the operator lifts the cause
    # (a quota resets, a review ends), and until then every reminder would fail the same way.
    "LimitExceededException": Outcome.PAUSED,
    "SendingPausedException": Outcome.PAUSED,
    "AccountSuspendedException": Outcome.PAUSED,
}


# SES answers an exhausted daily quota with the same throttling code as the rate, told apart by
# this message: no retry succeeds before the 24-hour window frees some of it.
DAILY_QUOTA_EXCEEDED = "Daily message quota exceeded"


def classify(error: ClientError) -> Outcome:
    """The outcome of one SendEmail error."""
    details = error.response.get("Error", {})
    outcome = CODES.get(str(details.get("Code", "")), Outcome.TRANSIENT)
    if outcome is Outcome.THROTTLED and DAILY_QUOTA_EXCEEDED in str(details.get("Message", "")):
        return Outcome.PAUSED
    return outcome
