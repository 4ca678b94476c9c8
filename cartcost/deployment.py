"""What one environment deploys, read from its files: the settings every cost line depends on.

terraform/environments/<env>/terraform.tfvars (python-hcl2) over the root's and the cartflow
module's variable defaults; memory, architecture, timeout and batching from the contract;
how many alarms, KMS keys and dashboards the module creates from its HCL, so a new alarm or key
shows up in the estimate without touching this package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

from cartflow import contract, pacing

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ROOT / "terraform" / "environments"
ROOT_MODULE = ENVIRONMENTS / "root"
MODULE = ROOT / "terraform" / "modules" / "cartflow"


class DeploymentError(ValueError):
    """An unknown environment or a module shape the estimate cannot count."""


@dataclass(frozen=True)
class Function:
    name: str
    memory_mb: int
    architecture: str
    timeout_seconds: int


@dataclass(frozen=True)
class Queue:
    consumer: str
    batch_size: int
    batching_window_seconds: int
    # How many batches the event source mapping runs at once.
    maximum_concurrency: int
    # How fast each invocation sends (cartflow.pacing): sends in a batch are spaced 1 / this apart.
    sends_per_second: float


@dataclass(frozen=True)
class Deployment:
    environment: str
    region: str
    api: str
    functions: dict[str, Function]
    queues: dict[str, Queue]
    log_retention_days: int
    archive_retention_days: int
    alarms: int
    kms_keys: int
    dashboards: int
    tracing: bool
    snapstart: bool = False

    def with_architecture(self, architecture: str) -> Deployment:
        functions = {name: replace(fn, architecture=architecture) for name, fn in self.functions.items()}
        return replace(self, functions=functions)

    def with_api(self, api: str) -> Deployment:
        return replace(self, api=api)


def load_hcl(path: Path) -> dict[str, Any]:
    """A Terraform file as data: a fresh copy each call, parsed once per content (parsing is slow,
    and one reading of an environment parses each module file several times)."""
    document: dict[str, Any] = json.loads(_parsed(path.read_text(encoding="utf-8")))
    return document


@cache
def _parsed(text: str) -> str:
    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    return json.dumps(hcl2.loads(text, serialization_options=options))


def variable_defaults(module: Path) -> dict[str, Any]:
    defaults = {}
    for path in sorted(module.glob("*.tf")):
        for block in load_hcl(path).get("variable", []):
            for name, body in block.items():
                if "default" in body:
                    defaults[name] = body["default"]
    return defaults


def resources(module: Path, kind: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(module.glob("*.tf")):
        for block in load_hcl(path).get("resource", []):
            found.extend(block.get(kind, {}).values())
    return found


def contract_alarms() -> int:
    """How many alarms the contract module derives: two per rule, plus InvalidEvents, EmailsRejected,
    SendingPaused and Scheduler's two (tests/test_observability.py holds the module to this count)."""
    return 2 * len(contract.stack()["rules"]) + 5


def count_instances(module: Path, kind: str) -> int:
    """Instances of a resource type, resolving the for_each forms this module uses."""
    stack = contract.stack()
    fixed_dlqs = [key for key in stack["names"] if key.endswith("_dlq") and key != "queue_dlq"]
    sizes = {
        "${local.dead_letter_queues}": len(stack["queues"]) + len(fixed_dlqs),
        "${module.function}": len(stack["functions"]),
        "${module.contract.alarms}": contract_alarms(),
        "${module.contract.queues}": len(stack["queues"]),
    }
    total = 0
    for body in resources(module, kind):
        if "count" in body:
            raise DeploymentError(f"{kind} uses count ({body['count']}): teach cartcost.deployment to count it")
        if "for_each" not in body:
            total += 1
        elif body["for_each"] in sizes:
            total += sizes[body["for_each"]]
        else:
            raise DeploymentError(f"{kind} has for_each {body['for_each']}: teach cartcost.deployment to count it")
    return total


def settings(environment: str) -> dict[str, Any]:
    """The environment's variable values: its terraform.tfvars over the defaults."""
    tfvars = ENVIRONMENTS / environment / "terraform.tfvars"
    if not tfvars.is_file():
        known = sorted(path.parent.name for path in ENVIRONMENTS.glob("*/terraform.tfvars"))
        raise DeploymentError(f"unknown environment {environment!r} (one of: {', '.join(known)})")
    return {**variable_defaults(MODULE), **variable_defaults(ROOT_MODULE), **load_hcl(tfvars)}


def read(environment: str) -> Deployment:
    values = settings(environment)
    stack = contract.stack()
    functions = {
        name: Function(name, spec["memory_size"], spec["architecture"], spec["timeout"])
        for name, spec in stack["functions"].items()
    }
    # The batch size follows the environment's SES sending rate (cartflow.pacing).
    rate = int(values["ses_max_send_rate"])
    sources = {name: pacing.event_source(name, rate) for name in stack["queues"]}
    queues = {
        name: Queue(
            spec["consumer"],
            sources[name].batch_size,
            spec["maximum_batching_window_in_seconds"],
            sources[name].maximum_concurrency,
            sources[name].sends_per_second,
        )
        for name, spec in stack["queues"].items()
    }
    return Deployment(
        environment=environment,
        region=values["region"],
        # The API type of the environment (terraform.tfvars api, the module defaults to "rest").
        api=values.get("api", "rest"),
        functions=functions,
        queues=queues,
        log_retention_days=int(values["log_retention_in_days"]),
        archive_retention_days=int(values["archive_retention_days"]),
        alarms=count_instances(MODULE, "aws_cloudwatch_metric_alarm"),
        kms_keys=count_instances(MODULE, "aws_kms_key"),
        dashboards=count_instances(MODULE, "aws_cloudwatch_dashboard"),
        snapstart=bool(values.get("snapstart", False)),
        tracing=any(body.get("tracing_mode") == "Active" for body in _module_calls(MODULE, "../lambda_function")),
    )


def _module_calls(module: Path, source: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for path in sorted(module.glob("*.tf")):
        for block in load_hcl(path).get("module", []):
            calls.extend(body for body in block.values() if body.get("source") == source)
    return calls
