"""The authorization gate in front of moto denies what AWS denies, as the caller's SDK would see it.

Each test starts moto behind the gate with the contract module's policies for a local deployment
(the documents Terraform attaches), provisions the stack on the stack key as Terraform does, and
calls moto with a role session's credentials. Where a test needs a policy to lack or hold one
statement, it replaces that one document, so the test does not depend on today's policies.
"""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cartflow.contract import resource_name
from cartlocal.iam import local as iam_local
from cartlocal.iam.plane import access_key_id
from cartlocal.local_aws.endpoint import MotoEndpoint
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, SENDER_EMAIL, Stack, provision

NAME = "cartflow-gate-test"
SETTLE_SECONDS = 2.0
# "No denial reported" is read after a probe's denial arrives: a call no policy allows.
PROBE_BUS = "cartflow-gate-test-probe"
PROBE_TIMEOUT_SECONDS = 30.0
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{resource_name('idempotency_table', NAME)}"


@pytest.fixture(scope="module")
def contract_outputs() -> dict[str, Any]:
    return iam_local.contract_outputs(NAME)


class Gated:
    """moto behind the gate, provisioned, with the denials the gate reported."""

    def __init__(self, tmp: Path, outputs: dict[str, Any], *, ses_sandbox: bool = False) -> None:
        self.outputs = outputs
        self.denials: list[dict[str, str]] = []
        config = iam_local.write_config(tmp / "authz.json", outputs, ses_sandbox=ses_sandbox)
        self.moto = MotoEndpoint(0, config, self.denials.append)
        self.stack: Stack = provision(NAME, client=self.moto.client, key_arn=iam_local.KEY_ARN)

    def reported(self, count: int) -> list[dict[str, str]]:
        """The denials reported so far, once ``count`` have arrived (the server relays them to us
        on its stdout, written before its answer but read by another thread) or 2 s have passed.

        ``count`` 0 waits for a positive marker instead: a probe call every policy denies, made
        now. The relay keeps the server's order, so once the probe's denial is in, the denial of
        any call before it is in too; the probe's own is then taken out.
        """
        if count == 0:
            return self._after_probe()
        deadline = time.monotonic() + SETTLE_SECONDS
        while len(self.denials) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.denials

    def _after_probe(self) -> list[dict[str, str]]:
        bus = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{PROBE_BUS}"
        entry = {"EventBusName": bus, "Source": "cartflow.test", "DetailType": "Probe", "Detail": "{}"}
        with pytest.raises(ClientError, match="AccessDenied"):
            self.client_of("cancel_reminders", "events").put_events(Entries=[entry])

        def probe() -> dict[str, str] | None:
            return next((d for d in self.denials if d["resource"] == bus), None)

        deadline = time.monotonic() + PROBE_TIMEOUT_SECONDS
        while probe() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        found = probe()
        assert found is not None, f"the probe's denial was never reported: {self.denials}"
        self.denials.remove(found)
        return self.denials

    def client_of(self, function: str, service: str) -> Any:
        return self.moto.client(service, access_key_id(self.outputs["arns"]["function_roles"][function]))

    def scheduler_role(self, service: str) -> Any:
        return self.moto.client(service, access_key_id(self.outputs["arns"]["scheduler_role"]))


@pytest.fixture(scope="module")
def as_deployed(tmp_path_factory: pytest.TempPathFactory, contract_outputs: dict[str, Any]) -> Iterator[Gated]:
    """One gated moto with today's policies, shared by the tests that change none: none of them
    changes the stack either (every call they make is refused)."""
    stack = Gated(tmp_path_factory.mktemp("as-deployed"), copy.deepcopy(contract_outputs))
    try:
        yield stack
    finally:
        stack.moto.stop()


