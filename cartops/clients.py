"""boto3 clients for the operations: AWS through the usual credential chain, or the local stack's moto."""

from __future__ import annotations

from typing import Any

import boto3

from cartlocal.local_aws.endpoint import CREDENTIALS
from cartlocal.local_aws.provision import REGION


def client(service: str, endpoint_url: str | None) -> Any:
    """A client of ``service`` on AWS (``endpoint_url`` None) or on the local endpoint."""
    if endpoint_url is None:
        return boto3.client(service)  # type: ignore[call-overload]
    # A local endpoint (moto) accepts any credentials; use the local runtime's fake ones.
    session = boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=CREDENTIALS["AWS_SESSION_TOKEN"],
        region_name=REGION,
    )
    return session.client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]
