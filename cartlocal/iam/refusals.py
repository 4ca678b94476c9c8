"""Denials in the shape each service answers them, so the caller's SDK raises what it would on AWS.

- awsJson services (EventBridge, DynamoDB, SQS) answer HTTP 400 with ``__type``; SQS, being
  query-compatible, also sends ``x-amzn-query-error`` from which botocore takes the error code.
- restJson services (Scheduler, SES v2) answer HTTP 403 with ``x-amzn-ErrorType``.
- S3 (restXml) and STS (query) answer HTTP 403 with an XML ``AccessDenied`` error.
- A refused implied KMS call surfaces as the service reports it: SQS ``KMS.AccessDeniedException``;
  DynamoDB ``AccessDeniedException`` with "KMS key access denied error: ..." (the message quoted in
  aws/aws-cdk#10010 and #18616).
- An operation the plane does not model is refused the same way, saying so.
- SES in the sandbox rejects a message to an unverified recipient: ``MessageRejected``, "Email
  address is not verified. The following identities failed the check in region ...".
"""

from __future__ import annotations

import json
import uuid
from html import escape

from cartlocal.iam.plane import Denial

Response = tuple[int, list[tuple[str, str]], bytes]

KMS_MESSAGE = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
    "or you are not allowed to access."
)


def _json_error(code: str, message: str, *, query_code: str | None = None) -> Response:
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    if query_code is not None:
        headers.append(("x-amzn-query-error", f"{query_code};Sender"))
    return 400, headers, json.dumps({"__type": code, "message": message}).encode()


def _rest_error(code: str, message: str) -> Response:
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    return 403, headers, json.dumps({"message": message, "Message": message}).encode()


def refusal(service: str, denial: Denial) -> Response:
    """What ``service`` answers a request refused by ``denial``."""
    if denial.via is not None:
        kms = f"{KMS_MESSAGE} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"
        if service == "dynamodb":
            return _json_error(
                "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
                f"KMS key access denied error: com.amazonaws.services.kms.model.AWSKMSException: {kms}",
            )
        if service == "sqs":
            return _json_error("com.amazonaws.sqs#KmsAccessDenied", kms, query_code="KMS.AccessDeniedException")
    return refused(service, denial.message)


def unverified_recipients(region: str, addresses: list[str]) -> Response:
    """SES in the sandbox, sending to an address that is not a verified identity (SES v2: 400)."""
    message = (
        "Email address is not verified. The following identities failed the check in region "
        f"{region.upper()}: {', '.join(addresses)}"
    )
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", "MessageRejected")]
    return 400, headers, json.dumps({"message": message}).encode()


def _xml_error(status: int, root: str, message: str) -> Response:
    """S3's ``<Error>`` and STS's (query protocol) ``<ErrorResponse><Error>``, code AccessDenied."""
    text = escape(message, quote=False)
    error = f"<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{text}</Message></Error>"
    body = error if root == "Error" else f'<{root} xmlns="https://sts.amazonaws.com/doc/2011-06-15/">{error}</{root}>'
    headers = [("Content-Type", "application/xml"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    return status, headers, f'<?xml version="1.0" encoding="UTF-8"?>{body}'.encode()


def refused(service: str, message: str) -> Response:
    """An access denial by ``service`` with ``message``."""
    if service in {"s3", "sts"}:
        return _xml_error(403, "Error" if service == "s3" else "ErrorResponse", message)
    if service == "sqs":
        return _json_error("com.amazonaws.sqs#AccessDenied", message, query_code="AccessDenied")
    if service in {"scheduler", "ses"}:
        return _rest_error("AccessDeniedException", message)
    return _json_error("AccessDeniedException", message)
