"""Move an environment to a release without rebuilding: promote from the previous stage, or enter dev.

Every check runs before the single write that moves the environment: the source's pointer, the
manifest's recorded hash, and every artifact's bytes. A failed check leaves the bucket and the
local manifest file exactly as they were.
"""

from __future__ import annotations

from cartbuild.files import sha256_hex
from cartship import environments, pointers
from cartship.errors import ShipError
from cartship.release import Release, check_release_id, manifest_key, parse
from cartship.store import ArtifactStore


def promote(
    store: ArtifactStore, source: str, target: str, actor: str, expect: str | None = None
) -> tuple[Release, bytes, bool]:
    """Point ``target`` at the release ``source`` runs; returns it, its manifest and whether anything changed.

    ``expect`` (a release id) refuses the promotion if ``source`` runs anything else, so a
    pipeline promotes exactly the release it tested even if someone moved ``source`` meanwhile.
    """
    environments.check_promotion(source, target)
    current = pointers.require(store, source).current
    if expect is not None and current.release_id != check_release_id(expect):
        raise ShipError(f"{source} runs release {current.release_id}, not the expected {expect}; nothing promoted")
    release, manifest = pointers.load_release(store, current)
    store.verify(release)
    return release, manifest, _move(store, target, release, manifest, source=source, actor=actor)


def enter(store: ArtifactStore, target: str, identifier: str, actor: str) -> tuple[Release, bytes, bool]:
    """Point the pipeline's first environment at a published release (the only way a release enters)."""
    environments.check(target)
    if target != environments.entry():
        raise ShipError(
            f"{target} takes releases only by promotion (make promote FROM=... TO={target}); "
            f"only {environments.entry()} takes a freshly published release"
        )
    location = manifest_key(check_release_id(identifier))
    stored = store.read(location)
    if stored is None:
        raise ShipError(f"release {identifier} is not published: nothing at {store.url(location)}")
    release = parse(stored.body, store.url(location))
    if release.release_id != identifier:
        raise ShipError(f"{store.url(location)} describes release {release.release_id}, not {identifier}")
    store.verify(release)
    return release, stored.body, _move(store, target, release, stored.body, source="publish", actor=actor)


def _move(store: ArtifactStore, target: str, release: Release, manifest: bytes, *, source: str, actor: str) -> bool:
    previous = pointers.read(store, target)
    if previous and previous.current.release_id == release.release_id:
        if previous.current.manifest_sha256 != sha256_hex(manifest):
            raise ShipError(f"{target} runs release {release.release_id} with a different manifest hash; refusing")
        return False
    pointers.record(store, target, pointers.change(release, manifest, source, actor), previous)
    return True
