"""``${{ }}`` expressions: the forms deploy.yml uses, evaluated as GitHub does, anything else refused.

The workflow only reads contexts (``vars.X``, ``github.run_id``, ``steps.<id>.outputs.<name>``,
``needs.<job>.outputs.<name>``, ``env.X``, ``secrets.X``). A property that is missing evaluates to
an empty string, as on GitHub (an unset repository variable is ``''``); an operator, a function
call or a literal the rehearsal does not evaluate is an :class:`UnsupportedWorkflow` naming it, so
a new construct in the workflow can never be silently mis-read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cartship.rehearsal.errors import UnsupportedWorkflow

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*")
CONTEXTS = frozenset({"vars", "github", "steps", "needs", "env", "secrets", "runner", "job", "inputs"})


def evaluate(expression: str, contexts: Mapping[str, Any]) -> str:
    """The value of one expression body (without ``${{ }}``), as the string GitHub substitutes."""
    path = expression.strip()
    if not _PATH.fullmatch(path):
        raise UnsupportedWorkflow(f"expression not understood by the rehearsal: ${{{{ {path} }}}}")
    head, *rest = path.split(".")
    if head not in CONTEXTS:
        raise UnsupportedWorkflow(f"unknown context {head!r} in ${{{{ {path} }}}}")
    if head not in contexts:
        raise UnsupportedWorkflow(f"context {head!r} is not available here: ${{{{ {path} }}}}")
    value: Any = contexts[head]
    for name in rest:
        # GitHub's property lookup is case-insensitive and yields null (then '') when missing.
        if not isinstance(value, Mapping):
            return ""
        matches = [key for key in value if str(key).lower() == name.lower()]
        if not matches:
            return ""
        value = value[matches[0]]
    if isinstance(value, Mapping | list):
        raise UnsupportedWorkflow(f"${{{{ {path} }}}} is an object; the rehearsal substitutes strings only")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(text: str, contexts: Mapping[str, Any]) -> str:
    """``text`` with every ``${{ ... }}`` replaced by its value."""
    return _EXPRESSION.sub(lambda found: evaluate(found.group(1), contexts), text)


def substitute_all(value: Any, contexts: Mapping[str, Any]) -> Any:
    """Strings substituted anywhere inside a YAML value (mappings, lists); other scalars as strings."""
    if isinstance(value, str):
        return substitute(value, contexts)
    if isinstance(value, Mapping):
        return {str(key): substitute_all(item, contexts) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute_all(item, contexts) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None else str(value)
