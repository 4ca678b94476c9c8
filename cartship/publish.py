"""Publish a build: every zip under its content hash, then the release manifest that lists them.

Everything already in the bucket is checked before anything is written, so a tampered store
refuses the publish with nothing uploaded. Zips go first and the manifest last, so a manifest
never names an object that is not there. An object already stored under the same key is reused
only once its bytes are proven equal, so publishing twice uploads nothing and yields the same
release.
"""

from __future__ import annotations

from pathlib import Path

from cartbuild.files import sha256_hex
from cartbuild.manifest import base64_of
from cartship import dist
from cartship.errors import ShipError
from cartship.release import (
    Artifact,
    Release,
    artifact_key,
    manifest_key,
    parse,
    release_id,
)
from cartship.store import ArtifactStore


def publish(store: ArtifactStore, dist_dir: Path, commit: str, published_at: str, log: list[str]) -> Release:
    """Upload ``dist_dir``'s zips and release manifest; return the release (new or already published)."""
    built, built_at = dist.load(dist_dir)
    identifier = release_id(commit, {function.name: function.entry.sha256 for function in built})
    location = manifest_key(identifier)

    existing = store.read(location)
    if existing is not None:
        release = parse(existing.body, store.url(location))
        store.verify(release)
        log.append(f"release {identifier} is already published: {store.url(location)}")
        return release

    stored = {function.name: _already_stored(store, function) for function in built}
    artifacts: dict[str, Artifact] = {}
    for function in built:
        key = artifact_key(function.name, function.entry.sha256)
        present, version = stored[function.name]
        if present:
            log.append(f"reused {function.name}: {store.url(key)} already holds these bytes")
        else:
            version = store.put(key, function.body, function.entry.sha256, "application/zip")
            log.append(f"uploaded {function.name}: {store.url(key)} ({len(function.body)} bytes)")
        artifacts[function.name] = Artifact(
            bucket=store.bucket,
            key=key,
            version_id=version,
            sha256=function.entry.sha256,
            base64_sha256=base64_of(function.entry.sha256),
            size=len(function.body),
            runtime=function.entry.runtime,
            architecture=function.entry.architecture,
            handler=function.entry.handler,
        )
    release = Release(identifier, commit, built_at, published_at, artifacts)
    manifest = release.to_json()
    store.put(location, manifest, sha256_hex(manifest), "application/json", IfNoneMatch="*")
    log.append(f"published release {identifier}: {store.url(location)}")
    return release


def _already_stored(store: ArtifactStore, function: dist.Built) -> tuple[bool, str | None]:
    """Whether the zip is stored already, and in which version.

    Refuses if its key holds other bytes: keys are content hashes, so that is tampering.
    """
    key = artifact_key(function.name, function.entry.sha256)
    digest = store.digest(key)
    if digest is None:
        return False, None
    if digest[0] != function.entry.sha256:
        raise ShipError(
            f"{store.url(key)} holds sha256 {digest[0]}, not {function.entry.sha256}: "
            "the artifact store was tampered with; nothing was published"
        )
    return True, digest[1]
