"""Every email SES delivered, shown on the console and written to ``.local/outbox/<n>.eml``.

moto keeps the messages it accepted (SESv2 stores through its SES backend too) and runs in a
process of its own, so the outbox asks it over HTTP: SES's own GetSendQuota (``SentLast24Hours``
counts accepted recipients) tells cheaply whether anything was sent since the last look, and only
then moto's server process hands over the messages accepted since (cartlocal.local_aws.sent_messages).
A recipient that bounces or is suppressed (cartlocal.pollers.mailboxes) gets no file; SES's
Email Bounced event goes to the bus instead.
"""

from __future__ import annotations

import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from cartlocal.local_aws.sent_messages import sent_since
from cartlocal.pollers.mailboxes import BouncePublisher, Mailboxes
from cartlocal.timeline import Timeline


class Outbox:
    """Copies newly accepted SES messages to ``directory`` as .eml files, numbered from 1."""

    def __init__(self, directory: Path, timeline: Timeline, ses: Any, moto_url: str, bounces: BouncePublisher) -> None:
        self.directory = directory
        self._timeline, self._ses, self._bounces = timeline, ses, bounces
        self.mailboxes = Mailboxes()
        self._moto = moto_url
        self._lock = threading.Lock()
        self._recipients = self._sent_recipients()
        # Where the messages not yet looked at start in moto's list of accepted messages.
        _, self._next = sent_since(moto_url, 0)
        self.files: list[Path] = []
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.eml"):
            stale.unlink()

    def _sent_recipients(self) -> float:
        quota: float = self._ses.get_send_quota()["SentLast24Hours"]
        return quota

    def step(self) -> bool:
        with self._lock:
            recipients = self._sent_recipients()
            if recipients == self._recipients:
                return False
            self._recipients = recipients
            fresh, self._next = sent_since(self._moto, self._next)
            for message in fresh:
                if not self._delivered(message):
                    continue
                path = self.directory / f"{len(self.files) + 1}.eml"
                path.write_bytes(bytes(_as_email(message)))
                self.files.append(path)
                subject = message.get("subject", "(raw message)")
                self._timeline.log(
                    "ses", f"email to {', '.join(_recipients(message))}: {subject!r} → {path}", [message["id"]]
                )
        return bool(fresh)

    def _delivered(self, message: dict[str, Any]) -> bool:
        """Whether any recipient receives ``message``; each one that does not bounces onto the bus."""
        fates = [self.mailboxes.deliver(recipient) for recipient in _recipients(message)]
        for fate in fates:
            if not fate.delivered:
                self._bounces.publish(message, fate)
                self._timeline.log("ses", f"bounce ({fate.bounce_sub_type}) from {fate.recipient}", [message["id"]])
        return any(fate.delivered for fate in fates)


def _recipients(message: dict[str, Any]) -> list[str]:
    destinations = message["destinations"]
    if isinstance(destinations, dict):
        return [
            address for key in ("ToAddresses", "CcAddresses", "BccAddresses") for address in destinations.get(key, [])
        ]
    return list(destinations)


def _as_email(message: dict[str, Any]) -> EmailMessage | bytes:
    """An RFC 5322 message: raw messages as sent, simple ones assembled from their parts."""
    raw = message.get("raw_data")
    if raw is not None:
        return str(raw).encode("utf-8")
    email = EmailMessage()
    email["Message-ID"] = f"<{message['id']}@email.amazonses.com>"
    email["From"] = message["source"]
    email["To"] = ", ".join(message["destinations"].get("ToAddresses", []))
    email["Subject"] = message["subject"]
    # moto keeps only the HTML part when a message has both (see offline-aws.md).
    subtype = "html" if message["body"].lstrip().startswith("<") else "plain"
    email.set_content(message["body"], subtype=subtype)
    return email
