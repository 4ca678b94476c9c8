"""Terraform's ``templatefile()`` pass over the mapping templates, before API Gateway sees them.

Terraform renders ``put_events.request.vtl`` with ``templatefile(path, {event_bus_name, source,
detail_type})`` and uploads the result; API Gateway's VTL engine only ever sees that output. The
local API must therefore apply the same substitution first, or a ``${...}`` that Terraform would
reject (or silently replace) would behave differently locally.

Supported, with Terraform's semantics: ``${name}`` (optional spaces) replaced verbatim by a string
variable; ``$${`` and ``%%{`` escapes; every other ``$``/``%`` passes through (so VTL's ``$!{x}``
survives). Anything else Terraform's template language allows (expressions, function calls,
``~`` strip markers, ``%{if}``/``%{for}`` directives) is refused with a :class:`TemplateFileError`
naming the line: the contract templates do not need them, and a silently different rendering
would be worse than a loud one. A reference to a variable not passed is an error, as in Terraform.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_OPENER = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_IDENTIFIER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_-]*)\s*")


class TemplateFileError(ValueError):
    """The template is one ``terraform plan`` would reject, or one this renderer cannot honour."""


def render_templatefile(text: str, variables: Mapping[str, str], name: str = "<template>") -> str:
    """Return ``text`` rendered like Terraform's ``templatefile(name, variables)``."""
    output: list[str] = []
    position = 0
    while match := _OPENER.search(text, position):
        output.append(text[position : match.start()])
        opener = match.group()
        line = text.count("\n", 0, match.start()) + 1
        if opener in {"$${", "%%{"}:
            output.append(opener[1:])
            position = match.end()
            continue
        close = text.find("}", match.end())
        if close < 0:
            raise TemplateFileError(f"{name}:{line}: unterminated {opener!r} sequence")
        inner = text[match.end() : close]
        if opener == "%{":
            raise TemplateFileError(f"{name}:{line}: template directive %{{{inner}}} is not supported locally")
        reference = _IDENTIFIER.fullmatch(inner)
        if reference is None:
            raise TemplateFileError(
                f"{name}:{line}: ${{{inner}}} is not a plain variable reference (not supported locally)"
            )
        variable = reference.group(1)
        if variable not in variables:
            raise TemplateFileError(
                f'{name}:{line}: Invalid value for "vars" parameter: vars map does not contain key "{variable}"'
            )
        output.append(variables[variable])
        position = close + 1
    output.append(text[position:])
    return "".join(output)
