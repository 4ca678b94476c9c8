"""Dated tables of one region kept as JSON beside the code that reads them (prices, quotas).

A reviewer checks each figure against its source without reading code; the readers share how a
region's table is found and how a missing one is reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def regional(directory: Path, region: str, what: str, error: type[ValueError]) -> dict[str, Any]:
    """The table ``<directory>/<region>.json``; if there is none, ``error`` names the regions that have one."""
    path = directory / f"{region}.json"
    if not path.is_file():
        known = ", ".join(sorted(table.stem for table in directory.glob("*.json")))
        raise error(f"no {what} for region {region} ({directory.parent.name}/{directory.name} has: {known})")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document
