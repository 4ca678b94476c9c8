"""The local stack's authorization plane: every principal, every policy, and the decisions.

Built once from the contract module's outputs (the documents Terraform attaches): the identity
policy of each role, the permissions boundary every stack role carries (the bootstrap's boundary
module, ``permissions_boundary``), the trust policy of each role a service assumes, the queue
policies and the key policy, plus which resources the stack key encrypts. :meth:`Plane.check` decides one API call
of a principal, including the KMS calls AWS makes *as the caller* for a customer managed key
(SQS: GenerateDataKey and Decrypt to send, Decrypt to receive; DynamoDB: Decrypt of the table key
on every item read or write), each with ``kms:ViaService`` and the service's encryption context.
:meth:`Plane.assume` evaluates a trust policy with the context the assuming service sends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cartlocal.iam.conditions import Context
from cartlocal.iam.operations import Call, Needed, Where
from cartlocal.iam.policy import Decision, Policy, Principal, Request, authorize

# The contract module outputs the plane is built from.
OUTPUTS = (
    "names",
    "arns",
    "function_policies",
    "function_runtime_policies",
    "scheduler_role_policy",
    "api_role_policy",
    "trust_policies",
    "queue_policies",
    "rule_target_dlq_policy",
    "kms_key_policy",
)


def access_key_id(role_arn: str) -> str:
    """The access key id the local stack signs a role's requests with (ASIA: temporary credentials)."""
    return "ASIA" + hashlib.sha256(role_arn.encode()).hexdigest()[:16].upper()


@dataclass(frozen=True)
class Denial:
    """A refused authorization: what the caller's SDK is told, and what the timeline says."""

    request: Request
    decision: Decision
    # The API call whose implied KMS request this was (None: the call itself was refused).
    via: str | None = None

    @property
    def message(self) -> str:
        return self.decision.message(self.request)


