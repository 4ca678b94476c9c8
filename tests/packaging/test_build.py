"""build.py produces the same zip bytes from any clone, reuses what is unchanged, and fails clearly.

Every build here runs in a fresh ``git clone`` of HEAD (only committed files, as in CI) with the
working tree's build.py copied in, so the code under test is the one being changed. All clones
share the project's wheelhouse, so only the very first build on a machine downloads wheels.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartbuild import functions, pipeline, verify
from cartbuild.errors import BuildError
from cartbuild.locks import canonical_name
from cartbuild.machine_code import foreign_files
from cartflow import contract, models
from tests.helpers.paths import ROOT
from tests.helpers.terraform import evaluate_contract

WHEELHOUSE = ROOT / ".cache" / "wheelhouse"
DETAIL_TYPES = tuple(event["detail_type"] for event in contract.event_types())
RUNTIME_SDK = ("boto3/", "botocore/", "s3transfer/", "jmespath/", "dateutil/", "six.py", "urllib3/")

Zips = dict[str, dict[str, bytes]]


# Every clone checks out this one commit, so a commit landing mid-session cannot make two clones differ.
COMMIT = subprocess.run(
    ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
).stdout.strip()


def clone(destination: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(destination)], check=True)
    subprocess.run(["git", "checkout", "--quiet", COMMIT], cwd=destination, check=True)
    shutil.copyfile(ROOT / "build.py", destination / "build.py")
    shutil.copytree(
        ROOT / "cartbuild", destination / "cartbuild", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    return destination


def build(
    checkout: Path, *arguments: str, umask: int = 0o022, seed: str = "0", **environment: str
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    env.update(CARTFLOW_WHEELHOUSE=str(WHEELHOUSE), PYTHONHASHSEED=seed, **environment)
    return subprocess.run(
        [sys.executable, "build.py", *arguments],
        cwd=checkout,
        env=env,
        umask=umask,
        capture_output=True,
        text=True,
        check=False,
    )


def read_zips(dist: Path) -> Zips:
    """Raw bytes of every dist/*.zip, plus each entry's content, keyed by function."""
    zips: Zips = {}
    for path in sorted(dist.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            zips[path.stem] = {"": path.read_bytes()} | {name: archive.read(name) for name in archive.namelist()}
    return zips


def statuses(output: str) -> dict[str, str]:
    """{function: built|reused} from the progress lines."""
    return {
        line.split()[1]: line.split()[0] for line in output.splitlines() if line.split()[:1] in (["built"], ["reused"])
    }


def functions_of(checkout: Path) -> list[str]:
    return sorted(path.parent.name for path in (checkout / "functions").glob("*/app.py"))


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Path:
    checkout = clone(tmp_path_factory.mktemp("one") / "checkout")
    result = build(checkout, "--jobs", "2", umask=0o022, seed="1")
    assert result.returncode == 0, result.stderr
    # Some tests rebuild this clone after breaking a function; the others read the first build's copy.
    shutil.copytree(checkout / "dist", as_first_built(checkout))
    return checkout


def as_first_built(first: Path) -> Path:
    """dist/ as the first clone's first build wrote it, whatever was rebuilt since."""
    return first.parent / "dist-as-first-built"


@pytest.fixture(scope="module")
def first_zips(first: Path) -> Zips:
    return read_zips(as_first_built(first))


@pytest.fixture(scope="module")
def second_zips(tmp_path_factory: pytest.TempPathFactory, first_zips: Zips) -> Zips:
    checkout = clone(tmp_path_factory.mktemp("two") / "another place with spaces")
    for path in checkout.rglob("*"):  # sources with other mtimes, as after a later checkout
        os.utime(path, (1_600_000_000, 1_600_000_000), follow_symlinks=False)
    result = build(checkout, "--jobs", "1", umask=0o077, seed="2")
    assert result.returncode == 0, result.stderr
    return read_zips(checkout / "dist")


def test_two_clones_build_identical_zips(first: Path, first_zips: Zips, second_zips: Zips) -> None:
    assert sorted(first_zips) == functions_of(first)
    for name, entries in first_zips.items():
        assert entries.keys() == second_zips[name].keys(), name
        for entry, data in entries.items():
            assert data == second_zips[name][entry], f"{name}.zip differs at {entry or 'the archive bytes'}"


def test_zip_entries_are_normalised(first_zips: Zips, first: Path) -> None:
    for name, entries in first_zips.items():
        with zipfile.ZipFile(io.BytesIO(entries[""])) as archive:
            infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(info.filename for info in infos)
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in infos} <= {0o100644, 0o100755, 0o40755}
        checkout_path = str(first).encode()
        assert not [entry for entry, data in entries.items() if entry and checkout_path in data], name


