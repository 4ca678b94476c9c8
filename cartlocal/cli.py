"""Command line of the local runtime: ``demo``, ``local``, ``invoke`` and ``event`` (the make targets call it).

Problems of the developer's machine or input (port in use, no dist/, a malformed event file)
end with one ``error:`` line and exit status 2; a failed expectation or a function error is
status 1; success is 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from cartflow import contract
from cartlocal import ports, samples
from cartlocal.errors import LocalError
from cartlocal.http_journey import HttpJourney
from cartlocal.journey import DELAY_SECONDS, Journey
from cartlocal.local_aws.provision import REGION
from cartlocal.local_aws.quotas import MODELS, Quotas
from cartlocal.local_stack import DEFAULT_TIME_SCALE, LocalStack, Options
from cartlocal.timeline import Timeline

# Nothing fires unless the journey fires it (cartlocal.journey): an hour, as the reliability runs use.
# The checkout `make local` watches for hot reload: the one this cartlocal is part of.
SOURCE_ROOT = Path(__file__).resolve().parent.parent
# How long `invoke` waits for the events a function put on the bus to reach the tap.
INVOKE_SETTLE_SECONDS = 1


def _options(args: argparse.Namespace, **overrides: Any) -> Options:
    values: dict[str, Any] = {
        "dist": Path(args.dist),
        "workdir": Path(args.workdir),
        "moto_port": args.moto_port if args.moto_port is not None else _default_moto_port(args.command),
        "time_scale": args.time_scale,
        "authz": not args.no_authz,
        "ses_sandbox": args.ses_sandbox,
    }
    return Options(**(values | overrides))


def _default_moto_port(command: str) -> int:
    """`local` is what developers point tools at, so its endpoint stays put; one-shot runs take any free port."""
    return ports.MOTO.default if command == "local" else 0


@contextmanager
def _started(options: Options, quota_model: str | None, timeline: Timeline | None = None) -> Iterator[LocalStack]:
    """The local stack, its functions' AWS calls held to ``quota_model``'s quotas when one is named."""
    with contextlib.ExitStack() as resources:
        if quota_model is not None:
            limits = resources.enter_context(Quotas(quota_model))
            options = replace(options, extra_environment={**options.extra_environment, **limits.environment})
        running = resources.enter_context(LocalStack(options, timeline or Timeline()))
        if quota_model is not None:
            assert running.moto is not None
            limits.connect(running.moto.url)
            running.timeline.log("quotas", f"{quota_model}: {limits.describe()}")
        yield running


def demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    timeline = Timeline()
    options = _options(args, api_port=args.api_port, reminder_delay_seconds=args.delay, api=args.api)
    with _started(options, args.quotas, timeline) as local:
        journey = HttpJourney if args.api == "http" else Journey
        expectations = journey(local, args.delay).run()
    held = sum(expectation.held for expectation in expectations)
    print(f"\nSummary ({time.monotonic() - started:.1f} s):", file=sys.stderr)
    for expectation in expectations:
        print(f"  {'PASS' if expectation.held else 'FAIL'}  {expectation.description}", file=sys.stderr)
    print(f"{held}/{len(expectations)} expectations held", file=sys.stderr)
    if options.authz:
        print(f"{len(local.denials)} request(s) denied by the local authorization plane", file=sys.stderr)
    else:
        print("authorization was OFF (--no-authz): a real account may deny what passed here", file=sys.stderr)
    return 0 if held == len(expectations) else 1


def local(args: argparse.Namespace) -> int:
    options = _options(
        args,
        api_port=args.api_port,
        reminder_delay_seconds=args.delay,
        auth=args.auth,
        watch=SOURCE_ROOT if args.watch else None,
        console_port=args.console_port,
        api=args.api,
    )
    stopping = threading.Event()
    # Explicit handlers: a shell may start a background job with SIGINT ignored, and SIGTERM
    # (e.g. from a supervisor) must shut down as cleanly as Ctrl-C.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with _started(options, args.quotas) as running:
        assert running.api is not None
        assert running.moto is not None
        assert running.stack is not None
        assert running.console is not None
        urls = (running.console.url, running.api.url, running.moto.url)
        print(_banner(urls, running.stack.settings["SCHEDULE_GROUP"], options), flush=True)
        if running.user_pool is not None:
            print(_token_banner(running.api.url, running.user_pool.mint("ada", "ada@example.com")), flush=True)
        stopping.wait()
        print("shutting down…", file=sys.stderr, flush=True)
    print("stopped.", file=sys.stderr)
    return 0


def _banner(urls: tuple[str, str, str], group: str, options: Options) -> str:
    console, api, moto = urls
    add = '{"user": "ada", "product": "sku-42", "quantity": 2, "email": "ada@example.com"}'
    json_header = "-H 'Content-Type: application/json'"
    return f"""
cartflow is running locally (reminder delay {options.reminder_delay_seconds} s).
  console     {console}
  API         {api}
  AWS (moto)  {moto}
  outbox      {options.workdir}/outbox/<n>.eml      function logs  {options.workdir}/logs/<function>.log

Try:
  curl -s -X POST {api}/cart {json_header} -d '{add}'
  curl -s -X DELETE {api}/cart {json_header} -d '{{"user": "ada", "product": "sku-42"}}'
  curl -s -X POST {api}/checkout {json_header} -d '{{"user": "ada"}}'
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --region {REGION} --endpoint-url {moto} \\
      scheduler list-schedules --group-name {group}

