"""What an AWS API request asks for in IAM terms: its actions, resource ARNs and context keys.

The gate (cartlocal.iam.gate) sees raw HTTP requests on their way to moto; this module turns one
into the authorizations AWS performs for it, for the operations the stack's principals use. An
operation not listed here raises :class:`Unmodelled`, and the gate refuses it: an authorization
plane that waved through what it does not understand would be friendlier than AWS.

Resources per operation are those of the Service Authorization Reference; EventBridge PutEvents
is authorized per entry on that entry's bus; Scheduler CreateSchedule/UpdateSchedule also need
``iam:PassRole`` on the target's role with ``iam:PassedToService``; SES SendEmail is authorized on
the sender's identity (and, in the sandbox, on every recipient's) and, when the request names a
configuration set, on that configuration set too (SAR, Amazon SES v2: SendEmail's resource types
are identity and configuration-set). S3 (the pipeline rehearsal's jobs: zips, manifests, pointers,
Terraform's state) arrives path-style, ``/<bucket>/<key>``, as a loopback endpoint has no bucket
host names: object operations on ``arn:aws:s3:::<bucket>/<key>`` (a ``versionId`` makes a read
``s3:GetObjectVersion``), listing on the bucket; STS's GetCallerIdentity needs no permission.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from cartlocal.iam.conditions import Context


class Unmodelled(Exception):
    """A request the local authorization plane cannot map to IAM actions."""


@dataclass(frozen=True)
class Needed:
    """One authorization a request needs."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """An API call: service (signing name), operation, and what it must be allowed."""

    service: str
    operation: str
    needed: tuple[Needed, ...]
    # Resource ARNs the call touches, for the KMS calls AWS makes on the caller's behalf.
    touches: tuple[str, ...] = ()
    # Email recipients (SES), which the sandbox requires to be verified identities.
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Where:
    """The account and region a request is made in, and whether SES is in the sandbox."""

    region: str
    account: str
    ses_sandbox: bool = False

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


_SQS_ACTIONS = {
    "SendMessage": "sqs:SendMessage",
    "SendMessageBatch": "sqs:SendMessage",
    "ReceiveMessage": "sqs:ReceiveMessage",
    "DeleteMessage": "sqs:DeleteMessage",
    "DeleteMessageBatch": "sqs:DeleteMessage",
    "ChangeMessageVisibility": "sqs:ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "GetQueueAttributes": "sqs:GetQueueAttributes",
    "GetQueueUrl": "sqs:GetQueueUrl",
}
_DYNAMODB_ITEM_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem")


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        raise Unmodelled("the request body is not JSON") from None
    if not isinstance(parsed, dict):
        raise Unmodelled("the request body is not a JSON object")
    return parsed


@dataclass(frozen=True)
class HttpRequest:
    """One request as it reaches moto; ``service`` is the SigV4 signing name, headers lower-case."""

    service: str
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


def describe(http: HttpRequest, where: Where) -> Call:
    """The authorizations of one request."""
    service, method, path, body = http.service, http.method, http.path, http.body
    target = http.headers.get("x-amz-target", "")
    operation = target.rsplit(".", 1)[-1] if target else ""
    if service == "sqs" and operation in _SQS_ACTIONS:
        return _sqs(operation, _json(body), where)
    if service == "dynamodb" and operation in _DYNAMODB_ITEM_OPERATIONS:
        table = where.arn("dynamodb", f"table/{_json(body).get('TableName', '')}")
        return Call(service, operation, (Needed(f"dynamodb:{operation}", table),), (table,))
    if service == "events" and operation == "PutEvents":
        return _put_events(_json(body), where)
    if service == "scheduler":
        return _scheduler(method, unquote(path), parse_qs(http.query), body, where)
    if service == "ses" and method == "POST" and path == "/v2/email/outbound-emails":
        return _send_email(_json(body), where)
    if service in {"s3", "sts"}:
        return _s3(http) if service == "s3" else _sts(http)
    described = operation or f"{method} {path}"
    raise Unmodelled(f"{service} {described} is not modelled by the local authorization plane")


def _sqs(operation: str, request: dict[str, Any], where: Where) -> Call:
    if operation == "GetQueueUrl":
        name = str(request.get("QueueName", ""))
    else:
        # http://host:port/<account>/<name>: the name is the last segment, as in AWS's queue URLs.
        name = str(request.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
    queue = where.arn("sqs", name)
    return Call("sqs", operation, (Needed(_SQS_ACTIONS[operation], queue),), (queue,))


def _bus_arn(name: str, where: Where) -> str:
    return name if name.startswith("arn:") else where.arn("events", f"event-bus/{name or 'default'}")


def _put_events(request: dict[str, Any], where: Where) -> Call:
    needed = tuple(
        Needed(
            "events:PutEvents",
            _bus_arn(str(entry.get("EventBusName", "")), where),
            {"events:source": str(entry.get("Source", "")), "events:detail-type": str(entry.get("DetailType", ""))},
        )
        for entry in request.get("Entries", [])
        if isinstance(entry, dict)
    )
    return Call("events", "PutEvents", needed)


def _scheduler(method: str, path: str, query: dict[str, list[str]], body: bytes, where: Where) -> Call:
    parts = path.strip("/").split("/")
    if parts == ["schedules"] and method == "GET":
        return Call("scheduler", "ListSchedules", (Needed("scheduler:ListSchedules", "*"),))
    if len(parts) != len(("schedules", "<name>")) or parts[0] != "schedules":
        raise Unmodelled(f"scheduler {method} {path} is not modelled by the local authorization plane")
    operation = {"POST": "CreateSchedule", "GET": "GetSchedule", "PUT": "UpdateSchedule", "DELETE": "DeleteSchedule"}
    if method not in operation:
        raise Unmodelled(f"scheduler {method} {path} is not modelled by the local authorization plane")
    request = _json(body) if method in {"POST", "PUT"} else {}
    group = str(request.get("GroupName") or query.get("groupName", ["default"])[0])
    schedule = where.arn("scheduler", f"schedule/{group}/{parts[1]}")
    needed = [Needed(f"scheduler:{operation[method]}", schedule)]
    role = request.get("Target", {}).get("RoleArn") if isinstance(request.get("Target"), dict) else None
    if role:
        # A schedule's target role is passed to Scheduler (Scheduler user guide, "Set up the execution role").
        needed.append(Needed("iam:PassRole", str(role), {"iam:PassedToService": "scheduler.amazonaws.com"}))
    return Call("scheduler", operation[method], tuple(needed))


def _send_email(request: dict[str, Any], where: Where) -> Call:
    sender = str(request.get("FromEmailAddress", "")).rsplit("<", 1)[-1].rstrip(">").strip()
    destination = request.get("Destination", {})
    recipients = tuple(
        str(address)
        for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
        for address in (destination.get(kind) or [] if isinstance(destination, dict) else [])
    )
    context: Context = {"ses:FromAddress": sender, "ses:Recipients": recipients, "ses:ApiVersion": "2"}
    identities = (sender, *recipients) if where.ses_sandbox else (sender,)
    resources = [where.arn("ses", f"identity/{identity}") for identity in identities]
    if configuration_set := request.get("ConfigurationSetName"):
        resources.append(where.arn("ses", f"configuration-set/{configuration_set}"))
    needed = tuple(Needed("ses:SendEmail", resource, context) for resource in resources)
    return Call("ses", "SendEmail", needed, recipients=recipients)


# Query parameters of ListObjects(V2) and of object reads and writes that change neither the action
# nor the resource (botocore adds x-id to name the operation).
_LISTING = frozenset(
    {"list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type", "marker"}
)
_OBJECT = frozenset({"x-id", "versionId"})
_OBJECT_ACTIONS = {"GET": "GetObject", "HEAD": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject"}


def _s3(http: HttpRequest) -> Call:
    """One path-style S3 request."""
    bucket, _, key = unquote(http.path).lstrip("/").partition("/")
    query = parse_qs(http.query, keep_blank_values=True)
    described = f"s3 {http.method} {http.path}{'?' + http.query if http.query else ''}"
    if not bucket:
        raise Unmodelled(f"{described} is not modelled by the local authorization plane")
    if not key:
        if http.method in {"GET", "HEAD"} and set(query) <= _LISTING:
            return Call("s3", "ListObjects", (Needed("s3:ListBucket", f"arn:aws:s3:::{bucket}"),))
        if http.method == "GET" and "versions" in query:
            return Call("s3", "ListObjectVersions", (Needed("s3:ListBucketVersions", f"arn:aws:s3:::{bucket}"),))
        raise Unmodelled(f"{described} is not modelled by the local authorization plane")
    if set(query) - _OBJECT or http.method not in _OBJECT_ACTIONS or "x-amz-copy-source" in http.headers:
        raise Unmodelled(f"{described} is not modelled by the local authorization plane")
    operation = _OBJECT_ACTIONS[http.method]
    versioned = "versionId" in query and http.method != "PUT"
    action = f"s3:{operation}Version" if versioned else f"s3:{operation}"
    return Call("s3", operation, (Needed(action, f"arn:aws:s3:::{bucket}/{key}"),))


def _sts(http: HttpRequest) -> Call:
    """GetCallerIdentity, which needs no permission ("No permissions are required", STS API reference)."""
    form = parse_qs(http.body.decode("utf-8", "replace"))
    if form.get("Action") == ["GetCallerIdentity"]:
        return Call("sts", "GetCallerIdentity", ())
    raise Unmodelled(f"sts {form.get('Action', ['?'])[0]} is not modelled by the local authorization plane")