@pytest.fixture
def gated(tmp_path: Path, contract_outputs: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[Gated]:
    """moto behind the gate: today's policies (shared, with no denial pending), or the test's."""
    if not hasattr(request, "param"):
        shared: Gated = request.getfixturevalue("as_deployed")
        shared.reported(0)  # every denial of an earlier test is in, then none is left
        shared.denials.clear()
        yield shared
        return
    outputs = copy.deepcopy(contract_outputs)
    for function, document in request.param.items():
        outputs["function_policies"][function] = json.dumps(document)
    stack = Gated(tmp_path, outputs)
    try:
        yield stack
    finally:
        stack.moto.stop()


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


GET_ITEM_ONLY = policy({"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE_ARN})
GET_ITEM_AND_DECRYPT = policy(
    {"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE_ARN},
    {
        "Sid": "TableKeyThroughDynamoDB",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": iam_local.KEY_ARN,
        "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}},
    },
)
GET_ITEM_AND_KEY = policy(
    *GET_ITEM_AND_DECRYPT["Statement"],
    {
        "Sid": "DescribeTableKeyThroughDynamoDB",
        "Effect": "Allow",
        "Action": "kms:DescribeKey",
        "Resource": iam_local.KEY_ARN,
        "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}},
    },
)


def error_of(call: Any, **arguments: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**arguments)
    error = raised.value.response["Error"]
    return {"Code": str(error.get("Code")), "Message": str(error.get("Message"))}


def test_a_role_gets_what_its_policy_allows_and_aws_s_denial_for_the_rest(gated: Gated) -> None:
    group = gated.stack.settings["SCHEDULE_GROUP"]
    cancel_scheduler = gated.client_of("cancel_reminders", "scheduler")
    assert error_of(cancel_scheduler.get_schedule, Name="cart-none", GroupName=group)["Code"] == (
        "ResourceNotFoundException"
    )
    assert gated.reported(0) == []
    bus = gated.stack.settings["EVENT_BUS_ARN"]
    entry = {"EventBusName": bus, "Source": "cartflow.test", "DetailType": "Probe", "Detail": "{}"}
    error = error_of(gated.client_of("cancel_reminders", "events").put_events, Entries=[entry])
    session = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{NAME}-cancel-reminders/{NAME}-cancel-reminders"
    assert error == {
        "Code": "AccessDeniedException",
        "Message": f"User: {session} is not authorized to perform: events:PutEvents on resource: {bus} "
        "because no identity-based policy allows the events:PutEvents action",
    }
    assert [denial["action"] for denial in gated.reported(1)] == ["events:PutEvents"]


@pytest.mark.parametrize("gated", [{"send_reminder": GET_ITEM_ONLY}], indirect=True)
def test_a_table_on_the_stack_key_needs_the_key_through_dynamodb(gated: Gated) -> None:
    dynamodb = gated.client_of("send_reminder", "dynamodb")
    error = error_of(dynamodb.get_item, TableName=resource_name("idempotency_table", NAME), Key={"id": {"S": "x"}})
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].startswith("KMS key access denied error: com.amazonaws.services.kms.model.AWSKMSException")
    [denial] = gated.reported(1)
    assert (denial["action"], denial["resource"], denial["via"]) == (
        "kms:DescribeKey",
        iam_local.KEY_ARN,
        "dynamodb:GetItem",
    )


@pytest.mark.parametrize("gated", [{"send_reminder": GET_ITEM_AND_DECRYPT}], indirect=True)
def test_decrypt_without_describe_key_is_not_enough(gated: Gated) -> None:
    """The stricter model (docs/aws-fidelity.md): DynamoDB's callers also need kms:DescribeKey."""
    dynamodb = gated.client_of("send_reminder", "dynamodb")
    error = error_of(dynamodb.get_item, TableName=resource_name("idempotency_table", NAME), Key={"id": {"S": "x"}})
    assert error["Message"].startswith("KMS key access denied error")
    [denial] = gated.reported(1)
    assert (denial["action"], denial["via"]) == ("kms:DescribeKey", "dynamodb:GetItem")


@pytest.mark.parametrize("gated", [{"send_reminder": GET_ITEM_AND_KEY}], indirect=True)
def test_the_key_through_dynamodb_is_enough(gated: Gated) -> None:
    dynamodb = gated.client_of("send_reminder", "dynamodb")
    assert "Item" not in dynamodb.get_item(TableName=resource_name("idempotency_table", NAME), Key={"id": {"S": "x"}})
    assert gated.reported(0) == []


@pytest.mark.parametrize(
    "removed", [None, "kms:GenerateDataKey", "kms:Decrypt"], ids=["both", "no GenerateDataKey", "no Decrypt"]
)
def test_sending_to_an_encrypted_queue_needs_generate_data_key_and_decrypt(
    tmp_path: Path, contract_outputs: dict[str, Any], removed: str | None
) -> None:
    """SQS developer guide, "Key management": a producer needs GenerateDataKey **and** Decrypt."""
    outputs = copy.deepcopy(contract_outputs)
    scheduler_policy = json.loads(outputs["scheduler_role_policy"])
    kept = []
    for statement in scheduler_policy["Statement"]:
        actions = [a for a in statement["Action"] if a != removed]
        if actions:
            kept.append({**statement, "Action": actions})
    assert sum(len(s["Action"]) for s in kept) == sum(len(s["Action"]) for s in scheduler_policy["Statement"]) - bool(
        removed
    ), "the scheduler role no longer uses the key as expected"
    outputs["scheduler_role_policy"] = json.dumps(policy(*kept))
    stack = Gated(tmp_path, outputs)
    try:
        url = stack.stack.dlq_urls["scheduler"]
        sqs = stack.scheduler_role("sqs")
        if removed is None:
            sqs.send_message(QueueUrl=url, MessageBody="{}")
            assert stack.reported(0) == []
        else:
            assert error_of(sqs.send_message, QueueUrl=url, MessageBody="{}")["Code"] == "KMS.AccessDeniedException"
            assert [(d["action"], d["via"]) for d in stack.reported(1)] == [(removed, "sqs:SendMessage")]
    finally:
        stack.moto.stop()


def test_the_event_source_mapping_s_receive_needs_the_function_role_s_decrypt_through_sqs(
    tmp_path: Path, contract_outputs: dict[str, Any]
) -> None:
    """Lambda polls with the function's execution role; SQS decrypts with the caller's key grant."""
    outputs = copy.deepcopy(contract_outputs)
    for kind in ("function_policies", "function_runtime_policies"):
        document = json.loads(outputs[kind]["send_reminder"])
        document["Statement"] = [
            {**s, "Action": [a for a in s["Action"] if a != "kms:Decrypt"]}
            if s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", "").startswith("sqs.")
            else s
            for s in document["Statement"]
        ]
        document["Statement"] = [s for s in document["Statement"] if s["Action"]]
        outputs[kind]["send_reminder"] = json.dumps(document)
    stack = Gated(tmp_path, outputs)
    try:
        consumer = stack.client_of("send_reminder", "sqs")  # as LocalStack's QueueEventSource polls
        error = error_of(consumer.receive_message, QueueUrl=stack.stack.queue_urls["reminders"], WaitTimeSeconds=0)
        assert error["Code"] == "KMS.AccessDeniedException"
        [denial] = stack.reported(1)
        assert (denial["action"], denial["via"]) == ("kms:Decrypt", "sqs:ReceiveMessage")
    finally:
        stack.moto.stop()


def without_configuration_sets(document: str) -> str:
    """A policy document with every configuration-set resource taken out of its statements."""
    parsed = json.loads(document)
    statements = []
    for statement in parsed["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        kept = [r for r in resources if ":configuration-set/" not in r]
        if kept:
            statements.append({**statement, "Resource": kept})
    return json.dumps({**parsed, "Statement": statements})


@pytest.mark.parametrize("missing_in", [None, "boundary", "role policy"])
def test_a_send_naming_the_configuration_set_is_authorized_on_it_through_the_boundary(
    tmp_path: Path, contract_outputs: dict[str, Any], missing_in: str | None
) -> None:
    """SES v2 SendEmail with ConfigurationSetName is authorized on the set too (SAR, SES v2), and a
    permissions boundary caps the role's own grant (issue 23, item 4)."""
    outputs = copy.deepcopy(contract_outputs)
    if missing_in == "boundary":
        outputs["permissions_boundary"] = without_configuration_sets(outputs["permissions_boundary"])
    elif missing_in == "role policy":
        policies = outputs["function_policies"]
        policies["send_reminder"] = without_configuration_sets(policies["send_reminder"])
    stack = Gated(tmp_path, outputs)
    try:
        ses = stack.client_of("send_reminder", "sesv2")
        configuration_set = stack.stack.settings["SES_CONFIGURATION_SET"]
        email = {
            "FromEmailAddress": SENDER_EMAIL,
            "Destination": {"ToAddresses": ["ada@example.com"]},
            "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
            "ConfigurationSetName": configuration_set,
        }
        if missing_in is None:
            assert ses.send_email(**email)["MessageId"]
            assert stack.reported(0) == []
            return
        error = error_of(ses.send_email, **email)
        reason = "permissions boundary" if missing_in == "boundary" else "identity-based policy"
        session = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{NAME}-send-reminder/{NAME}-send-reminder"
        assert error == {
            "Code": "AccessDeniedException",
            "Message": f"User: {session} is not authorized to perform: ses:SendEmail on resource: "
            f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:configuration-set/{configuration_set} "
            f"because no {reason} allows the ses:SendEmail action",
        }
    finally:
        stack.moto.stop()


def test_creating_a_schedule_passes_its_role_to_scheduler_only(gated: Gated) -> None:
    scheduler = gated.client_of("schedule_reminder", "scheduler")
    group = gated.stack.settings["SCHEDULE_GROUP"]
    other_role = f"arn:aws:iam::{ACCOUNT_ID}:role/someone-elses-role"
    error = error_of(
        scheduler.create_schedule,
        Name="cart-probe",
        GroupName=group,
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": gated.stack.settings["EVENT_BUS_ARN"], "RoleArn": other_role},
    )
    assert error["Code"] == "AccessDeniedException"
    assert f"iam:PassRole on resource: {other_role}" in error["Message"]


def test_an_operation_the_plane_does_not_model_fails_closed(gated: Gated) -> None:
    error = error_of(gated.client_of("send_reminder", "sqs").create_queue, QueueName="anything")
    assert error["Code"] == "AccessDenied"
    assert "sqs CreateQueue is not modelled by the local authorization plane" in error["Message"]


def test_an_unknown_access_key_is_an_invalid_token(gated: Gated) -> None:
    events = gated.moto.client("events", "ASIAUNKNOWNUNKNOWN00")
    assert error_of(events.list_event_buses)["Message"] == "The security token included in the request is invalid."


RECIPIENT = "ada@example.com"
SEND_TO_ADA = policy(
    {
        "Sid": "SendAsTheSenderToAda",
        "Effect": "Allow",
        "Action": "ses:SendEmail",
        "Resource": [
            f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/{SENDER_EMAIL}",
            f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/{RECIPIENT}",
        ],
    }
)


@pytest.mark.parametrize("identities", [(), (RECIPIENT,)], ids=["recipient not allowed", "recipient allowed"])
def test_the_ses_sandbox_authorizes_and_verifies_each_recipient(
    tmp_path: Path, contract_outputs: dict[str, Any], identities: tuple[str, ...]
) -> None:
    outputs = copy.deepcopy(contract_outputs)
    allowed = json.loads(json.dumps(SEND_TO_ADA))
    allowed["Statement"][0]["Resource"] = allowed["Statement"][0]["Resource"][: 1 + len(identities)]
    outputs["function_policies"]["send_reminder"] = json.dumps(allowed)
    stack = Gated(tmp_path, outputs, ses_sandbox=True)
    try:
        ses = stack.client_of("send_reminder", "sesv2")
        email = {
            "FromEmailAddress": SENDER_EMAIL,
            "Destination": {"ToAddresses": [RECIPIENT]},
            "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        }
        error = error_of(ses.send_email, **email)
        if not identities:
            assert error["Code"] == "AccessDeniedException"
            assert f"on resource: arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/{RECIPIENT}" in error["Message"]
            return
        assert error == {
            "Code": "MessageRejected",
            "Message": "Email address is not verified. The following identities failed the check "
            f"in region US-EAST-1: {RECIPIENT}",
        }
        stack.moto.client("sesv2").create_email_identity(EmailIdentity=RECIPIENT)
        assert ses.send_email(**email)["MessageId"]
    finally:
        stack.moto.stop()


def reminder_due(bus: str) -> dict[str, str]:
    return {
        "EventBusName": bus,
        "Source": "cartflow.reminders",
        "DetailType": "CartReminderDue",
        "Detail": json.dumps({"scheduled_event": True}),
    }


@pytest.mark.parametrize("rule_in_policy", [True, False], ids=["queue policy names the rule", "another rule"])
def test_eventbridge_delivers_to_a_queue_only_as_its_policy_and_the_key_allow(
    tmp_path: Path, contract_outputs: dict[str, Any], rule_in_policy: bool
) -> None:
    outputs = copy.deepcopy(contract_outputs)
    if not rule_in_policy:
        document = json.loads(outputs["queue_policies"]["reminders"])
        document["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] = ["arn:aws:events:us-east-1:1:rule/x/y"]
        outputs["queue_policies"]["reminders"] = json.dumps(document)
    stack = Gated(tmp_path, outputs)
    try:
        # The operator puts the event: the delivery, not the PutEvents, is under test.
        stack.moto.client("events").put_events(Entries=[reminder_due(stack.stack.settings["EVENT_BUS_ARN"])])
        url = stack.stack.queue_urls["reminders"]
        received = stack.moto.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
        assert len(received) == (1 if rule_in_policy else 0)
        expected = [] if rule_in_policy else [("sqs:SendMessage", contract_outputs["arns"]["queues"]["reminders"])]
        assert [(d["action"], d["resource"]) for d in stack.reported(len(expected))] == expected
    finally:
        stack.moto.stop()


def test_eventbridge_needs_the_key_policy_to_deliver_to_an_encrypted_queue(
    tmp_path: Path, contract_outputs: dict[str, Any]
) -> None:
    outputs = copy.deepcopy(contract_outputs)
    key_policy = json.loads(outputs["kms_key_policy"])
    kept = [s for s in key_policy["Statement"] if s.get("Principal") != {"Service": "events.amazonaws.com"}]
    assert len(kept) == len(key_policy["Statement"]) - 1
    outputs["kms_key_policy"] = json.dumps(policy(*kept))
    stack = Gated(tmp_path, outputs)
    try:
        stack.moto.client("events").put_events(Entries=[reminder_due(stack.stack.settings["EVENT_BUS_ARN"])])
        assert [(d["action"], d["resource"]) for d in stack.reported(1)] == [("kms:GenerateDataKey", iam_local.KEY_ARN)]
    finally:
        stack.moto.stop()


def raw_put_events(url: str, bus: str, *, query: str = "") -> tuple[int, dict[str, Any]]:
    """A PutEvents request sent without SigV4 headers (unsigned, or presigned with ``query``)."""
    entry = {"EventBusName": bus, "Source": "cartflow.test", "DetailType": "Probe", "Detail": "{}"}
    request = urllib.request.Request(
        f"{url}/{'?' + query if query else ''}",
        json.dumps({"Entries": [entry]}).encode(),
        {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.PutEvents"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # nosec B310  # loopback moto
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_an_unsigned_request_is_refused_as_aws_refuses_it(gated: Gated) -> None:
    status, body = raw_put_events(gated.moto.url, gated.stack.settings["EVENT_BUS_ARN"])
    assert (status, body.get("__type")) == (403, "MissingAuthenticationTokenException")
    assert [d["message"] for d in gated.reported(1)] == ["Request is missing Authentication Token"]


def test_a_presigned_request_is_attributed_to_its_key(gated: Gated) -> None:
    key = access_key_id(gated.outputs["arns"]["function_roles"]["cancel_reminders"])
    credential = urllib.parse.quote(f"{key}/20261206/{REGION}/events/aws4_request", safe="")
    query = f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-SignedHeaders=host"
    status, body = raw_put_events(gated.moto.url, gated.stack.settings["EVENT_BUS_ARN"], query=query)
    assert (status, body.get("__type")) == (400, "AccessDeniedException")
    session = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{NAME}-cancel-reminders/{NAME}-cancel-reminders"
    assert [(d["principal"], d["action"]) for d in gated.reported(1)] == [(session, "events:PutEvents")]