Ctrl-C stops everything.
"""


def _token_banner(api: str, token: str) -> str:
    auth_header = '-H "Authorization: Bearer $TOKEN"'
    return f"""auth = cognito: every request needs an ID token; the user and email are the token's. One for ada (1 h):
  TOKEN={token}
  curl -s -X POST {api}/cart -H 'Content-Type: application/json' {auth_header} -d '{{"product": "sku-42"}}'
"""


def read_event(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocalError(f"{path}: no such event file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LocalError(f"{path}: not a JSON event ({error})") from None


def invoke(args: argparse.Namespace) -> int:
    try:
        contract.function_spec(args.function)
    except KeyError as error:
        raise LocalError(f"{error.args[0]}; choose one of {', '.join(contract.stack()['functions'])}") from None
    event = read_event(Path(args.event))
    options = _options(args, functions=(args.function,), event_sources=False)
    with LocalStack(options, Timeline()) as running:
        result = running.invoke(args.function, event)
        _report_side_effects(running)
    print(json.dumps(result.payload if result.ok else result.error))
    return 0 if result.ok else 1


def _report_side_effects(running: LocalStack) -> None:
    """Schedules, emails and events the one invocation left behind, on stderr."""
    assert running.tap is not None
    assert running.outbox is not None
    assert running.stack is not None
    deadline = time.monotonic() + INVOKE_SETTLE_SECONDS
    while time.monotonic() < deadline:
        if not running.tap.step(wait_seconds=0):
            time.sleep(0.1)
    running.outbox.step()
    scheduler = running.client("scheduler")
    group = running.stack.settings["SCHEDULE_GROUP"]
    names = [item["Name"] for item in scheduler.list_schedules(GroupName=group)["Schedules"]]
    for name in names:
        schedule = scheduler.get_schedule(Name=name, GroupName=group)
        target = schedule["Target"]
        running.timeline.log("scheduler", f"schedule {name} {schedule['ScheduleExpression']} → {target['Input']}")
    running.timeline.log(
        "summary",
        f"{len(names)} schedule(s), {len(running.tap.events)} event(s) on the bus, "
        f"{len(running.outbox.files)} email(s) in {running.outbox.directory}",
    )


def event(args: argparse.Namespace) -> int:
    try:
        print(json.dumps(samples.generate(args.type, args.set), indent=2))
    except samples.SampleError as error:
        raise LocalError(str(error)) from None
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def parser() -> argparse.ArgumentParser:
    """The command line: global options, then ``demo``, ``local`` or ``invoke`` with theirs."""
    parser = argparse.ArgumentParser(prog="cartlocal", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dist", default="dist", help="folder with build.py's zips and manifest.json")
    parser.add_argument("--workdir", default=".local", help="outbox and function logs go here")
    parser.add_argument(
        "--moto-port",
        type=int,
        default=None,
        help=f"AWS endpoint (moto) port (default: {ports.MOTO.default} for local, a free one otherwise; 0: a free one)",
    )
    parser.add_argument(
        "--no-authz",
        action="store_true",
        help="debugging only: skip AWS's authorization plane (IAM, trust, queue and key policies)",
    )
    parser.add_argument(
        "--ses-sandbox",
        action="store_true",
        help="SES sandbox: recipients must be verified identities the sender may send to",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEFAULT_TIME_SCALE,
        help="local seconds per AWS second for retry back-off and visibility timeouts",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text, delay, api_port in (
        ("demo", "run the scripted journey and check every outcome", DELAY_SECONDS, 0),
        ("local", "keep the stack running until Ctrl-C", 30, ports.API.default),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "--api-port", type=int, default=api_port, help=f"local API port (default: {api_port or 'a free one'})"
        )
        command.add_argument("--delay", type=int, default=delay, help="REMINDER_DELAY_SECONDS for this run")
        command.add_argument("--api", choices=("rest", "http"), default="rest", help="API type, as Terraform's api")
        command.add_argument(
            "--quotas",
            choices=MODELS,
            default=None,
            help="enforce AWS's quotas (SES's sending rate, Scheduler's and PutEvents' rates) with AWS's errors",
        )
        if name == "local":
            command.add_argument(
                "--auth", choices=("iam", "cognito"), default="iam", help="API authorization, as Terraform's auth"
            )
            command.add_argument(
                "--console-port",
                type=int,
                default=ports.CONSOLE.default,
                help=f"web console port (default: {ports.CONSOLE.default}; 0: a free one)",
            )
            command.add_argument(
                "--no-watch",
                dest="watch",
                action="store_false",
                help="no hot reload of functions/ and cartflow/",
            )
    call = commands.add_parser("invoke", help="invoke one function once from its zip")
    call.add_argument("function")
    call.add_argument("event", help="JSON file with the event")
    sample = commands.add_parser("event", help="print a valid event or request body from the contract's schemas")
    sample.add_argument("type", help="a detail type (ItemAddedToCart) or a route (POST /cart)")
    sample.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one field")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # SIGTERM shuts down as cleanly as Ctrl-C (`local` waits for either itself).
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return {"demo": demo, "local": local, "invoke": invoke, "event": event}[args.command](args)
    except LocalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # the stack has already been shut down by its context manager
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
