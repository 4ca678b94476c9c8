"""API Gateway's mapping-template engine: VTL (airspeed) with ``$input``, ``$util`` and ``$context``.

API Gateway renders mapping templates with Apache Velocity plus three variables it supplies. The
local API renders the very template files Terraform deploys with airspeed (the Velocity port
LocalStack uses for API Gateway) and the objects below, which follow the mapping template
reference (docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html).

Deliberate limits, each failing loudly rather than answering differently from AWS:
- JSONPath in ``$input.json``/``$input.path`` supports ``$``, ``.name``, ``['name']`` and ``[index]``
  steps only (no wildcards, filters, slices or recursive descent) -> :class:`VtlError`.
- ``$util.escapeJavaScript`` is Java's ``StringEscapeUtils.escapeEcmaScript``: like AWS it turns
  ``'`` into ``\\'``, which is not valid inside a JSON string (the AWS docs warn about this).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sized
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed

_ECMASCRIPT_ESCAPES = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\n": "\\n", "\t": "\\t"}
_ECMASCRIPT_ESCAPES |= {"\f": "\\f", "\r": "\\r"}
_JSONPATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]|\[(\d+)\]")


class VtlError(ValueError):
    """A mapping template failed: API Gateway answers 500 ``Internal server error`` for this."""


def escape_ecmascript(value: str) -> str:
    """Java's ``StringEscapeUtils.escapeEcmaScript`` (what ``$util.escapeJavaScript`` runs)."""
    escaped: list[str] = []
    for char in value:
        code = ord(char)
        if char in _ECMASCRIPT_ESCAPES:
            escaped.append(_ECMASCRIPT_ESCAPES[char])
        elif code < 32 or code > 0x7F:
            # Java strings are UTF-16: a character outside the BMP is escaped as its surrogate pair.
            units = char.encode("utf-16-be")
            escaped.extend(f"\\u{units[i] << 8 | units[i + 1]:04X}" for i in range(0, len(units), 2))
        else:
            escaped.append(char)
    return "".join(escaped)


def java_string(value: Any) -> str:
    """How Velocity prints a value: Java's ``toString`` of the JSON-derived object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={java_string(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_string(item) for item in value) + "]"
    return str(value)


class _JavaCollection:
    """What Java's Map and List have in common: Velocity prints them and calls these on them."""

    def __str__(self) -> str:
        return java_string(self)

    def size(self: Sized) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self


class VtlMap(_JavaCollection, dict[str, Any]):
    """A JSON object as a Java ``Map``: Velocity prints it ``{k=v}`` and calls Map methods on it."""

    def keySet(self) -> list[str]:
        return list(self)

    def containsKey(self, key: str) -> bool:
        return key in self


class VtlList(_JavaCollection, list[Any]):
    """A JSON array as a Java ``List``."""

    def get(self, index: int) -> Any:
        return self[index]

    def contains(self, item: Any) -> bool:
        return item in self


def as_vtl(value: Any) -> Any:
    """Wrap parsed JSON so templates can call Java collection methods on it."""
    if isinstance(value, dict):
        return VtlMap({key: as_vtl(item) for key, item in value.items()})
    if isinstance(value, list):
        return VtlList(as_vtl(item) for item in value)
    return value


def select(document: Any, path: str) -> Any:
    """The value at JSONPath ``path`` in ``document`` (subset, see module docstring); None if absent."""
    if not path.startswith("$"):
        raise VtlError(f"JSONPath {path!r} must start with '$'")
    position, value = 1, document
    while position < len(path):
        step = _JSONPATH_STEP.match(path, position)
        if step is None:
            raise VtlError(f"JSONPath {path!r}: unsupported syntax at {path[position:]!r}")
        name, quoted, index = step.groups()
        key = name if name is not None else quoted
        if key is not None:
            value = value.get(key) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        position = step.end()
    return value


class ApiInput:
    """``$input``: the payload (request body, or the integration's response) and the parameters."""

    def __init__(self, body: str, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = body
        self._params = {kind: dict(values) for kind, values in params.items()}

    def _document(self) -> Any:
        # API Gateway treats an empty payload as an empty object.
        try:
            return json.loads(self.body or "{}")
        except json.JSONDecodeError as error:
            raise VtlError(f"$input: payload is not JSON ({error.msg})") from error

    def json(self, path: str) -> str:
        """The JSON text of the value at ``path`` (compact, as API Gateway serialises it)."""
        value = select(self._document(), path)
        return "" if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def path(self, path: str) -> Any:
        """The value at ``path`` as an object templates can navigate."""
        return as_vtl(select(self._document(), path))

    def params(self, name: str | None = None) -> Any:
        """All parameters (``path``, ``querystring``, ``header``), or one searched in that order."""
        if name is None:
            return as_vtl(self._params)
        for kind in ("path", "querystring"):
            if name in self._params.get(kind, {}):
                return self._params[kind][name]
        headers = {header.lower(): value for header, value in self._params.get("header", {}).items()}
        return headers.get(name.lower(), "")


class ApiUtil:
    """``$util`` as documented for API Gateway mapping templates."""

    def escapeJavaScript(self, value: Any) -> str:
        return escape_ecmascript(value if isinstance(value, str) else java_string(value))

    def parseJson(self, text: str) -> Any:
        try:
            return as_vtl(json.loads(text))
        except json.JSONDecodeError as error:
            raise VtlError(f"$util.parseJson: not JSON ({error.msg})") from error

    def base64Encode(self, text: str) -> str:
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    def base64Decode(self, text: str) -> str:
        return base64.b64decode(text, validate=True).decode("utf-8")

    def urlEncode(self, text: str) -> str:
        # Java's URLEncoder: space -> '+', leaves only alphanumerics and ".-*_" unescaped.
        return quote_plus(text, safe="*").replace("~", "%7E")

    def urlDecode(self, text: str) -> str:
        return unquote_plus(text)


class MappingTemplate:
    """One mapping template, parsed once (a syntax error is raised at construction, loudly)."""

    def __init__(self, text: str, name: str) -> None:
        self.name = name
        self._template = airspeed.Template(text, filename=name)
        try:
            self._template.ensure_compiled()
        except airspeed.TemplateSyntaxError as error:
            raise VtlError(f"{name}: {error}") from error

    def render(self, context: dict[str, Any], payload: ApiInput) -> str:
        """Render with ``$context`` (mutated in place, e.g. ``responseOverride``), ``$input`` and ``$util``."""
        try:
            rendered: str = self._template.merge({"context": context, "input": payload, "util": ApiUtil()})
        except airspeed.TemplateExecutionError as error:
            cause = error.__cause__ if isinstance(error.__cause__, VtlError) else error
            raise VtlError(f"{self.name}: {cause}") from error
        return rendered
