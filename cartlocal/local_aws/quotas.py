"""AWS's quotas on the local stack (`make local QUOTAS=default`): moto enforces none.

A reminder burst behaves on AWS as SES's sending rate lets it, so the local stack can put
send_reminder's SES calls through a :class:`FaultProxy` that answers over that rate the way SES
does. The rate is the one send_reminder paces itself by (the contract's ``SES_MAX_SEND_RATE``), so
the stack is rehearsed against the quota it is configured for.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from cartflow import contract
from cartlocal.local_aws.fault_proxy import FaultProxy, ses_send_rate

# The quota models `--quotas` accepts: "default" is the contract's rate (a new production account's).
MODELS = ("default",)
SEND = "send_reminder"


class Quotas:
    """The proxies enforcing one quota model; a context manager around the local stack's run."""

    def __init__(self, model: str) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown quota model {model!r} (one of: {', '.join(MODELS)})")
        self.rate = float(contract.stack()["settings"]["SES_MAX_SEND_RATE"]["default"])
        self.ses = FaultProxy()
        self.ses.limit(ses_send_rate(self.rate))

    @property
    def environment(self) -> dict[str, dict[str, str]]:
        """The extra environment that points send_reminder's SES client at the proxy."""
        return {SEND: {"AWS_ENDPOINT_URL_SESV2": self.ses.url}}

    def connect(self, moto_url: str) -> None:
        """Forward what the quota admits to moto (known only once the stack started)."""
        self.ses.upstream = moto_url

    def __enter__(self) -> Self:
        self.ses.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.ses.stop()
