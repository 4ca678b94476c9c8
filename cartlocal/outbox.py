"""Every email SES accepted, shown on the console and written to ``.local/outbox/<n>.eml``.

moto keeps the messages it accepted in its SES backend (SESv2 stores through it too); the moto
server runs in this process, so the outbox reads them there rather than from any mail server.
"""

from __future__ import annotations

import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from moto.ses.models import ses_backends

from cartlocal.provision import ACCOUNT_ID, REGION
from cartlocal.timeline import Timeline


class Outbox:
    """Copies newly accepted SES messages to ``directory`` as .eml files, numbered from 1."""

    def __init__(self, directory: Path, timeline: Timeline) -> None:
        self.directory = directory
        self._timeline = timeline
        self._seen = len(self._sent())
        self.files: list[Path] = []
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.eml"):
            stale.unlink()

    @staticmethod
    def _sent() -> list[Any]:
        return list(ses_backends[ACCOUNT_ID][REGION].sent_messages)

    def step(self) -> bool:
        with self._lock:
            fresh = self._sent()[self._seen :]
            self._seen += len(fresh)
            for message in fresh:
                path = self.directory / f"{len(self.files) + 1}.eml"
                path.write_bytes(bytes(_as_email(message)))
                self.files.append(path)
                recipients = ", ".join(_recipients(message))
                subject = getattr(message, "subject", "(raw message)")
                self._timeline.log("ses", f"email to {recipients}: {subject!r} → {path}")
        return bool(fresh)


def _recipients(message: Any) -> list[str]:
    destinations = message.destinations
    if isinstance(destinations, dict):
        return [
            address for key in ("ToAddresses", "CcAddresses", "BccAddresses") for address in destinations.get(key, [])
        ]
    return list(destinations)


def _as_email(message: Any) -> EmailMessage | bytes:
    """An RFC 5322 message: raw messages as sent, simple ones assembled from their parts."""
    raw = getattr(message, "raw_data", None)
    if raw is not None:
        return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    email = EmailMessage()
    email["Message-ID"] = f"<{message.id}@email.amazonses.com>"
    email["From"] = message.source
    email["To"] = ", ".join(message.destinations.get("ToAddresses", []))
    email["Subject"] = message.subject
    # moto keeps only the HTML part when a message has both (see offline-aws.md).
    subtype = "html" if message.body.lstrip().startswith("<") else "plain"
    email.set_content(message.body, subtype=subtype)
    return email
