"""Render the README's contract tables (routes, events, settings) from the contract files.

The README documents the contract, so it is generated from it: `make docs` rewrites the tables
between their markers and tests/infrastructure/test_readme.py fails when the committed README has drifted.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cartflow import contract  # noqa: E402

README = ROOT / "README.md"


def routes_table() -> str:
    lines = ["| Request | Body (JSON Schema) | Event put on the bus |", "|---|---|---|"]
    for route in contract.routes():
        schema = contract.load(route["schema"])
        fields = ", ".join(
            f"`{name}`" + ("" if name in schema["required"] else " (optional)") for name in schema["properties"]
        )
        link = f"[`{route['schema']}`](cartflow/contract/{route['schema']})"
        event = f"`{route['source']}` / `{route['detail_type']}`"
        lines.append(f"| `{route['method']} {route['path']}` | {fields} — {link} | {event} |")
    return "\n".join(lines)


def events_table() -> str:
    stack = contract.stack()
    lines = ["| Source / detail-type | Produced by | Routed to | Detail schema |", "|---|---|---|---|"]
    for entry in contract.event_types():
        event = {"source": entry["source"], "detail-type": entry["detail_type"]}
        consumers = [
            name
            for name in stack["rules"]
            if all(event[key] in contract.rule_pattern(name).get(key, [event[key]]) for key in event)
        ]
        lines.append(
            f"| `{entry['source']}` / `{entry['detail_type']}` | {entry['producer']} | "
            f"{', '.join(f'rule `{name}`' for name in consumers) or '(archive only)'} | "
            f"[`{entry['schema']}`](cartflow/contract/{entry['schema']}) |"
        )
    return "\n".join(lines)


def settings_table() -> str:
    stack = contract.stack()
    lines = ["| Variable | Meaning | Default | Read by |", "|---|---|---|---|"]
    for name, setting in stack["settings"].items():
        readers = [fn for fn, spec in stack["functions"].items() if name in spec["environment"]]
        default = f"`{setting['default']}`" if setting["default"] is not None else "required"
        lines.append(f"| `{name}` | {setting['description']} | {default} | {', '.join(readers)} |")
    return "\n".join(lines)


TABLES = {"routes": routes_table, "events": events_table, "settings": settings_table}


def render(text: str) -> str:
    """``text`` with every generated table replaced by its current rendering."""
    for name, build in TABLES.items():
        begin, end = f"<!-- {name}:begin -->\n", f"<!-- {name}:end -->"
        head, found_begin, rest = text.partition(begin)
        _, found_end, tail = rest.partition(end)
        if not (found_begin and found_end):
            raise SystemExit(f"README.md: missing {begin.strip()} / {end} markers")
        text = f"{head}{begin}{build()}\n{end}{tail}"
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text()))
