"""The deployment pipeline's environments, in promotion order.

Releases enter the pipeline only in the first environment; every later one takes a release only
by promotion from the environment right before it, so prod only ever runs what staging ran.
"""

from __future__ import annotations

from cartship.errors import ShipError

PIPELINE: tuple[str, ...] = ("dev", "staging", "prod")


def check(name: str) -> str:
    """Return ``name`` if it is a pipeline environment, else refuse naming the known ones."""
    if name not in PIPELINE:
        raise ShipError(f"unknown environment {name!r} (known: {', '.join(PIPELINE)})")
    return name


def entry() -> str:
    """The environment a freshly published release is deployed to first."""
    return PIPELINE[0]


def check_promotion(source: str, target: str) -> None:
    """Refuse a promotion that skips, repeats or reverses a stage of the pipeline."""
    check(source)
    check(target)
    expected = PIPELINE.index(source) + 1
    if expected >= len(PIPELINE) or PIPELINE[expected] != target:
        following = PIPELINE[expected] if expected < len(PIPELINE) else None
        allowed = f"{source} promotes only to {following}" if following else f"{source} is the last stage"
        raise ShipError(f"cannot promote {source} to {target}: {allowed} ({' -> '.join(PIPELINE)})")
