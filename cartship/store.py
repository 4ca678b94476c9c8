"""The artifact bucket, seen as content-addressed storage that can prove what it holds.

Every read that matters is checked against a SHA-256 computed here from the bytes S3 returns,
never against metadata alone, so a replaced or corrupted object is caught before anything is
pointed at it. Uploads carry ``ChecksumSHA256`` so S3 itself rejects bytes damaged in transit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cartbuild.manifest import base64_of
from cartship.errors import ShipError
from cartship.release import Artifact, Release

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MISSING = {"404", "NoSuchKey", "NoSuchVersion", "NotFound"}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Stored:
    """An object's bytes as read, with the version and ETag S3 reported."""

    body: bytes
    version_id: str | None
    etag: str


class ArtifactStore:
    """Reads and writes of one artifact bucket."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def url(self, key: str, version_id: str | None = None) -> str:
        """Where an object is, as error messages and logs name it."""
        return f"s3://{self.bucket}/{key}" + (f"?versionId={version_id}" if version_id else "")

    def read(self, key: str, version_id: str | None = None) -> Stored | None:
        """The object at ``key`` (optionally one version of it), or None if it does not exist."""
        response = self._get(key, version_id)
        if response is None:
            return None
        return Stored(response["Body"].read(), _version(response), response["ETag"])

    def digest(self, key: str, version_id: str | None = None) -> tuple[str, str | None] | None:
        """SHA-256 (hex) of the bytes at ``key`` and the version read, streamed; None if absent."""
        response = self._get(key, version_id)
        if response is None:
            return None
        digest = hashlib.sha256()
        for chunk in response["Body"].iter_chunks(_CHUNK):
            digest.update(chunk)
        return digest.hexdigest(), _version(response)

    def _get(self, key: str, version_id: str | None) -> Any:
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            arguments["VersionId"] = version_id
        try:
            return self.s3.get_object(**arguments)
        except ClientError as error:
            if _missing(error):
                return None
            raise

    def head(self, key: str) -> dict[str, Any] | None:
        """The metadata of the key's current version, or None if it does not exist."""
        try:
            return dict(self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED"))
        except ClientError as error:
            if _missing(error):
                return None
            raise

    def put(self, key: str, body: bytes, sha256: str, content_type: str, **conditions: str) -> str | None:
        """Store ``body`` with S3 verifying its SHA-256; returns the new version id.

        ``conditions`` are S3 conditional-write headers (``IfMatch``/``IfNoneMatch``): a write that
        lost a race with another writer fails instead of silently replacing what that one wrote.
        """
        try:
            response = self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64_of(sha256),
                ContentType=content_type,
                **conditions,  # type: ignore[arg-type]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise ShipError(
                    f"{self.url(key)} was changed by someone else meanwhile; nothing was written"
                ) from error
            raise
        return _version(response)

    def verify(self, release: Release) -> None:
        """Refuse unless every artifact of ``release`` exists and holds exactly the released bytes.

        Checks the pinned version (what Lambda will fetch) and the key's current version: keys
        are content hashes, so any other bytes there mean the store was tampered with.
        """
        for name, artifact in sorted(release.functions.items()):
            self._verify_artifact(release.release_id, name, artifact)

    def _verify_artifact(self, release_id: str, name: str, artifact: Artifact) -> None:
        if artifact.bucket != self.bucket:
            raise ShipError(
                f"release {release_id}: {name} is stored in bucket {artifact.bucket!r}, not {self.bucket!r}"
            )
        where = self.url(artifact.key, artifact.version_id)
        pinned = self.digest(artifact.key, artifact.version_id)
        if pinned is None:
            raise ShipError(f"release {release_id}: {name} artifact is missing: {where}")
        if pinned[0] != artifact.sha256:
            raise ShipError(
                f"release {release_id}: {name} artifact is tampered: {where} has sha256 {pinned[0]}, "
                f"the release says {artifact.sha256}"
            )
        if artifact.version_id is None:
            return
        latest = self.head(artifact.key)
        if latest is None:
            raise ShipError(f"release {release_id}: {name} artifact was deleted: {self.url(artifact.key)}")
        if _version(latest) == artifact.version_id:
            return
        current = self.digest(artifact.key)
        if current is None or current[0] != artifact.sha256:
            found = f"version {current[1]} has sha256 {current[0]}" if current else "it is gone"
            raise ShipError(
                f"release {release_id}: {name} artifact is tampered: {self.url(artifact.key)} was overwritten "
                f"({found}, the release says {artifact.sha256})"
            )


def _version(response: Any) -> str | None:
    """The response's VersionId; an unversioned bucket says "null", which is no version."""
    version = response.get("VersionId")
    return version if version and version != "null" else None


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING
