"""Answer "what runs in ENV?": its release, the commit, each function's hash, and its history."""

from __future__ import annotations

from cartship import pointers
from cartship.store import ArtifactStore


def status(store: ArtifactStore, environment: str, verify: bool = False, history_limit: int = 10) -> list[str]:
    """Human-readable lines describing ``environment``; refuses if it has no release.

    ``verify`` also re-hashes every artifact, refusing if one is missing or tampered.
    """
    pointer = pointers.require(store, environment)
    current = pointer.current
    release, _ = pointers.load_release(store, current)
    if verify:
        store.verify(release)
    lines = [
        f"environment  {environment}",
        f"release      {release.release_id}",
        f"commit       {release.commit}",
        f"built at     {release.built_at}",
        f"since        {current.at} (from {current.source}, by {current.by})",
        f"functions{' (bytes verified)' if verify else ''}:",
    ]
    width = max(len(name) for name in release.functions)
    for name, artifact in sorted(release.functions.items()):
        lines.append(
            f"  {name:<{width}}  sha256 {artifact.sha256}  {artifact.runtime}/{artifact.architecture}  "
            f"s3://{artifact.bucket}/{artifact.key}"
        )
    lines.append("history (newest first):")
    for change in pointer.history[:history_limit]:
        run = f"  {change.run}" if change.run else ""
        lines.append(f"  {change.at}  {change.release_id}  from {change.source}  by {change.by}{run}")
    return lines
