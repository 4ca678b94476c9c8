"""Reading the Powertools metrics a handler printed, as CloudWatch would from its log."""

from __future__ import annotations

import json


def emitted_metrics(output: str) -> dict[str, float]:
    """Sum the Powertools EMF metrics printed in ``output``."""
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + (
                    sum(value) if isinstance(value, list) else value
                )
    return totals