def test_pyc_are_unchecked_hash_for_python_313_with_task_paths(first_zips: Zips) -> None:
    for entries in first_zips.values():
        pyc = entries["cartflow/__pycache__/config.cpython-313.pyc"]
        assert pyc[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, check_source off
        assert marshal.loads(pyc[16:]).co_filename == "/var/task/cartflow/config.py"
        assert "app.py" in entries
        assert "__pycache__/app.cpython-313.pyc" in entries


def test_contents_follow_the_contract(first: Path, first_zips: Zips) -> None:
    for name, entries in first_zips.items():
        assert "cartflow/contract/stack.json" in entries
        assert any(entry.endswith(".dist-info/METADATA") for entry in entries)
        assert not [entry for entry in entries if entry.endswith(("/RECORD", "/direct_url.json", "/INSTALLER"))]
        vendored = [entry for entry in entries if entry.startswith(RUNTIME_SDK)]
        if contract.function_spec(name)["sdk"] == "runtime":
            assert vendored == [], name
        else:
            assert vendored, name


def test_manifest_describes_each_zip(first: Path, first_zips: Zips) -> None:
    manifest = json.loads((as_first_built(first) / "manifest.json").read_text())["functions"]
    assert sorted(manifest) == sorted(first_zips)
    for name, entry in manifest.items():
        data = first_zips[name][""]
        spec = contract.function_spec(name)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["source_code_hash"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert entry["zipped_size"] == len(data)
        assert entry["unzipped_size"] == sum(len(v) for k, v in first_zips[name].items() if k)
        assert {key: entry[key] for key in ("runtime", "architecture", "handler", "sdk")} == {
            key: spec[key] for key in ("runtime", "architecture", "handler", "sdk")
        }


def test_compiled_code_matches_the_architecture_of_the_manifest_and_terraform(first: Path) -> None:
    manifest = json.loads((first / "dist" / "manifest.json").read_text())["functions"]
    deployed = evaluate_contract()["functions"]
    for name, entry in manifest.items():
        # The architecture Terraform deploys each zip on is the one the build made it for ...
        assert entry["architecture"] == deployed[name]["architecture"] == contract.function_spec(name)["architecture"]
        # ... and nothing compiled in the zip needs another one.
        with zipfile.ZipFile(first / "dist" / entry["zip"]) as archive:
            assert foreign_files(archive, entry["architecture"]) == [], name


def test_unchanged_build_reuses_and_touching_one_function_rebuilds_only_it(first: Path) -> None:
    settle = build(first)  # earlier tests may have left dist/ rebuilt; this run makes it current
    assert settle.returncode == 0, settle.stderr
    again = build(first)
    assert again.returncode == 0, again.stderr
    assert statuses(again.stdout) == dict.fromkeys(functions_of(first), "reused")

    touched = functions_of(first)[0]
    app = first / "functions" / touched / "app.py"
    original = app.read_text()
    try:
        app.write_text(original + "\n# touched\n")
        result = build(first)
        assert result.returncode == 0, result.stderr
        assert statuses(result.stdout) == dict.fromkeys(functions_of(first), "reused") | {touched: "built"}
    finally:
        app.write_text(original)


def test_each_zip_imports_its_handler_in_isolation(first: Path) -> None:
    result = build(first, "--verify")
    assert result.returncode == 0, result.stderr
    verified = sorted(line.split()[1].rstrip(":") for line in result.stdout.splitlines() if line.startswith("verified"))
    assert verified == functions_of(first)


# Imports a handler from its unzipped package with fastjsonschema's code generation refused, and
# prints how many validators the import readied.
WITHOUT_GENERATION = """
import importlib, json, sys
sys.path[:0] = json.loads(sys.argv[1])
import fastjsonschema
def refuse(*args, **kwargs):
    raise AssertionError("a validator was generated at run time")
fastjsonschema.compile = fastjsonschema.compile_to_code = refuse
importlib.import_module(sys.argv[2])
from cartflow import models
print(models._validator.cache_info().currsize)
"""


def test_a_cold_start_loads_the_validators_the_build_generated_and_generates_none(
    first: Path, first_zips: Zips, tmp_path: Path
) -> None:
    manifest = json.loads((as_first_built(first) / "manifest.json").read_text())["functions"]
    sdk = verify.runtime_sdk_standin(tmp_path / "sdk")
    modules = [models.validator_module(t, view) for t in (None, *DETAIL_TYPES) for view in models.VIEWS]
    for name, entry in manifest.items():
        for module in modules:
            assert module.replace(".", "/") + ".py" in first_zips[name], name
        tree = tmp_path / name
        with zipfile.ZipFile(as_first_built(first) / entry["zip"]) as archive:
            archive.extractall(tree)
        paths = json.dumps([str(tree), str(sdk)])
        run = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", WITHOUT_GENERATION, paths, entry["handler"].rsplit(".", 1)[0]],
            env=verify.verify_environment(functions.resolve(name, None)),
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, f"{name}: {run.stderr[-2000:]}"
        assert int(run.stdout) >= 3, name  # the envelope and both views of at least one detail


def test_verify_fails_when_the_handler_needs_something_not_in_the_zip(first: Path) -> None:
    name = functions_of(first)[0]
    app = first / "functions" / name / "app.py"
    original = app.read_text()
    try:
        app.write_text(original + "\nimport moto  # in the dev venv, not in the zip\n")
        result = build(first, name, "--verify")
    finally:
        app.write_text(original)
    assert result.returncode == 1
    assert f"{name}.zip: handler app.handler does not import" in result.stderr


def test_failed_build_leaves_no_zip_and_no_manifest_entry(first: Path) -> None:
    name = functions_of(first)[0]
    app = first / "functions" / name / "app.py"
    original = app.read_text()
    try:
        app.write_text(original + "\ndef broken(:\n")
        result = build(first, name)
    finally:
        app.write_text(original)
    assert result.returncode == 1
    assert f"byte-compiling failed: /var/task/app.py:{len(original.splitlines()) + 2}: SyntaxError" in result.stderr
    assert not (first / "dist" / f"{name}.zip").exists()
    assert name not in json.loads((first / "dist" / "manifest.json").read_text())["functions"]
    assert not list((first / "dist").glob(".*partial"))


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    return clone(tmp_path / "checkout")


def unpin(lock: Path) -> None:
    lock.write_text("boto3>=1.40\n")


def drop_hashes(lock: Path) -> None:
    lock.write_text("boto3==1.44.8\n")


@pytest.mark.parametrize(
    ("change", "relative", "message"),
    [
        (unpin, "requirements.txt", "requirements.txt:1: not pinned with == and --hash: boto3>=1.40"),
        (drop_hashes, "requirements.txt", "requirements.txt:1: not pinned with == and --hash: boto3==1.44.8"),
        (Path.unlink, "requirements.txt", "requirements.txt: lock file missing"),
        (Path.unlink, "app.py", "app.py: handler module of"),
    ],
)
def test_bad_inputs_fail_with_one_line_naming_the_file(
    scratch: Path, change: Callable[[Path], object], relative: str, message: str
) -> None:
    name = functions_of(scratch)[0]
    path = scratch / "functions" / name / relative
    change(path)
    result = build(scratch)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"build.py: error: functions/{name}/{message}")
    assert not (scratch / "dist" / f"{name}.zip").exists()


def test_unknown_function_is_named(scratch: Path) -> None:
    result = build(scratch, "no_such_function")
    assert result.returncode == 1
    assert result.stderr == (
        "build.py: error: functions/no_such_function: unknown function 'no_such_function' (no such folder)\n"
    )


def test_a_package_without_a_wheel_for_the_platform_is_named(scratch: Path, tmp_path: Path) -> None:
    # The index comes from pip's own configuration (here PIP_INDEX_URL), as behind a corporate mirror.
    index = tmp_path / "index"  # an index with no wheels at all: no package has one for the platform
    index.mkdir()
    name = functions_of(scratch)[0]
    wheelhouse = tmp_path / "wheels"
    result = build(scratch, name, "--arch", "arm64", "--wheelhouse", str(wheelhouse), PIP_INDEX_URL=index.as_uri())
    assert result.returncode == 1
    error = re.fullmatch(
        r"build\.py: error: no wheel of (\S+)==(\S+) for manylinux2014_aarch64 \(cp313\) .*\n", result.stderr
    )
    assert error is not None, result.stderr
    assert f"{error[1]}=={error[2]} " in (scratch / "functions" / name / "requirements.txt").read_text()


def test_a_zip_over_lambdas_limit_fails_before_it_is_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "LAMBDA_ZIPPED_LIMIT", 1024 * 1024)  # a real zip is a few MiB
    name = functions_of(ROOT)[0]
    with pytest.raises(BuildError) as raised:
        pipeline.run(pipeline.Request(functions=[name], out=tmp_path, wheelhouse=WHEELHOUSE))
    assert str(raised.value).startswith(f"{name}: ")
    assert "exceeds Lambda's 1.0 MiB / 250.0 MiB" in str(raised.value)
    assert list(tmp_path.iterdir()) == [tmp_path / "manifest.json"]
    assert json.loads((tmp_path / "manifest.json").read_text())["functions"] == {}


@given(st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,20}[A-Za-z0-9])?", fullmatch=True))
def test_canonical_names_are_packagings(name: str) -> None:
    # cartbuild normalises project names itself so a no-change run does not import packaging.
    from packaging.utils import canonicalize_name

    assert canonical_name(name) == canonicalize_name(name)
