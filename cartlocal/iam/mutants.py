"""Policy mistakes, each applied alone: does the local journey fail as it would on AWS?

``python -m cartlocal.iam.mutants`` (``make authz-mutants``) runs the local journey (what
``make demo`` checks) once per mutant, authorized with the contract's outputs and the boundary
with that one realistic mistake in them, and reports which ones it catches: a mutant is caught when
an expectation breaks or the stack cannot start. Every mutant here is a mistake AWS would punish
on the journey's path (a trust condition the service cannot satisfy, a queue policy naming the wrong
source, a key grant missing for a service, PassRole to the wrong service, a missing configuration-
set grant in the role or the boundary, ...); one that survives is a gap in the plane.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Outputs = dict[str, Any]
Document = dict[str, Any]


@dataclass(frozen=True)
class Mutant:
    name: str
    mistake: str
    # The document it changes, as a path into the outputs, and how.
    path: tuple[str, ...]
    change: Callable[[Document], None]

    def apply(self, outputs: Outputs) -> Outputs:
        changed = copy.deepcopy(outputs)
        holder: Any = changed
        for key in self.path[:-1]:
            holder = holder[key]
        document = json.loads(holder[self.path[-1]])
        before = json.dumps(document, sort_keys=True)
        self.change(document)
        if json.dumps(document, sort_keys=True) == before:
            raise ValueError(f"mutant {self.name} changes nothing: the policy it targets has changed")
        holder[self.path[-1]] = json.dumps(document)
        return changed


def _statement(document: Document, sid: str) -> Document:
    found: Document = next(s for s in document["Statement"] if s.get("Sid") == sid)
    return found


def _drop(sid: str) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]

    return change


def _condition(sid: str, operator: str, key: str, value: object) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        _statement(document, sid).setdefault("Condition", {}).setdefault(operator, {})[key] = value

    return change


def _resources(sid: str, edit: Callable[[list[str]], list[str]]) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        statement = _statement(document, sid)
        listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        statement["Resource"] = edit(listed)

    return change


def _principal(sid: str, service: str) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        _statement(document, sid)["Principal"] = {"Service": service}

    return change


def _key_policy_without_service(service: str) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        document["Statement"] = [s for s in document["Statement"] if s.get("Principal") != {"Service": service}]

    return change


def mutants(account: str, region: str) -> list[Mutant]:
    other_rule = f"arn:aws:events:{region}:{account}:rule/cartflow-local-bus/some-other-rule"
    return [
        Mutant(
            "api-trust-source-account",
            "the API role's trust requires aws:SourceAccount (API Gateway sends none for integration credentials)",
            ("trust_policies", "api_role"),
            _condition("ApiGateway", "StringEquals", "aws:SourceAccount", account),
        ),
        Mutant(
            "scheduler-trust-schedule-arn",
            "the Scheduler role's trust names the schedules, not the schedule group, as aws:SourceArn",
            ("trust_policies", "scheduler_role"),
            _condition(
                "SchedulerOfThisAccountAndGroup",
                "ArnLike",
                "aws:SourceArn",
                f"arn:aws:scheduler:{region}:{account}:schedule/cartflow-local-reminders/*",
            ),
        ),
        Mutant(
            "scheduler-trust-wrong-service",
            "the Scheduler role trusts events.amazonaws.com instead of scheduler.amazonaws.com",
            ("trust_policies", "scheduler_role"),
            _principal("SchedulerOfThisAccountAndGroup", "events.amazonaws.com"),
        ),
        Mutant(
            "queue-policy-wrong-rule",
            "the reminders queue policy's aws:SourceArn names another rule",
            ("queue_policies", "reminders"),
            _condition("EventBridgeRulesTargetingThisQueue", "ArnEquals", "aws:SourceArn", [other_rule]),
        ),
        Mutant(
            "queue-policy-wrong-service",
            "the reminders queue policy allows sns.amazonaws.com instead of EventBridge",
            ("queue_policies", "reminders"),
            _principal("EventBridgeRulesTargetingThisQueue", "sns.amazonaws.com"),
        ),
        Mutant(
            "key-policy-without-eventbridge",
            "the key policy lacks EventBridge's grant, so it cannot deliver to the encrypted queue",
            ("kms_key_policy",),
            _key_policy_without_service("events.amazonaws.com"),
        ),
        Mutant(
            "passrole-wrong-service",
            "schedule_reminder may pass the Scheduler role to events.amazonaws.com only",
            ("function_policies", "schedule_reminder"),
            _condition(
                "PassTheSchedulerRoleToSchedulerOnly", "StringEquals", "iam:PassedToService", "events.amazonaws.com"
            ),
        ),
        Mutant(
            "schedules-in-another-group",
            "schedule_reminder may manage schedules of another group only",
            ("function_policies", "schedule_reminder"),
            _resources(
                "ManageReminderSchedulesInTheGroup", lambda rs: [r.replace("-reminders/", "-other/") for r in rs]
            ),
        ),
        Mutant(
            "table-key-other-table",
            "schedule_reminder's table-key grant names another table in its encryption context",
            ("function_policies", "schedule_reminder"),
            _condition(
                "UseTheTableKeyThroughDynamoDB",
                "StringEquals",
                "kms:EncryptionContext:aws:dynamodb:tableName",
                "cartflow-local-other",
            ),
        ),
        Mutant(
            "role-without-configuration-set",
            "send_reminder's policy lacks the configuration-set grant of SendEmail",
            ("function_policies", "send_reminder"),
            _drop("SendWithTheRemindersConfigurationSet"),
        ),
        Mutant(
            "api-role-wrong-bus",
            "the API role may put events on the default bus only",
            ("api_role_policy",),
            _resources("PutCartEventsOnTheBus", lambda rs: [r.rsplit("/", 1)[0] + "/default" for r in rs]),
        ),
        Mutant(
            "boundary-without-configuration-set",
            "the boundary allows SendEmail on identities only (issue 23, item 4)",
            ("permissions_boundary",),
            _resources("SendEmail", lambda rs: [r for r in rs if ":configuration-set/" not in r]),
        ),
        Mutant(
            "boundary-without-send-email",
            "the boundary does not allow ses:SendEmail at all",
            ("permissions_boundary",),
            _drop("SendEmail"),
        ),
        Mutant(
            "boundary-keys-via-dynamodb-only",
            "the boundary lets the stack use keys through DynamoDB only, not SQS",
            ("permissions_boundary",),
            _condition(
                "UseKeysThroughTheStacksServices",
                "StringEquals",
                "kms:ViaService",
                [f"dynamodb.{region}.amazonaws.com"],
            ),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    from cartlocal.iam import local as iam_local  # noqa: PLC0415  # starts nothing until run
    from cartlocal.iam.least_privilege import journey  # noqa: PLC0415
    from cartlocal.local_aws.provision import ACCOUNT_ID, REGION  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="cartlocal.iam.mutants", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--dist", default="dist")
    parser.add_argument("--workdir", default=".local/authz-mutants")
    parser.add_argument("--only", action="append", help="run only these mutants (by name)")
    args = parser.parse_args(argv)
    outputs = iam_local.contract_outputs("cartflow-local")
    chosen = [m for m in mutants(ACCOUNT_ID, REGION) if not args.only or m.name in args.only]
    caught = 0
    for mutant in chosen:
        broken, denials = journey(mutant.apply(outputs), Path(args.dist), Path(args.workdir))
        caught += bool(broken)
        verdict = f"caught: {'; '.join(broken)}" if broken else "SURVIVED (the plane lets this mistake pass)"
        print(f"{mutant.name}: {verdict} ({denials} denials)", flush=True)
    print(f"{caught}/{len(chosen)} policy mistakes caught by the local journey")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
