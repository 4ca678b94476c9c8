"""Stable ports: `make local` listens on 3000 (API) and 5000 (AWS endpoint) unless told otherwise,
and a taken port ends the run with one line naming the make variable to set."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cartlocal import cli
from tests.helpers.paths import ROOT


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_local_defaults_to_3000_and_5000_and_one_shot_runs_to_free_ports() -> None:
    local = cli.parser().parse_args(["local"])
    demo = cli.parser().parse_args(["demo"])
    invoke = cli.parser().parse_args(["invoke", "send_reminder", "event.json"])

    assert (cli._options(local).moto_port, local.api_port, local.console_port) == (5000, 3000, 3030)
    assert (cli._options(demo).moto_port, demo.api_port) == (0, 0)
    assert cli._options(invoke).moto_port == 0


def test_make_variables_reach_the_command_line() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "local", "API_PORT=3100", "MOTO_PORT=5100", "CONSOLE_PORT=3130"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    command = next(line for line in dry_run.splitlines() if "cartlocal.cli" in line)

    assert "--moto-port 5100" in command
    assert "--api-port 3100" in command
    assert "--console-port 3130" in command


@pytest.mark.parametrize(
    ("flag", "variable", "what"),
    [
        ("--api-port", "API_PORT", "local API"),
        ("--moto-port", "MOTO_PORT", "AWS endpoint (moto)"),
        ("--console-port", "CONSOLE_PORT", "web console"),
    ],
)
def test_a_busy_port_is_one_line_naming_the_variable_to_set(
    busy_port: int, flag: str, variable: str, what: str
) -> None:
    global_flags = [flag, str(busy_port)] if flag == "--moto-port" else ["--moto-port", str(free_port())]
    local_flags = [
        *([flag, str(busy_port)] if flag == "--api-port" else ["--api-port", str(free_port())]),
        *([flag, str(busy_port)] if flag == "--console-port" else ["--console-port", str(free_port())]),
    ]
    # No dist: the ports are checked before anything else, so nothing is unpacked or started.
    run = subprocess.run(
        [sys.executable, "-m", "cartlocal.cli", "--dist", "/nonexistent", *global_flags, "local", *local_flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        f"error: port {busy_port} on 127.0.0.1 is in use ({what}); "
        f"set {variable}=<free port>, e.g. make local {variable}={busy_port + 1}"
    ]
