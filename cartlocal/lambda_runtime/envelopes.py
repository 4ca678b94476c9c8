"""What AWS hands a function, built from what moto stores.

Lambda receives SQS messages as an ``{"Records": [...]}`` event and EventBridge events as the
bare envelope. moto's rule delivery leaves out the ``account`` field AWS always sends, which
Powertools' ``EventBridgeModel`` requires, so it is restored here from the bus ARN. Message
attributes are renamed to the camel case Lambda uses in SQS events.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def restore_eventbridge_envelope(body: str, account_id: str) -> str:
    """Return the envelope in ``body`` with the fields moto omits filled in as AWS sends them."""
    envelope = json.loads(body)
    if isinstance(envelope, dict) and "detail-type" in envelope:
        envelope.setdefault("account", account_id)
        envelope.setdefault("resources", [])
        return json.dumps(envelope)
    return body


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The Lambda event of an SQS event source mapping for ``messages`` (ReceiveMessage output)."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    name: _lambda_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute as Lambda spells it (``stringValue``), not as ReceiveMessage does."""
    converted: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return converted
