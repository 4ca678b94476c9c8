"""Which release each environment runs, and how it got there.

An environment's pointer is the object ``environments/<env>.json`` in the artifact bucket: the
release id, the SHA-256 of that release's manifest (so a manifest edited after the fact is
refused), and the history of every change, newest first, with what, from where, when and who.
It lives in the bucket rather than in the repository so that CI needs no write access to the
code, each environment's deploy role can be allowed to write only its own pointer, and S3
versioning keeps every earlier pointer as well.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from cartbuild.files import sha256_hex
from cartflow import timestamps
from cartship import environments
from cartship.errors import ShipError
from cartship.release import Release, check_release_id, manifest_key, parse
from cartship.store import ArtifactStore

FORMAT = 1


@dataclass(frozen=True)
class Change:
    """One move of an environment to a release."""

    release_id: str
    manifest_sha256: str
    commit: str
    source: str
    at: str
    by: str
    run: str | None


@dataclass(frozen=True)
class Pointer:
    """An environment's pointer as read, with the ETag a conditional write must match."""

    environment: str
    history: tuple[Change, ...]
    etag: str

    @property
    def current(self) -> Change:
        return self.history[0]


def key(environment: str) -> str:
    """The pointer's key in the artifact bucket; an unknown environment is refused."""
    return f"environments/{environments.check(environment)}.json"


def read(store: ArtifactStore, environment: str) -> Pointer | None:
    """The environment's pointer, or None if it never had a release."""
    stored = store.read(key(environment))
    if stored is None:
        return None
    origin = store.url(key(environment))
    try:
        document = json.loads(stored.body)
        history = tuple(Change(**entry) for entry in document["history"])
        valid = document["format"] == FORMAT and document["environment"] == environment and history
    except (ValueError, KeyError, TypeError) as error:
        raise ShipError(f"{origin}: malformed environment pointer ({error!r})") from error
    if not valid:
        raise ShipError(f"{origin}: not the format-{FORMAT} pointer of {environment}")
    return Pointer(environment, history, stored.etag)


def require(store: ArtifactStore, environment: str) -> Pointer:
    """The environment's pointer; refuses if it never had a release."""
    pointer = read(store, environment)
    if pointer is None:
        raise ShipError(f"environment {environment} has no release yet (nothing at {store.url(key(environment))})")
    return pointer


def load_release(store: ArtifactStore, change: Change) -> tuple[Release, bytes]:
    """The manifest a pointer names, refused unless its bytes still hash to what was recorded."""
    location = manifest_key(check_release_id(change.release_id))
    stored = store.read(location)
    if stored is None:
        raise ShipError(f"release {change.release_id}: manifest is missing: {store.url(location)}")
    if sha256_hex(stored.body) != change.manifest_sha256:
        raise ShipError(
            f"release {change.release_id}: manifest is tampered: {store.url(location)} has sha256 "
            f"{sha256_hex(stored.body)}, recorded {change.manifest_sha256}"
        )
    release = parse(stored.body, store.url(location))
    if release.release_id != change.release_id:
        raise ShipError(f"{store.url(location)} describes release {release.release_id}, not {change.release_id}")
    return release, stored.body


def record(store: ArtifactStore, environment: str, change: Change, previous: Pointer | None) -> None:
    """Point ``environment`` at ``change``, keeping the history; fails if someone else moved it meanwhile."""
    history = [change, *(previous.history if previous else ())]
    document = {"format": FORMAT, "environment": environment, "history": [asdict(entry) for entry in history]}
    body = (json.dumps(document, indent=2) + "\n").encode()
    condition = {"IfMatch": previous.etag} if previous else {"IfNoneMatch": "*"}
    store.put(key(environment), body, sha256_hex(body), "application/json", **condition)


def change(release: Release, manifest: bytes, source: str, actor: str) -> Change:
    """A change to ``release``, stamped now, by ``actor``, with the CI run that made it (if any)."""
    run = None
    if os.environ.get("GITHUB_RUN_ID") and os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        run = f"{server}/{os.environ['GITHUB_REPOSITORY']}/actions/runs/{os.environ['GITHUB_RUN_ID']}"
    return Change(
        release_id=release.release_id,
        manifest_sha256=sha256_hex(manifest),
        commit=release.commit,
        source=source,
        at=timestamps.now(),
        by=actor,
        run=run,
    )
