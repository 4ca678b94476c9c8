"""The outbox's slice of moto's accepted SES messages: from where it last looked, bodies only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from werkzeug.test import Client

from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from cartlocal.local_aws.sent_messages import PATH, SentMessages

SENDER = "shop@example.com"


def _unreached(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("418 I'm a teapot", [])
    return [b"moto"]


@pytest.fixture
def ses() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("sesv2", region_name=REGION)
        client.create_email_identity(EmailIdentity=SENDER)
        yield client


def _send(ses: Any, to: str) -> None:
    ses.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": f"for {to}"}, "Body": {"Text": {"Data": "hello"}}}},
    )


def _slice(start: int) -> dict[str, Any]:
    response = Client(SentMessages(_unreached, ACCOUNT_ID, REGION)).get(f"{PATH}?from={start}")
    assert response.status_code == 200
    answer: dict[str, Any] = json.loads(response.data)
    return answer


def test_a_slice_holds_the_messages_from_where_the_last_one_ended(ses: Any) -> None:
    _send(ses, "a@example.com")
    first = _slice(0)
    _send(ses, "b@example.com")
    _send(ses, "c@example.com")
    second = _slice(first["next"])

    assert [m["destinations"]["ToAddresses"] for m in first["messages"]] == [["a@example.com"]]
    assert [m["subject"] for m in second["messages"]] == ["for b@example.com", "for c@example.com"]
    assert second["next"] == 3
    assert _slice(second["next"]) == {"messages": [], "next": 3}


def test_a_templated_message_moves_the_start_on_but_is_not_handed_out(ses: Any) -> None:
    classic = boto3.client("ses", region_name=REGION)
    classic.create_template(Template={"TemplateName": "t", "SubjectPart": "s", "TextPart": "hello {{name}}"})
    classic.send_templated_email(
        Source=SENDER, Destination={"ToAddresses": ["t@example.com"]}, Template="t", TemplateData='{"name": "x"}'
    )
    _send(ses, "a@example.com")

    answer = _slice(0)
    assert [m["destinations"]["ToAddresses"] for m in answer["messages"]] == [["a@example.com"]]
    assert answer["next"] == 2


def test_every_other_path_goes_on_to_moto() -> None:
    response = Client(SentMessages(_unreached, ACCOUNT_ID, REGION)).get("/moto-api/data.json")
    assert response.status_code == 418