@dataclass
class Plane:
    """Policies by principal and resource, parsed once; decisions are pure functions of them."""

    where: Where
    identity: dict[str, tuple[Policy, ...]] = field(default_factory=dict)
    # Role ARN -> its permissions boundary.
    boundaries: dict[str, Policy] = field(default_factory=dict)
    resource: dict[str, Policy] = field(default_factory=dict)
    # Resource ARN -> ARN of the customer managed key it is encrypted with.
    encrypted_with: dict[str, str] = field(default_factory=dict)
    # Access key id -> principal (role session).
    principals: dict[str, Principal] = field(default_factory=dict)

    @classmethod
    def from_contract(cls, outputs: Mapping[str, Any], where: Where, key_arn: str) -> Plane:
        names, arns = outputs["names"], outputs["arns"]
        plane = cls(where)
        for function, document in outputs["function_policies"].items():
            role = arns["function_roles"][function]
            runtime = outputs["function_runtime_policies"][function]
            runtime_policy = Policy.parse(f"{names['functions'][function]} (runtime policy)", runtime)
            # A function that calls no AWS API gets no handler policy (IAM takes none without a
            # statement; the lambda_function module attaches it only when it has one).
            has_handler_policy = bool(json.loads(document).get("Statement"))
            plane.identity[role] = (
                (Policy.parse(f"{names['functions'][function]} (handler policy)", document), runtime_policy)
                if has_handler_policy
                else (runtime_policy,)
            )
            plane.principals[access_key_id(role)] = Principal.role(role, names["functions"][function])
        plane.identity[arns["scheduler_role"]] = (
            Policy.parse(f"{names['scheduler_role']} (role)", outputs["scheduler_role_policy"]),
        )
        plane.identity[arns["api_role"]] = (Policy.parse(f"{names['api_role']} (role)", outputs["api_role_policy"]),)
        # The session names AWS gives these services' sessions are not documented: unverified.
        plane.principals[access_key_id(arns["scheduler_role"])] = Principal.role(arns["scheduler_role"], "scheduler")
        plane.principals[access_key_id(arns["api_role"])] = Principal.role(arns["api_role"], "apigateway")
        # Every role of the stack carries the environment's boundary (terraform/modules/cartflow).
        boundary = Policy.parse("permissions boundary", outputs["permissions_boundary"])
        for role in plane.identity:
            plane.boundaries[role] = boundary
        trusts = outputs["trust_policies"]
        plane.resource[arns["api_role"]] = Policy.parse(f"{names['api_role']} (trust)", trusts["api_role"])
        plane.resource[arns["scheduler_role"]] = Policy.parse(
            f"{names['scheduler_role']} (trust)", trusts["scheduler_role"]
        )
        for queue, document in outputs["queue_policies"].items():
            plane.resource[arns["queues"][queue]] = Policy.parse(f"{names['queues'][queue]} (queue policy)", document)
        plane.resource[arns["rule_target_dlq"]] = Policy.parse(
            f"{names['rule_target_dlq']} (queue policy)", outputs["rule_target_dlq_policy"]
        )
        plane.resource[key_arn] = Policy.parse(f"{names['kms_alias']} (key policy)", outputs["kms_key_policy"])
        # Every queue and the table of the stack are encrypted with the stack key (sqs.tf, dynamodb.tf).
        queues = [*names["queues"].values(), *names["queue_dlqs"].values()]
        queues += [names["scheduler_dlq"], names["rule_target_dlq"], names["async_failure_dlq"]]
        for queue in queues:
            plane.encrypted_with[where.arn("sqs", queue)] = key_arn
        plane.encrypted_with[arns["idempotency_table"]] = key_arn
        return plane

    def is_stack_queue(self, queue_arn: str) -> bool:
        """A queue Terraform declares (the others are the local stack's own plumbing)."""
        return queue_arn in self.encrypted_with or queue_arn in self.resource

    def principal(self, access_key: str) -> Principal | None:
        return self.principals.get(access_key)

    def decide(self, request: Request) -> Decision:
        role = request.principal.name if request.principal.kind == "role" else None
        return authorize(
            request,
            self.identity.get(role, ()) if role else (),
            self.resource.get(request.resource),
            boundary=self.boundaries.get(role) if role else None,
        )

    def check(self, principal: Principal, call: Call, context: Context | None = None) -> Denial | None:
        """The first refused authorization of ``call`` by ``principal``, or None when AWS would allow it.

        ``context``: keys the calling service adds to every request (a service principal's
        aws:SourceAccount and aws:SourceArn), the implied KMS calls included.
        """
        for needed in call.needed:
            merged = {**self._context(principal, needed.context), **(context or {})}
            request = Request(principal, needed.action, needed.resource, merged)
            decision = self.decide(request)
            if not decision.allowed:
                return Denial(request, decision)
        for needed in self._implied(call):
            merged = {**self._context(principal, needed.context), **(context or {})}
            request = Request(principal, needed.action, needed.resource, merged)
            decision = self.decide(request)
            if not decision.allowed:
                return Denial(request, decision, via=f"{call.service}:{call.operation}")
        return None

    def assume(self, service: str, role_arn: str, context: Context) -> Decision:
        """May ``service`` assume ``role_arn``, sending ``context``? (its trust policy decides)."""
        request = Request(Principal.service(service), "sts:AssumeRole", role_arn, context)
        return self.decide(request)

    def api_gateway_assumes(self, role_arn: str) -> Decision:
        """API Gateway assuming an integration's credentials role: it sends neither aws:SourceAccount
        nor aws:SourceArn (docs/aws-fidelity.md, "Principals and the context each service sends")."""
        return self.assume("apigateway.amazonaws.com", role_arn, {})

    def scheduler_assumes(self, role_arn: str, group: str) -> Decision:
        """Scheduler assuming a schedule's role: aws:SourceAccount and the schedule **group** as aws:SourceArn."""
        source = self.where.arn("scheduler", f"schedule-group/{group}")
        context = {"aws:SourceAccount": self.where.account, "aws:SourceArn": source}
        return self.assume("scheduler.amazonaws.com", role_arn, context)

    def _context(self, principal: Principal, extra: Context) -> Context:
        """Global keys AWS adds to every request of a role session (IAM User Guide, global condition keys)."""
        common: dict[str, str | tuple[str, ...]] = {
            "aws:RequestedRegion": self.where.region,
            "aws:SecureTransport": "true",
        }
        if principal.kind == "role":
            common |= {
                "aws:PrincipalArn": principal.name,
                "aws:PrincipalAccount": principal.account,
                "aws:PrincipalType": "AssumedRole",
            }
        return {**common, **extra}

    def _implied(self, call: Call) -> Iterator[Needed]:
        for resource in call.touches:
            key = self.encrypted_with.get(resource)
            if key is None:
                continue
            if call.service == "sqs":
                context = {
                    "kms:ViaService": f"sqs.{self.where.region}.amazonaws.com",
                    "kms:CallerAccount": self.where.account,
                    "kms:EncryptionContext:aws:sqs:arn": resource,
                }
                # SQS developer guide, "Key management": producers need GenerateDataKey and Decrypt,
                # consumers Decrypt.
                actions = {
                    "SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
                    "SendMessageBatch": ("kms:GenerateDataKey", "kms:Decrypt"),
                    "ReceiveMessage": ("kms:Decrypt",),
                }.get(call.operation, ())
            elif call.service == "dynamodb":
                context = {
                    "kms:ViaService": f"dynamodb.{self.where.region}.amazonaws.com",
                    "kms:CallerAccount": self.where.account,
                    "kms:EncryptionContext:aws:dynamodb:tableName": resource.rsplit("/", 1)[-1],
                    "kms:EncryptionContext:aws:dynamodb:subscriberId": self.where.account,
                }
                # KMS developer guide, "How Amazon DynamoDB uses AWS KMS": the table key is decrypted
                # with the caller's credentials when the caller accesses the table. Its example key
                # policy also gives callers via DynamoDB kms:DescribeKey; whether an item access
                # calls it is not documented, so it is required too (the stricter model), and
                # without an encryption context (DescribeKey takes none).
                yield Needed(
                    "kms:DescribeKey",
                    key,
                    {"kms:ViaService": context["kms:ViaService"], "kms:CallerAccount": self.where.account},
                )
                actions = ("kms:Decrypt",)
            else:
                actions = ()
            for action in actions:
                yield Needed(action, key, context)
