"""Turn a release back into a dist/ folder: the released zips, verified, with the build's manifest.

The local runtime (cartlocal) runs whatever ``dist/`` holds. Writing a release into a folder of
that shape lets a laptop run exactly what an environment runs, and lets the promotion test run
two local environments from one release manifest, each from bytes fetched out of the bucket.
"""

from __future__ import annotations

from pathlib import Path

from cartbuild.files import sha256_hex
from cartbuild.manifest import Entry, Manifest
from cartship.errors import ShipError
from cartship.release import Release
from cartship.store import ArtifactStore


def materialize(store: ArtifactStore, release: Release, directory: Path) -> Path:
    """Write ``release``'s zips and a format-1 build manifest into ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    entries: dict[str, Entry] = {}
    for name, artifact in sorted(release.functions.items()):
        stored = store.read(artifact.key, artifact.version_id)
        if stored is None or sha256_hex(stored.body) != artifact.sha256:
            raise ShipError(
                f"release {release.release_id}: {name} artifact is missing or tampered: "
                f"{store.url(artifact.key, artifact.version_id)}"
            )
        (directory / f"{name}.zip").write_bytes(stored.body)
        entries[name] = Entry(
            zip=f"{name}.zip",
            sha256=artifact.sha256,
            source_code_hash=artifact.base64_sha256,
            runtime=artifact.runtime,
            architecture=artifact.architecture,
            handler=artifact.handler,
            zipped_size=artifact.size,
        )
    Manifest(entries, release_id=release.release_id).write(directory)
    return directory
