"""Shared fixtures: a moto-backed stack provisioned from the contract, and handler loading.

Handlers create their boto3 clients at import, as they do in Lambda, so each test imports the
function module afresh inside moto's mock with exactly the environment Terraform would set.
Code the tests share lives in tests/helpers/; this file holds fixtures only.
"""

from __future__ import annotations

import os

# Powertools reads these when cartflow.observability is first imported, which in Lambda always
# happens after the environment is set; set them before any cartflow import here too.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "cartflow-test")  # the `stack` fixture's name
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "cartflow")

import fcntl
import functools
import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from cartflow import contract
from cartlocal.local_aws.provision import REGION, Stack, provision
from tests.helpers.aws_calls import AwsCalls, denied_calls
from tests.helpers.paths import ROOT
from tests.helpers.shipping import BUCKET, write_dist

# The order and the scheduler of `make pytest`'s workers: long modules first, never two on one worker.
pytest_plugins = ["tests.long_first"]


def pytest_configure(config: pytest.Config) -> None:
    """Every botocore session of the run shares one service-model loader.

    Each test's moto mock and each handler load start new sessions, and each new session would
    parse the same service-model JSON files again; the loaded models are read-only, so one loader
    (botocore's own cache of them) serves every session.
    """
    botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", *contract.stack()["settings"]):
        if name.startswith("POWERTOOLS_"):
            continue
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


# One client per service for provisioning, made once per worker (in the region and with the
# credentials aws_environment sets). Provisioning is a test's setup, not the code under test
# (handlers still make their clients afresh at each load); moto serves a client's requests
# whichever mock is active, so the same clients provision every test's stack: each costs its API
# calls, not six client creations too.
provisioning_client: Callable[[str], Any] = functools.cache(boto3.client)


@pytest.fixture
def stack() -> Iterator[Stack]:
    with mock_aws():
        yield provision(name="cartflow-test", reminder_delay_seconds=86400, client=provisioning_client)


@pytest.fixture
def aws_calls() -> Iterator[AwsCalls]:
    """The AWS calls of the handlers this test loads; each must be allowed by its function's policy.

    The policy check runs at teardown, so every test that drives a handler also proves, on its
    own and in any order, that the Terraform policy allows what the handler did.
    """
    recorded = AwsCalls()
    yield recorded
    denied = denied_calls(recorded)
    assert not denied, "; ".join(f"{name}'s Terraform policy denies: {refused}" for name, refused in denied.items())


@pytest.fixture
def load_function(stack: Stack, aws_calls: AwsCalls, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    def load(name: str, **overrides: str | None) -> ModuleType:
        environment: dict[str, str | None] = {**stack.environment(name), **overrides}
        for key, value in environment.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        # A fresh module each time, named as its path reads (never put in sys.modules): the
        # mutation tester finds which mutant a handler's function belongs to by that name.
        spec = importlib.util.spec_from_file_location(f"functions.{name}.app", ROOT / "functions" / name / "app.py")
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        # The module's clients come from boto3's default session: a fresh one, watched while the
        # module is imported, so exactly this handler's calls are recorded as its own.
        session = boto3.session.Session()
        aws_calls.watch(session, name)
        with monkeypatch.context() as importing:
            importing.setattr(boto3, "DEFAULT_SESSION", session)
            spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session")
def built_dist() -> Path:
    """The zips `make package` ships, built once per session (build.py is incremental).

    build.py writes dist/ in place, so parallel test workers take turns: the first builds, the
    others find it up to date.
    """
    lock = ROOT / ".cache" / "build.lock"
    lock.parent.mkdir(exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        built = subprocess.run(
            [sys.executable, "build.py"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
        )
    assert built.returncode == 0, built.stderr[-2000:]
    return ROOT / "dist"


@pytest.fixture
def s3() -> Iterator[Any]:
    """moto's S3 with the versioned artifact bucket cartship publishes to."""
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A dist/ of small real zips and the build manifest, as build.py writes it."""
    write_dist(tmp_path / "dist")
    return tmp_path / "dist"
