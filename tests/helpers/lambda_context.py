"""The context object a handler receives in Lambda, for calling handlers in process."""

from __future__ import annotations

from dataclasses import dataclass

from cartlocal.local_aws.provision import ACCOUNT_ID, REGION


@dataclass
class FakeLambdaContext:
    """The Lambda context object handlers receive (not an AWS API, so nothing to emulate)."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    remaining_ms: int = 30_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
