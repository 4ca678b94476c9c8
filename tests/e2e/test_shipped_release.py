"""Two local environments run one published release byte for byte and pass the smoke test."""

from __future__ import annotations

import hashlib
import json
import re
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from cartflow import timestamps
from cartlocal.journey import wait_for
from cartlocal.lambda_runtime.pool import WorkerPool
from cartlocal.local_aws.endpoint import MotoEndpoint
from cartlocal.local_stack import LocalStack, Options
from cartship import pointers
from cartship.errors import ShipError
from cartship.materialize import materialize
from cartship.promote import enter, promote
from cartship.publish import publish
from cartship.smoke import Target, smoke
from cartship.store import ArtifactStore
from tests.helpers.shipping import (
    COMMIT,
    fresh_bucket,
)


def handled_an_event(worker: WorkerPool) -> bool:
    return any(result.ok for result in worker.results)


def carried(events: list[dict[str, Any]], product: str) -> bool:
    """Whether a tap saw an event about ``product``."""
    return any(event.get("detail", {}).get("product") == product for event in list(events))


def drained(local: LocalStack, url: str) -> bool:
    """Whether queue ``url`` holds nothing, visible or in flight: its reader has read all routed to it."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = local.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(attributes[name] == "0" for name in names)


@pytest.mark.e2e
def test_two_local_environments_run_one_release_byte_for_byte_and_pass_the_smoke_test(
    built_dist: Path, tmp_path: Path
) -> None:
    store_endpoint = MotoEndpoint()
    try:
        s3 = store_endpoint.client("s3")
        store = ArtifactStore(s3, fresh_bucket(s3))
        release = publish(store, built_dist, COMMIT, timestamps.now(), [])
        enter(store, "dev", release.release_id, "test")
        promote(store, "dev", "staging", "test", expect=release.release_id)

        folders = {}
        for env in ("dev", "staging"):
            runs, _ = pointers.load_release(store, pointers.require(store, env).current)
            assert runs.release_id == release.release_id
            folders[env] = materialize(store, runs, tmp_path / "dist" / env)
        built_hashes = {
            name: entry["sha256"]
            for name, entry in json.loads((built_dist / "manifest.json").read_text())["functions"].items()
        }
        for name, digest in built_hashes.items():
            assert hashlib.sha256((folders["staging"] / f"{name}.zip").read_bytes()).hexdigest() == digest
            assert (folders["staging"] / f"{name}.zip").read_bytes() == (folders["dev"] / f"{name}.zip").read_bytes()

        options = {
            env: Options(dist=folder, workdir=tmp_path / "run" / env, name=f"cartflow-{env}", time_scale=1 / 360)
            for env, folder in folders.items()
        }
        with LocalStack(options["dev"]) as dev, LocalStack(options["staging"]) as staging:
            for local in (dev, staging):
                assert local.api is not None
                assert local.stack is not None
                observed = smoke(
                    Target(local.api.url, local.stack.settings["EVENT_BUS_ARN"]),
                    client=local.client,
                    timeout_seconds=30,
                )
                assert [line.split(";")[0] for line in observed] == ["POST /cart → 200", "DELETE /cart → 200"]
                # The functions that handled the smoke test's events run the released bytes.
                for name, worker in local.workers.items():
                    assert worker.config.task_root.name == f"{name}-{built_hashes[name][:16]}"
                assert wait_for(partial(handled_an_event, local.workers["schedule_reminder"]), 30)

            # Isolated: an item added through dev's API never reaches staging's bus, and the
            # smoke test says so instead of passing on the API's answer alone.
            assert dev.api is not None
            assert staging.stack is not None
            crossed = Target(dev.api.url, staging.stack.settings["EVENT_BUS_ARN"])
            with pytest.raises(
                ShipError, match=r"POST /cart was accepted but no ItemAddedToCart .* reached bus"
            ) as refused:
                smoke(crossed, client=staging.client, timeout_seconds=2)
            # The refusal alone would also come from an event slower than 2 s to reach staging. So,
            # with positive markers: the add reached dev's bus, and staging's tap, once it has read
            # everything routed to it, never saw it (the API answers after PutEvents routed it).
            found = re.search(r"no ItemAddedToCart for (\S+) reached", str(refused.value))
            assert found is not None
            assert dev.tap is not None
            assert staging.tap is not None
            assert wait_for(partial(carried, dev.tap.events, found.group(1)), 30)
            assert wait_for(partial(drained, staging, staging.tap.url), 30)
            assert not carried(staging.tap.events, found.group(1))
    finally:
        store_endpoint.stop()
