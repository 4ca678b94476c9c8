"""The smoke test's judgement of an API's answer: a put event from either API type, nothing else."""

from __future__ import annotations

import pytest

from cartship.smoke import accepted


@pytest.mark.parametrize(
    ("answer", "put"),
    [
        ({"message": "message received"}, True),
        ({"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}, True),
        ({"message": "event not accepted"}, False),
        ({"FailedEntryCount": 1, "Entries": [{"ErrorCode": "MalformedDetail"}]}, False),
        ({"FailedEntryCount": 0, "Entries": []}, False),
        (["message received"], False),
    ],
)
def test_the_smoke_test_accepts_what_either_api_answers_for_a_put_event(answer: object, put: bool) -> None:
    """The REST API's message or the HTTP API's PutEvents response with the entry put; nothing else."""
    assert accepted(answer) is put
