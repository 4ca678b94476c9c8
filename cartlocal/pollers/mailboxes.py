"""What becomes of each recipient of an email SES accepted: delivered, hard-bounced, or suppressed.

moto accepts every SendEmail and delivers nothing, and has no suppression list. This module is the
local stand-in for the rest of SES's delivery (docs/aws-fidelity.md, "SES bounces"):

- a recipient in the reserved ``.invalid`` top-level domain has no mail server, so the message
  hard-bounces and, as the configuration set suppresses bounces, the address joins the
  account-level suppression list;
- the mailbox simulator's bounce address hard-bounces every time but is never suppressed, and
  its suppression-list address bounces as if suppressed;
- a suppressed recipient: SES accepted the message but does not send it; it reports a bounce;
- anyone else receives the message.

Every bounce becomes SES's ``Email Bounced`` event, in the shape SES publishes to EventBridge.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# RFC 2606 reserves the top-level domain: it never resolves, so no mail server accepts the message.
UNDELIVERABLE_DOMAIN = ".invalid"
SIMULATOR_DOMAIN = "@simulator.amazonses.com"
SIMULATOR_BOUNCE, SIMULATOR_SUPPRESSED = "bounce", "suppressionlist"
# What SES reports: a mailbox that does not exist, and a send it did not attempt.
NO_SUCH_USER = {"action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
ON_SUPPRESSION_LIST = {
    "action": "failed",
    "status": "5.1.1",
    "diagnosticCode": "Amazon SES did not send the message to this address because it is on the suppression list "
    "for your account.",
}
# (bounceSubType, the bounced recipient's report) of each kind of bounce.
HARD_BOUNCE = ("General", NO_SUCH_USER)
SUPPRESSED = ("OnAccountSuppressionList", ON_SUPPRESSION_LIST)
DETAIL_TYPE, SOURCE = "Email Bounced", "aws.ses"


@dataclass(frozen=True)
class Fate:
    """What became of one recipient: delivered, or bounced with SES's sub-type and report."""

    recipient: str
    delivered: bool
    bounce_sub_type: str = ""
    report: dict[str, str] | None = None


def _simulator_mailbox(recipient: str) -> str | None:
    """The simulator mailbox of ``recipient`` without its label (``bounce+x@`` is ``bounce``)."""
    if not recipient.lower().endswith(SIMULATOR_DOMAIN):
        return None
    return recipient.lower().split("@", 1)[0].split("+", 1)[0]


class Mailboxes:
    """The account's suppression list and the fate of each recipient SES accepted a message for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._suppressed: set[str] = set()

    @property
    def suppressed(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._suppressed)

    def deliver(self, recipient: str) -> Fate:
        """Decide ``recipient``'s fate; a hard bounce of a real mailbox suppresses the address."""
        address = recipient.lower()
        simulated = _simulator_mailbox(address)
        with self._lock:
            if address in self._suppressed or simulated == SIMULATOR_SUPPRESSED:
                return Fate(recipient, False, *SUPPRESSED)
            if simulated == SIMULATOR_BOUNCE:
                return Fate(recipient, False, *HARD_BOUNCE)
            if address.endswith(UNDELIVERABLE_DOMAIN):
                self._suppressed.add(address)
                return Fate(recipient, False, *HARD_BOUNCE)
        return Fate(recipient, delivered=True)


def bounce_detail(message: dict[str, Any], bounced: Fate, configuration_set: str, account: str) -> dict[str, Any]:
    """The ``detail`` of SES's Email Bounced event of one recipient: the bounce, and the mail it is about."""
    # SES's own timestamps: ISO 8601 in UTC, to the millisecond.
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": bounced.bounce_sub_type,
            "bouncedRecipients": [{"emailAddress": bounced.recipient, **(bounced.report or {})}],
            "timestamp": now,
            "feedbackId": f"{uuid.uuid4().hex}-000000",
            "reportingMTA": "dns; local.amazonses.com",
        },
        "mail": {
            "timestamp": now,
            "source": message["source"],
            "sendingAccountId": account,
            "messageId": message["id"],
            "destination": [bounced.recipient],
            "headersTruncated": False,
            "tags": {"ses:configuration-set": [configuration_set]},
        },
    }


class BouncePublisher:
    """Puts SES's Email Bounced events on the default bus, where SES publishes a configuration set's events."""

    def __init__(self, events: Any, configuration_set: str, account: str) -> None:
        self._events, self._configuration_set, self._account = events, configuration_set, account

    def publish(self, message: dict[str, Any], bounced: Fate) -> None:
        detail = bounce_detail(message, bounced, self._configuration_set, self._account)
        entry = {"EventBusName": "default", "Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail)}
        answer = self._events.put_events(Entries=[entry])
        if answer["FailedEntryCount"]:
            raise RuntimeError(f"Email Bounced not accepted by the default bus: {answer['Entries'][0]}")
