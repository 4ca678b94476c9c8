"""The whole of cartflow on one machine: moto, the real zips under awslambdaric, and the glue.

Start order follows the data: the contract module's policies (cached) and moto behind the
authorization gate, the contract's resources, then each function's execution environments
from its zip (started on demand, one per concurrent invocation), then what AWS would run
between them (rule → Lambda targets, the queue's event source mapping, Scheduler, the SES
outbox), then the HTTP API.
Every request the stack makes on a principal's behalf is signed as that principal and authorized
as AWS would (cartlocal.iam): a function's calls, its event source mapping's polling and its
on-failure records as its execution role, the API's PutEvents as the integration role after API
Gateway assumes it, Scheduler's delivery as the schedule's role after Scheduler assumes it. Denials go to
the timeline and are counted in ``denials``.

``stop`` undoes it in reverse and reaps every process it started; it is safe after a partial
start, so a failure half-way (port in use, stale zip) never leaves anything running.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TextIO

from cartflow import contract
from cartlocal.apigateway.http_api import LocalHttpApi
from cartlocal.apigateway.http_server import HttpApi, LocalApi
from cartlocal.apigateway.rest_api import LocalRestApi
from cartlocal.apigateway.tokens import LocalUserPool
from cartlocal.console import assets
from cartlocal.console.server import Console, Sources
from cartlocal.errors import LocalError
from cartlocal.hot_reload import HotReload
from cartlocal.iam import local as iam_local
from cartlocal.iam.plane import Plane, access_key_id
from cartlocal.lambda_runtime import artifacts
from cartlocal.lambda_runtime.pool import WorkerPool
from cartlocal.lambda_runtime.worker import FunctionConfig, Result
from cartlocal.lambda_runtime.xray_daemon import XRayDaemon
from cartlocal.local_aws.endpoint import CREDENTIALS, MotoEndpoint
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, Stack, provision
from cartlocal.pollers.async_targets import AsyncTarget
from cartlocal.pollers.bus_tap import BusTap
from cartlocal.pollers.event_source import QueueEventSource
from cartlocal.pollers.loops import Loop
from cartlocal.pollers.mailboxes import BouncePublisher
from cartlocal.pollers.outbox import Outbox
from cartlocal.pollers.scheduler import AssumeRoleDenied, RoleClients, ScheduleRunner
from cartlocal.ports import API, CONSOLE, MOTO, ensure_free
from cartlocal.timeline import Timeline
from cartlocal.timing import TimeScale

# Default local time scale: one AWS minute of retry back-off is half a second here.
DEFAULT_TIME_SCALE = 1 / 120
# The local bus archive (cartlocal.pollers.bus_tap), under the workdir; `make replay` reads it.
ARCHIVE_FILE = "archive.jsonl"


@dataclass(frozen=True)
class Options:
    """How to run the local stack; the defaults suit `make local`."""

    dist: Path = Path("dist")
    workdir: Path = Path(".local")
    moto_port: int = 0
    api_port: int = 0
    name: str = "cartflow-local"
    reminder_delay_seconds: int | None = None
    time_scale: float = DEFAULT_TIME_SCALE
    # Functions to run (None: all of them), and whether AWS's own pollers and the API run too
    # (`make invoke` runs one function and nothing else).
    functions: tuple[str, ...] | None = None
    event_sources: bool = True
    # Extra environment variables per function, on top of the contract's settings: e.g. a
    # per-service endpoint (AWS_ENDPOINT_URL_SESV2) pointing one function at a fault injector.
    extra_environment: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The API's authorization, as Terraform's `auth`: "cognito" requires an ID token of
    # LocalStack.user_pool (mint one with user_pool.mint) and takes user/email from its claims.
    auth: Literal["iam", "cognito"] = "iam"
    # Which API Terraform's `api` deploys: "rest" validates bodies and answers its own messages;
    # "http" (EventBridge-PutEvents integration) validates nothing and answers PutEvents' response.
    api: Literal["rest", "http"] = "rest"
    # The timeline's view of every event on the bus (cartlocal.pollers.bus_tap): one more matched rule and
    # queue per event in moto and one more poller, so throughput measurements switch it off.
    bus_tap: bool = True
    # A source tree to watch (`make local`): a saved change rebuilds the zips it goes into from
    # that tree and redeploys those functions (cartlocal.hot_reload).
    watch: Path | None = None
    # The web console's port (cartlocal.console; 0: a free one), or None for no console.
    console_port: int | None = None
    # AWS's authorization plane (cartlocal.iam); off only for debugging (cartlocal.cli --no-authz).
    authz: bool = True
    # SES sandbox: every recipient must be a verified identity the sender may send to.
    ses_sandbox: bool = False
    # The contract module's outputs to authorize with, instead of evaluating the module (the
    # least-privilege report runs the journey with one policy statement removed at a time).
    contract_outputs: Mapping[str, Any] | None = None


@dataclass
class LocalStack:
    """A running local cartflow; use as a context manager."""

    options: Options
    timeline: Timeline = field(default_factory=Timeline)
    moto: MotoEndpoint | None = None
    stack: Stack | None = None
    # Each function's execution environments, by function name.
    workers: dict[str, WorkerPool] = field(default_factory=dict)
    tap: BusTap | None = None
    outbox: Outbox | None = None
    scheduler: ScheduleRunner | None = None
    api: HttpApi | None = None
    console: Console | None = None
    user_pool: LocalUserPool | None = None
    plane: Plane | None = None
    # Where the functions' X-Ray SDK sends its segments (they run with Active tracing, as deployed).
    xray: XRayDaemon | None = None
    # Every request the authorization plane refused, as the gate reported it.
    denials: list[dict[str, str]] = field(default_factory=list)
    _contract: dict[str, Any] = field(default_factory=dict)
    _loops: list[Loop] = field(default_factory=list)
    # Pollers that invoke on threads of their own, closed once their loops have stopped.
    _invokers: list[AsyncTarget | QueueEventSource] = field(default_factory=list)
    _log_files: list[TextIO] = field(default_factory=list)
    _scratch: Path | None = None

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def client(self, service: str, access_key: str = CREDENTIALS["AWS_ACCESS_KEY_ID"]) -> Any:
        assert self.moto is not None, "start the stack first"
        return self.moto.client(service, access_key)

    def role_key(self, role_arn: str) -> str:
        """The access key a role's session signs with (the operator's when authorization is off)."""
        return access_key_id(role_arn) if self.options.authz else CREDENTIALS["AWS_ACCESS_KEY_ID"]

    def function_key(self, name: str) -> str:
        return self.role_key(self._contract["arns"]["function_roles"][name]) if self._contract else self.role_key("")

    def _denied(self, denial: dict[str, str]) -> None:
        self.denials.append(denial)
        via = f" (KMS call of {denial['via']})" if denial.get("via") else ""
        self.timeline.log("iam", f"DENIED{via}: {denial['message']}")

    def start(self) -> None:
        options = self.options
        # Every port is checked before anything starts, so a busy one costs no start-up.
        ensure_free(options.moto_port, MOTO)
        if options.event_sources:
            ensure_free(options.api_port, API)
            if options.console_port is not None:
                assets.check_installed()
                ensure_free(options.console_port, CONSOLE)
        manifest = artifacts.load_manifest(options.dist)
        names = options.functions or tuple(contract.stack()["functions"])
        missing = [name for name in names if name not in manifest]
        if missing:
            raise LocalError(f"{options.dist}/manifest.json has no zip for {', '.join(missing)}: run make package")
        # Zips unpack side by side (zlib releases the GIL) while moto starts and is provisioned.
        with ThreadPoolExecutor() as pool:
            trees = {
                name: pool.submit(artifacts.unpack, name, manifest[name], options.dist, options.workdir / "tasks")
                for name in names
            }
            self._scratch = Path(tempfile.mkdtemp(prefix="cartflow-local-"))
            config = None
            if options.authz:
                self._contract = dict(options.contract_outputs or iam_local.contract_outputs(options.name))
                config = iam_local.write_config(
                    self._scratch / "authz.json", self._contract, ses_sandbox=options.ses_sandbox
                )
                self.plane = iam_local.plane({"outputs": self._contract, "ses_sandbox": options.ses_sandbox})
            self.moto = MotoEndpoint(options.moto_port, config, self._denied)
            gate = "behind the authorization plane" if options.authz else "WITHOUT authorization (--no-authz)"
            self.timeline.log("moto", f"AWS services at {self.moto.url}, {gate}")
            self.stack = provision(
                options.name,
                options.reminder_delay_seconds,
                client=self.moto.client,
                key_arn=iam_local.KEY_ARN if options.authz else None,
            )
            if options.bus_tap:
                bus = self.stack.settings["EVENT_BUS_ARN"]
                self.tap = BusTap(
                    options.name,
                    bus,
                    self.client("events"),
                    self.client("sqs"),
                    self.timeline,
                    archive=options.workdir / ARCHIVE_FILE,
                )
            bounces = BouncePublisher(self.client("events"), self.stack.settings["SES_CONFIGURATION_SET"], ACCOUNT_ID)
            self.outbox = Outbox(options.workdir / "outbox", self.timeline, self.client("ses"), self.moto.url, bounces)
            sdk = artifacts.runtime_sdk(self._scratch / "runtime-sdk")
            self.xray = XRayDaemon()
            self.xray.start()
            for name in names:
                self.workers[name] = self._worker(name, manifest[name].handler, trees[name].result(), sdk)
        self.timeline.log("lambda", f"{len(names)} function(s) unpacked from {options.dist}: {', '.join(names)}")
        if options.event_sources:
            self._start_event_sources()

    def _worker(self, name: str, handler: str, task_root: Path, sdk: Path) -> WorkerPool:
        assert self.moto is not None
        assert self.stack is not None
        spec = contract.function_spec(name)
        config = FunctionConfig(
            name=name,
            handler=handler,
            task_root=task_root,
            sdk_dir=sdk,
            timeout_seconds=spec["timeout"],
            memory_mb=spec["memory_size"],
            environment={
                **self.stack.environment(name),
                **self.moto.environment(self.function_key(name)),
                **self.options.extra_environment.get(name, {}),
            },
            function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            xray_daemon_address=self.xray.address if self.xray is not None else None,
        )
        logs = self.options.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_file = (logs / f"{name}.log").open("a", encoding="utf-8")
        self._log_files.append(log_file)

        def function_output(line: str) -> None:
            log_file.write(line + "\n")
            log_file.flush()
            self.timeline.function_output(name, line)

        return WorkerPool(config, lambda line: self.timeline.log("lambda", line), function_output)

    def _start_event_sources(self) -> None:
        assert self.stack is not None
        assert self.outbox is not None
        sqs, scale = self.client("sqs"), TimeScale(self.options.time_scale)

        def report(message: str) -> None:
            self.timeline.log("local", f"poller error: {message}")

        steps: dict[str, Callable[[], bool]] = {"outbox": self.outbox.step}
        if self.tap is not None:
            steps["bus-tap"] = self.tap.step
        for name, url in self.stack.lambda_delivery_queues.items():
            if name in self.workers:
                dlq = self.stack.dlq_urls["async_failures"]
                target = AsyncTarget(
                    self.workers[name],
                    sqs,
                    url,
                    dlq,
                    scale=scale,
                    timeline=self.timeline,
                    on_failure_sqs=self.client("sqs", self.function_key(name)),
                )
                self._invokers.append(target)
                steps[f"rule→{name}"] = target.step
        for queue, spec in contract.stack()["queues"].items():
            if spec["consumer"] in self.workers:
                worker, url = self.workers[spec["consumer"]], self.stack.queue_urls[queue]
                # Lambda's event source mapping polls with the function's execution role.
                consumer_sqs = self.client("sqs", self.function_key(spec["consumer"]))
                source = QueueEventSource(
                    queue, worker, consumer_sqs, url, scale=scale, timeline=self.timeline, on_error=report
                )
                self._invokers.append(source)
                steps[f"sqs→{spec['consumer']}"] = source.step
        self.scheduler = ScheduleRunner(
            self.stack.settings["SCHEDULE_GROUP"],
            self.client("scheduler"),
            sqs,
            self._assume_for_scheduler,
            scale=scale,
            timeline=self.timeline,
        )
        steps["scheduler"] = self.scheduler.step
        if self.options.watch is not None:
            steps["hot-reload"] = HotReload(
                self.options.watch, self.options.dist, self.workers, self.redeploy, self.timeline
            ).step
        for name, step in steps.items():
            loop = Loop(name, step, report)
            loop.start()
            self._loops.append(loop)
        if self.options.auth == "cognito":
            self.user_pool = LocalUserPool.generate(REGION)
        # Either API calls PutEvents as the API role, after API Gateway assumed it.
        api_role = self._contract["arns"]["api_role"] if self._contract else ""
        events, bus_arn = self.client("events", self.role_key(api_role)), self.stack.settings["EVENT_BUS_ARN"]

        def assume() -> str | None:
            return self._assume_for_api(api_role)

        def execution_log(line: str) -> None:
            self.timeline.log("api", f"execution log: {line}")

        api: LocalApi = (
            LocalHttpApi(
                events,
                bus_arn,
                auth=self.options.auth,
                user_pool=self.user_pool,
                assume_integration_role=assume,
                execution_log=execution_log,
            )
            if self.options.api == "http"
            else LocalRestApi(
                events,
                bus_arn,
                REGION,
                ACCOUNT_ID,
                auth=self.options.auth,
                user_pool=self.user_pool,
                assume_integration_role=assume,
                execution_log=execution_log,
            )
        )
        self.api = HttpApi(api, self.options.api_port, self.timeline)
        self.api.start()
        self.timeline.log("api", f"listening on {self.api.url}")
        if self.options.console_port is not None:
            self.console = Console(self._console_sources(), self.options.console_port)
            self.console.start()
            self.timeline.log("console", f"web console at {self.console.url}")

    def _console_sources(self) -> Sources:
        assert self.moto is not None
        assert self.stack is not None
        assert self.api is not None
        assert self.scheduler is not None
        outbox = self.outbox
        return Sources(
            timeline=self.timeline,
            api_url=self.api.url,
            moto_url=self.moto.url,
            scheduler=self.client("scheduler"),
            schedule_group=self.stack.settings["SCHEDULE_GROUP"],
            fire_now=self.scheduler.fire_now,
            sqs=self.client("sqs"),
            events=self.client("events"),
            bus_arn=self.stack.settings["EVENT_BUS_ARN"],
            queue_urls=dict(self.stack.queue_urls),
            dlq_urls=dict(self.stack.dlq_urls),
            outbox_files=lambda: list(outbox.files) if outbox is not None else [],
        )

    def redeploy(self, names: list[str]) -> None:
        """Run the zips now in dist for ``names``: each next invocation starts cold on the new code."""
        manifest = artifacts.load_manifest(self.options.dist)
        for name in names:
            self.workers[name].redeploy(
                partial(artifacts.unpack, name, manifest[name], self.options.dist, self.options.workdir / "tasks")
            )

    def _assume_for_api(self, role_arn: str) -> str | None:
        """API Gateway assuming the integration's credentials role: the execution-log line if it may not.

        For integration credentials API Gateway sends neither aws:SourceAccount nor aws:SourceArn
        (docs/aws-fidelity.md, "Local authorization plane").
        """
        if self.plane is None or self.plane.api_gateway_assumes(role_arn).allowed:
            return None
        self.denials.append({"principal": "apigateway.amazonaws.com", "action": "sts:AssumeRole", "resource": role_arn})
        return (
            "Execution failed due to configuration error: "
            f"API Gateway does not have permission to assume the provided role {role_arn}"
        )

    def _assume_for_scheduler(self, role_arn: str) -> RoleClients:
        """Scheduler assuming a schedule's role, with aws:SourceAccount and the group as aws:SourceArn."""
        assert self.stack is not None
        group = self.stack.settings["SCHEDULE_GROUP"]
        if self.plane is not None and not self.plane.scheduler_assumes(role_arn, group).allowed:
            message = f"EventBridge Scheduler cannot assume {role_arn} (its trust policy denies)"
            self._denied(
                {
                    "principal": "scheduler.amazonaws.com",
                    "action": "sts:AssumeRole",
                    "resource": role_arn,
                    "message": message,
                }
            )
            raise AssumeRoleDenied(message)
        key = self.role_key(role_arn)
        return RoleClients(self.client("events", key), self.client("sqs", key))

    def invoke(self, name: str, event: Any) -> Result:
        """Invoke one function synchronously (RequestResponse), as `make invoke` does."""
        return self.workers[name].invoke(event)

    def stop(self) -> None:
        if self.console is not None:
            self.console.stop()
            self.console = None
        if self.api is not None:
            self.api.stop()
            self.api = None
        for loop in self._loops:
            loop.stop()
        for worker in self.workers.values():
            worker.stop()
        for loop in self._loops:
            loop.join()
        self._loops.clear()
        for invoker in self._invokers:
            invoker.close()
        self._invokers.clear()
        self.workers.clear()
        if self.xray is not None:
            self.xray.stop()
            self.xray = None
        for log_file in self._log_files:
            log_file.close()
        self._log_files.clear()
        if self.moto is not None:
            self.moto.stop()
            self.moto = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
