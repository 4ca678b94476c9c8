"""Command line of cartship: ``python -m cartship publish|enter|promote|status|pull|smoke`` (mk/ship.mk).

Every command works against whatever S3 endpoint boto3 is configured for, so ``AWS_ENDPOINT_URL``
points it at moto as readily as at AWS. Any refusal is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cartflow import timestamps
from cartship import environments, pointers
from cartship.errors import ShipError
from cartship.materialize import materialize
from cartship.promote import enter, promote
from cartship.publish import publish
from cartship.release import Release
from cartship.smoke import Target, smoke, target_from_outputs
from cartship.status import status
from cartship.store import ArtifactStore

BUCKET_VARIABLE = "CARTSHIP_BUCKET"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        for line in arguments.run(arguments):
            print(line)
    except ShipError as error:
        print(f"cartship: error: {error}", file=sys.stderr)
        return 1
    except ClientError as error:
        details = error.response.get("Error", {})
        print(
            f"cartship: error: AWS refused {error.operation_name}: {details.get('Code')}: {details.get('Message')}",
            file=sys.stderr,
        )
        return 1
    except BotoCoreError as error:
        print(f"cartship: error: {error}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cartship", description="Build once, promote the same artifact.")
    parser.add_argument(
        "--bucket", default=os.environ.get(BUCKET_VARIABLE), help=f"artifact bucket (${BUCKET_VARIABLE})"
    )
    parser.add_argument("--out-dir", type=Path, default=Path("releases"), help="where local manifest copies go")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    command = commands.add_parser("publish", help="upload dist/ and write a release manifest")
    command.add_argument("--dist", type=Path, default=Path("dist"))
    command.add_argument("--commit", default=None, help="commit the build came from (default: $GITHUB_SHA or HEAD)")
    command.set_defaults(run=_publish)

    command = commands.add_parser("enter", help=f"point {environments.entry()} at a published release")
    command.add_argument("--env", required=True)
    command.add_argument("--release", required=True)
    command.set_defaults(run=_enter)

    command = commands.add_parser("promote", help="point TO at the exact release FROM runs")
    command.add_argument("--from", dest="source", required=True)
    command.add_argument("--to", dest="target", required=True)
    command.add_argument("--expect", default=None, help="refuse unless FROM runs this release id")
    command.set_defaults(run=_promote)

    command = commands.add_parser("status", help="what an environment runs and how it got there")
    command.add_argument("--env", required=True)
    command.add_argument("--verify", action="store_true", help="also re-hash every artifact")
    command.set_defaults(run=_status)

    command = commands.add_parser("pull", help="write the environment's verified manifest to OUT_DIR/<env>.json")
    command.add_argument("--env", required=True)
    command.add_argument("--zips", type=Path, default=None, help="also write its zips here, as a dist/ folder")
    command.set_defaults(run=_pull)

    command = commands.add_parser("smoke", help="POST through the API and see the event reach the bus")
    command.add_argument("--api-url", default=None)
    command.add_argument("--bus", default=None, help="event bus name or ARN")
    command.add_argument(
        "--terraform-outputs", type=argparse.FileType("r"), default=None, help="`terraform output -json` (- = stdin)"
    )
    command.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each event")
    command.set_defaults(run=_smoke)
    return parser


def _store(arguments: argparse.Namespace) -> ArtifactStore:
    if not arguments.bucket:
        raise ShipError(
            f"no artifact bucket: set {BUCKET_VARIABLE} "
            "(terraform -chdir=terraform/bootstrap output -raw artifact_bucket) or pass --bucket"
        )
    return ArtifactStore(boto3.client("s3"), arguments.bucket)


def _publish(arguments: argparse.Namespace) -> list[str]:
    store = _store(arguments)
    log: list[str] = []
    release = publish(store, arguments.dist, arguments.commit or _commit(), timestamps.now(), log)
    _write(arguments.out_dir / f"{release.release_id}.json", release.to_json())
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as handle:
            handle.write(f"release_id={release.release_id}\n")
    return [*log, release.release_id]


def _enter(arguments: argparse.Namespace) -> list[str]:
    release, manifest, moved = enter(_store(arguments), arguments.env, arguments.release, _actor())
    return _moved(arguments, arguments.env, release, manifest, moved)


def _promote(arguments: argparse.Namespace) -> list[str]:
    release, manifest, moved = promote(
        _store(arguments), arguments.source, arguments.target, _actor(), arguments.expect
    )
    return _moved(arguments, arguments.target, release, manifest, moved)


def _status(arguments: argparse.Namespace) -> list[str]:
    return status(_store(arguments), environments.check(arguments.env), verify=arguments.verify)


def _pull(arguments: argparse.Namespace) -> list[str]:
    store = _store(arguments)
    release, manifest = pointers.load_release(store, pointers.require(store, arguments.env).current)
    store.verify(release)
    path = _write(arguments.out_dir / f"{arguments.env}.json", manifest)
    lines = [f"{arguments.env} runs release {release.release_id}; manifest written to {path}"]
    if arguments.zips:
        lines.append(f"zips and manifest.json written to {materialize(store, release, arguments.zips)}")
    return lines


def _smoke(arguments: argparse.Namespace) -> list[str]:
    if arguments.terraform_outputs:
        try:
            target = target_from_outputs(json.load(arguments.terraform_outputs))
        except json.JSONDecodeError as error:
            raise ShipError(f"--terraform-outputs is not `terraform output -json` ({error})") from error
    elif arguments.api_url and arguments.bus:
        target = Target(arguments.api_url, arguments.bus)
    else:
        raise ShipError("smoke needs --api-url and --bus, or --terraform-outputs")
    return smoke(target, timeout_seconds=arguments.timeout)


def _moved(arguments: argparse.Namespace, target: str, release: Release, manifest: bytes, moved: bool) -> list[str]:
    path = _write(arguments.out_dir / f"{target}.json", manifest)
    verb = "now points at" if moved else "already points at"
    return [f"{target} {verb} release {release.release_id} (commit {release.commit}); manifest: {path}"]


def _write(path: Path, data: bytes) -> Path:
    """Replace ``path`` atomically, so Terraform never reads half a manifest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path


def _commit() -> str:
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)  # noqa: S607  # nosec B607
    except (OSError, subprocess.CalledProcessError) as error:
        raise ShipError("cannot tell the commit of this build: pass --commit or run inside the git checkout") from error
    return result.stdout.strip()


def _actor() -> str:
    """Who is acting: the GitHub user that triggered the run (if any) and the AWS identity used."""
    identity = boto3.client("sts").get_caller_identity()["Arn"]
    github_actor = os.environ.get("GITHUB_ACTOR")
    return f"{github_actor} via {identity}" if github_actor else identity
