"""`make consumer NAME=<name> ON=<DetailType>[,...]`: a new consumer of bus events, wired everywhere.

A consumer is a rule (its pattern file) invoking a function; everything else follows from the
contract (Terraform's function, rule, target, permission, alarms and dashboard; the local stack's
worker and delivery; the function's settings). This writes the six places a person would edit
(docs/consumers.md): the pattern file, the function and rule entries of stack.json, the function
folder (handler, requirements and the lock its dependencies already have), its test, the routing
expectation of tests/unit/test_contract.py and the README's contract tables. It touches no producer:
not the API, not events.json or the event schemas, not another function.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from cartflow import contract
from cartflow.models import DETAIL_MODELS
from tools import readme_tables

ROOT = Path(__file__).resolve().parent.parent
# The function whose dependencies a new consumer starts with (the same requirements.in).
TEMPLATE_FUNCTION = "cancel_reminders"
NAME = re.compile(r"^[a-z][a-z0-9_]{2,30}$")
FUNCTION_SETTINGS = ["POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"]

APP = '''"""{name}: on {on}, {purpose}.

Scaffolded by `make consumer`; the contract routes these events here (patterns/{name}.json) and
the function accepts fields it does not know (a tolerant consumer, cartflow.models).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cartflow.config import load_settings
from cartflow.models import {models}, prepare
from cartflow.observability import logger, metrics, trace_handler
from cartflow.parsing import parse, reject

# A missing setting fails the cold start naming it; add settings to stack.json as the code needs them.
settings = load_settings("{name}")
DETAILS = {{detail.DETAIL_TYPE: detail for detail in ({models_tuple})}}
prepare(*DETAILS.values())


@logger.inject_lambda_context(correlation_id_path="detail.request_id")
@trace_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event)


# Undecorated, unlike the handler, so the mutation run (docs/mutation.md) can mutate it.
def consume(event: dict[str, Any]) -> dict[str, Any]:
    """Accept one of this consumer's events; reject any other detail-type."""
    detail_type = event.get("detail-type") if isinstance(event, dict) else None
    if detail_type not in DETAILS:
        raise reject(f"detail-type: expected one of {{sorted(DETAILS)}}, got {{detail_type!r}}")
    parsed = parse(event, DETAILS[str(detail_type)], detail_type=detail_type)
    logger.info("event received", extra={{"detail_type": detail_type, "event_id": parsed.id}})
    return {{"detail_type": detail_type, "event_id": parsed.id}}
'''

TEST = '''"""{name} against moto: it receives exactly its events, tolerates unknown fields, rejects the rest."""

from __future__ import annotations

from typing import Any

import pytest

from cartflow import contract
from cartflow.parsing import InvalidEventError
from tests.helpers.events import deliver_to, valid_detail
from tests.helpers.lambda_context import FakeLambdaContext

CONTEXT = FakeLambdaContext("{name}")
DETAIL_TYPES = {detail_types}


def routed(stack: Any, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    source = contract.event_type(detail_type)["source"]
    return deliver_to(stack, "{name}", source, detail_type, detail)


@pytest.mark.parametrize("detail_type", DETAIL_TYPES)
def test_each_of_its_events_is_routed_here_and_handled(stack: Any, load_function: Any, detail_type: str) -> None:
    detail = {{**valid_detail(detail_type), "added_by_a_newer_producer": True}}
    envelope = routed(stack, detail_type, detail)
    result = load_function("{name}").handler(envelope, CONTEXT)
    assert result == {{"detail_type": detail_type, "event_id": envelope["id"]}}


def test_an_event_it_does_not_consume_is_rejected(stack: Any, load_function: Any) -> None:
    envelope = routed(stack, DETAIL_TYPES[0], valid_detail(DETAIL_TYPES[0]))
    with pytest.raises(InvalidEventError, match="detail-type"):
        load_function("{name}").handler({{**envelope, "detail-type": "SomethingElse"}}, CONTEXT)
'''


class ScaffoldError(ValueError):
    """A name that is taken or invalid, or an event the contract does not declare."""


def check(name: str, detail_types: list[str]) -> None:
    stack = contract.stack()
    if not NAME.match(name):
        raise ScaffoldError(f"NAME {name!r}: lower case letters, digits and _, 3 to 31 characters")
    if name in stack["functions"] or name in stack["rules"] or (ROOT / "functions" / name).exists():
        raise ScaffoldError(f"NAME {name!r} is already a function or rule")
    declared = {entry["detail_type"] for entry in contract.event_types()}
    unknown = [detail_type for detail_type in detail_types if detail_type not in declared]
    if not detail_types or unknown:
        raise ScaffoldError(f"ON names no event or unknown ones {unknown}; events.json declares {sorted(declared)}")


def _insert_entry(text: str, section: str, key: str, entry: dict[str, object]) -> str:
    """``text`` (stack.json) with ``key: entry`` as the first member of the object ``section``."""
    opening = f'"{section}": {{\n'
    at = text.index(opening) + len(opening)
    indent = " " * (len(text[: text.index(opening)]) - len(text[: text.index(opening)].rstrip(" ")) + 2)
    return f"{text[:at]}{indent}{json.dumps(key)}: {json.dumps(entry)},\n{text[at:]}"


def write_contract(root: Path, name: str, detail_types: list[str]) -> None:
    sources = sorted({contract.event_type(detail_type)["source"] for detail_type in detail_types})
    pattern = {"source": sources, "detail-type": detail_types}
    (root / "cartflow/contract/patterns" / f"{name}.json").write_text(json.dumps(pattern, indent=2) + "\n")
    stack_file = root / "cartflow/contract/stack.json"
    text = stack_file.read_text()
    template = contract.stack()["functions"][TEMPLATE_FUNCTION]
    function = {
        "description": f"On {', '.join(detail_types)}: what {name} does with them.",
        **{key: template[key] for key in ("handler", "runtime", "architecture", "sdk", "timeout", "memory_size")},
        "maximum_retry_attempts": template["maximum_retry_attempts"],
        "maximum_event_age_in_seconds": template["maximum_event_age_in_seconds"],
        "environment": FUNCTION_SETTINGS,
    }
    rule = {
        "description": f"{', '.join(detail_types)} for {name}.",
        "pattern": f"patterns/{name}.json",
        "target": {"type": "lambda", "function": name},
        "retry": contract.stack()["rules"][TEMPLATE_FUNCTION]["retry"],
    }
    text = _insert_entry(_insert_entry(text, "functions", name, function), "rules", name, rule)
    json.loads(text)
    stack_file.write_text(text)


def write_function(root: Path, name: str, detail_types: list[str]) -> None:
    folder = root / "functions" / name
    folder.mkdir()
    models = ", ".join(sorted(DETAIL_MODELS[detail_type].__name__ for detail_type in detail_types))
    purpose = "handle them"
    # A one-model tuple needs its comma; more than one must not have it (ruff format's magic comma).
    models_tuple = models + ("," if len(detail_types) == 1 else "")
    app = APP.format(name=name, on=", ".join(detail_types), purpose=purpose, models=models, models_tuple=models_tuple)
    (folder / "app.py").write_text(app)
    template = root / "functions" / TEMPLATE_FUNCTION
    (folder / "requirements.in").write_text((template / "requirements.in").read_text())
    # The same requirements.in compiles to the same pins; only the header names the new files.
    lock = (template / "requirements.txt").read_text()
    (folder / "requirements.txt").write_text(lock.replace(f"functions/{TEMPLATE_FUNCTION}/", f"functions/{name}/"))


def write_tests(root: Path, name: str, detail_types: list[str]) -> None:
    (root / "tests" / "unit" / f"test_{name}.py").write_text(
        TEST.format(name=name, detail_types=json.dumps(detail_types))
    )
    routes = root / "tests" / "unit" / "test_contract.py"
    text = routes.read_text()
    for detail_type in detail_types:
        empty = f'    "{detail_type}": set(),\n'
        if empty in text:
            text = text.replace(empty, f'    "{detail_type}": {{"{name}"}},\n')
        else:
            text, count = re.subn(rf'(    "{detail_type}": {{[^}}]*)}}', rf'\1, "{name}"}}', text)
            if count != 1:
                raise ScaffoldError(f"tests/unit/test_contract.py: no EXPECTED_ROUTES entry for {detail_type}")
    routes.write_text(text)


def scaffold(root: Path, name: str, detail_types: list[str]) -> list[str]:
    """Write the new consumer under ``root``; the files written or changed."""
    check(name, detail_types)
    write_contract(root, name, detail_types)
    write_function(root, name, detail_types)
    write_tests(root, name, detail_types)
    contract.load.cache_clear()
    readme = root / "README.md"
    readme.write_text(readme_tables.render(readme.read_text()))
    return [
        f"cartflow/contract/patterns/{name}.json",
        "cartflow/contract/stack.json",
        f"functions/{name}/app.py",
        f"functions/{name}/requirements.in",
        f"functions/{name}/requirements.txt",
        f"tests/unit/test_{name}.py",
        "tests/unit/test_contract.py",
        "README.md",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tools.scaffold_consumer", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--name", required=True, help="the consumer (function and rule) name, e.g. loyalty_points")
    parser.add_argument("--on", required=True, help="comma-separated detail-types it consumes")
    args = parser.parse_args(argv)
    try:
        written = scaffold(ROOT, args.name, [part.strip() for part in args.on.split(",") if part.strip()])
    except ScaffoldError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(["wrote:", *(f"  {path}" for path in written), "next: docs/consumers.md (IAM, then make test)"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
