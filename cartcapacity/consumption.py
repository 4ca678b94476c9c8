"""Units of each quota one operation consumes, from the calls it makes (cartcapacity.calls).

Most calls take one unit of one quota. Four take more than a count: a created schedule is held
until it fires (the environment's reminder delay), a function invocation holds an execution for
its duration (cartcost's assumptions), a batch carries the environment's batch size of records
through its event source mapping (paced by its SES rate, cartflow.pacing), and a request goes
through its route's own stage throttle. A call this module
does not know is an error, so a new call never goes uncounted.
"""

from __future__ import annotations

from cartcapacity.calls import Call
from cartcapacity.environment import Environment, batch_seconds, mapping_key, route_key
from cartcost.assumptions import Assumptions

# Quotas one call takes one unit of. DynamoDB: every item here is under 1 KB and read strongly
# consistent, so a read is one read request unit and a write one write request unit.
PER_CALL: dict[str, tuple[str, ...]] = {
    "apigateway:Request": ("api_account_throttle",),
    "events:PutEvents": ("eventbridge_put_events",),
    "events:Invocation": ("eventbridge_invocations",),
    "lambda:InvokeAsync": ("lambda_async_invocations",),
    "lambda:InvokeBatch": (),
    "scheduler:Invocation": ("scheduler_invocations",),
    "scheduler:CreateSchedule": ("scheduler_create_schedule",),
    "scheduler:GetSchedule": ("scheduler_get_schedule",),
    "scheduler:UpdateSchedule": ("scheduler_update_schedule",),
    "scheduler:DeleteSchedule": ("scheduler_delete_schedule",),
    "scheduler:ListSchedules": ("scheduler_list_schedules",),
    "dynamodb:GetItem": ("dynamodb_table_reads",),
    "dynamodb:PutItem": ("dynamodb_table_writes",),
    "dynamodb:UpdateItem": ("dynamodb_table_writes",),
    # Sandbox and production rows alike: the quota table keeps the ones that apply.
    "ses:SendEmail": ("ses_send_rate", "ses_daily", "ses_send_rate_sandbox", "ses_daily_sandbox"),
    "sqs:SendMessage": ("sqs_standard_requests",),
    "sqs:ReceiveMessage": ("sqs_standard_requests",),
    "sqs:DeleteMessageBatch": ("sqs_standard_requests",),
}


class ConsumptionError(KeyError):
    """A call whose quotas the model does not know."""


def call_units(call: Call, environment: Environment, assumptions: Assumptions) -> dict[str, float]:
    """Units of each quota one such call takes."""
    if call.action not in PER_CALL:
        raise ConsumptionError(f"{call.actor} calls {call.action}: teach cartcapacity.consumption its quotas")
    units = dict.fromkeys(PER_CALL[call.action], 1.0)
    if call.action == "apigateway:Request":
        units[route_key(call.target)] = 1.0
    if call.action == "scheduler:CreateSchedule":
        units["scheduler_schedules"] = float(environment.delay_seconds)
    if call.action == "lambda:InvokeAsync":
        units["lambda_concurrency"] = batch_seconds(assumptions, call.target, 1)
    if call.action == "lambda:InvokeBatch":
        queue = environment.deployed.queues[call.batch_of]
        size = queue.batch_size
        units["lambda_concurrency"] = batch_seconds(assumptions, call.target, size, queue.sends_per_second)
        units[mapping_key(call.batch_of)] = float(size)
    return units


def per_operation(call: Call, environment: Environment) -> float:
    """How many such calls one operation makes: a batch's call is shared by its batch's messages."""
    return call.count / environment.deployed.queues[call.batch_of].batch_size if call.batch_of else call.count


def units(calls: list[Call], environment: Environment, assumptions: Assumptions) -> dict[str, float]:
    """Units of each quota the calls of one operation take together."""
    total: dict[str, float] = {}
    for call in calls:
        for key, per_call in call_units(call, environment, assumptions).items():
            total[key] = total.get(key, 0.0) + per_operation(call, environment) * per_call
    return total
