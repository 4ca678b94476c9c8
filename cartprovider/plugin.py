"""The stand-in's plugin-protocol server: what Terraform talks to as registry.terraform.io/hashicorp/aws.

Why this exists: Terraform runs a provider as a child process and speaks tfplugin6 (gRPC) to it.
The PyPI package `tf` (MIT) implements the transport: go-plugin's handshake, mutual TLS, the
generated protocol messages. Its own resource layer types only top-level attributes, so this
module answers the protocol directly from the schema document (cartprovider/schema.py) and the
value rules (cartprovider/model.py): every type the repository declares, nested blocks included.

Terraform core validates configuration against the served schema itself (unknown arguments,
wrong types, missing required arguments, block counts), exactly as with the real provider.
Responses use the strict type system (not the SDK's legacy one), so a planned value the apply
does not honour fails the apply instead of passing with a warning.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
from concurrent import futures
from copy import deepcopy
from pathlib import Path
from typing import Any

import msgpack
from msgpack.ext import ExtType
from tf import provider as tf_provider
from tf import runner
from tf.gen import tfplugin_pb2 as pb
from tf.schema import Schema
from tf.utils import Diagnostics

from cartprovider import model
from cartprovider.authorization import Authorizer
from cartprovider.schema import OUTPUT, load

# cty's msgpack encoding: extension 0 is an unknown value, 12 an unknown with refinements.
_UNKNOWN_CODES = {0, 12}
_NESTING = {
    "single": pb.Schema.NestedBlock.SINGLE,
    "list": pb.Schema.NestedBlock.LIST,
    "set": pb.Schema.NestedBlock.SET,
}


def decode(value: Any) -> Any:
    """A DynamicValue as Python values, unknowns as model.UNKNOWN."""
    if value.json:
        return json.loads(value.json)
    if not value.msgpack:
        return None

    def ext_hook(code: int, data: bytes) -> Any:
        return model.UNKNOWN if code in _UNKNOWN_CODES else ExtType(code, data)

    return msgpack.unpackb(value.msgpack, ext_hook=ext_hook, strict_map_key=False)


def encode(value: Any) -> Any:
    def default(obj: Any) -> Any:
        if obj is model.UNKNOWN:
            return ExtType(0, b"")
        raise TypeError(f"cannot encode {obj!r}")

    return pb.DynamicValue(msgpack=msgpack.packb(value, default=default))


def conform(value: Any, block: model.Block) -> Any:
    """An object with every attribute and block of the schema (null or empty where absent)."""
    if value is None or value is model.UNKNOWN:
        return value
    result: dict[str, Any] = {name: value.get(name) for name in block["attributes"]}
    for name, spec in block["blocks"].items():
        nested = value.get(name)
        if spec["nesting"] == "single":
            result[name] = conform(nested, spec["block"]) if isinstance(nested, dict) else nested
        else:
            result[name] = [conform(v, spec["block"]) for v in nested] if isinstance(nested, list) else []
    return result


def schema_pb(block: model.Block, version: int = 0) -> Any:
    return pb.Schema(version=version, block=_block_pb(block))


def _block_pb(block: model.Block) -> Any:
    attributes = [
        pb.Schema.Attribute(
            name=name,
            type=json.dumps(spec["type"]).encode(),
            required=bool(spec.get("required")),
            optional=bool(spec.get("optional")),
            computed=bool(spec.get("computed")),
            sensitive=bool(spec.get("sensitive")),
        )
        for name, spec in block["attributes"].items()
    ]
    blocks = [
        pb.Schema.NestedBlock(
            type_name=name,
            block=_block_pb(spec["block"]),
            nesting=_NESTING[spec["nesting"]],
            min_items=spec.get("min_items", 0),
            max_items=spec.get("max_items", 0),
        )
        for name, spec in block["blocks"].items()
    ]
    return pb.Schema.Block(attributes=attributes, block_types=blocks)


class Standin:
    """The provider's identity, as the `tf` runner asks for it."""

    def full_name(self) -> str:
        return "registry.terraform.io/hashicorp/aws"

    def get_model_prefix(self) -> str:
        return "aws_"

    def get_provider_schema(self, diags: Any) -> Any:
        return Schema()

    def get_resources(self) -> list[Any]:
        return []

    def get_data_sources(self) -> list[Any]:
        return []

    def get_functions(self) -> list[Any]:
        return []


class Servicer(tf_provider.ProviderServicer):  # type: ignore[misc]
    """tfplugin6's Provider service over the schema document."""

    def __init__(self, app: Any, document: dict[str, Any] | None = None) -> None:
        super().__init__(app)
        self.document = document if document is not None else load(Path(os.environ.get("CARTPROVIDER_SCHEMA", OUTPUT)))
        provider = deepcopy(self.document["provider"]["aws"])
        provider["attributes"].pop("alias", None)  # a meta-argument of every provider block, not the schema's
        self.provider_block = provider
        self.ctx: model.Context = {"region": "us-east-1", "default_tags": {}}
        # Set by the pipeline rehearsal only: each change is then authorized as the caller.
        self.authorizer = Authorizer.from_environment()

    def _resource(self, type_name: str) -> model.Block:
        block: model.Block = self.document["resource"][type_name]
        return block

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        return pb.GetProviderSchema.Response(
            provider=schema_pb(self.provider_block),
            provider_meta=schema_pb({"attributes": {}, "blocks": {}}),
            resource_schemas={name: schema_pb(block) for name, block in self.document["resource"].items()},
            data_source_schemas={name: schema_pb(block) for name, block in self.document["data"].items()},
        )

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        config = decode(request.config) or {}
        region = config.get("region")
        self.ctx["region"] = region if isinstance(region, str) else os.environ.get("AWS_REGION", "us-east-1")
        default_tags = config.get("default_tags") or []
        tags = default_tags[0].get("tags") if default_tags and isinstance(default_tags[0], dict) else None
        self.ctx["default_tags"] = tags if isinstance(tags, dict) else {}
        return pb.ConfigureProvider.Response()

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        state = json.loads(request.raw_state.json) if request.raw_state.json else None
        return pb.UpgradeResourceState.Response(
            upgraded_state=encode(conform(state, self._resource(request.type_name)))
        )

    def ReadResource(self, request: Any, context: Any) -> Any:
        # Nothing changes behind Terraform's back here: what was applied is what exists.
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        type_name = request.type_name
        block = self._resource(type_name)
        prior, proposed, config = (
            decode(request.prior_state),
            decode(request.proposed_new_state),
            decode(request.config),
        )
        if proposed is None:  # destroy
            return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        planned = plan_block_top(config, prior, proposed, block, self.ctx)
        replace: list[str] = [] if prior is None else model.requires_replace(type_name, prior, planned)
        if replace:
            planned = plan_block_top(config, None, proposed, block, self.ctx)
        paths = [pb.AttributePath(steps=[pb.AttributePath.Step(attribute_name=name)]) for name in replace]
        return pb.PlanResourceChange.Response(
            planned_state=encode(planned), requires_replace=paths, planned_private=request.prior_private
        )

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        type_name = request.type_name
        planned = decode(request.planned_state)
        if planned is None:
            prior = decode(request.prior_state) or {}
            refusal = model.delete_refusal(type_name, prior) or self._denial(type_name, prior)
            if refusal:
                diags = Diagnostics().add_error(refusal[0], refusal[1])
                return pb.ApplyResourceChange.Response(new_state=request.prior_state, diagnostics=diags.to_pb())
            return pb.ApplyResourceChange.Response(new_state=encode(None))
        state = model.apply_create(type_name, planned, self._resource(type_name), self.ctx)
        denied = self._denial(type_name, state)
        if denied:
            diags = Diagnostics().add_error(denied[0], denied[1])
            return pb.ApplyResourceChange.Response(new_state=request.prior_state, diagnostics=diags.to_pb())
        return pb.ApplyResourceChange.Response(new_state=encode(state), private=request.planned_private)

    def _denial(self, type_name: str, values: model.Block) -> tuple[str, str] | None:
        """(summary, detail) of the AccessDenied the real provider would meet changing this resource."""
        if self.authorizer is None:
            return None
        message = self.authorizer.refusal(type_name, values)
        if message is None:
            return None
        return f"changing {type_name}: operation error: AccessDenied", message

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        block: model.Block = self.document["data"][request.type_name]
        config = decode(request.config) or {}
        state = model.read_data(request.type_name, config, self.ctx)
        state = model.fill_block(state, block, model.digest(request.type_name, config))
        return pb.ReadDataSource.Response(state=encode(conform(state, block)))

    def ImportResourceState(self, request: Any, context: Any) -> Any:
        diags = Diagnostics().add_error(
            "Import is not modelled", "The offline stand-in has no existing resources to import."
        )
        return pb.ImportResourceState.Response(diagnostics=diags.to_pb())


def plan_block_top(config: Any, prior: Any, proposed: Any, block: model.Block, ctx: model.Context) -> Any:
    return model.plan_block(config, prior, proposed, block, ctx, create=prior is None, top=True)


def serve(servicer: Any, credentials: dict[str, str]) -> None:
    """go-plugin's side of the handshake: a gRPC server on a unix socket with TLS, announced on
    stdout as `1|6|unix|<socket>|grpc|<certificate>`; it stops when Terraform asks it to.

    The `tf` runner does the same, but loads its certificate with the cryptography package on
    every start; Terraform starts a provider several times per command, so the certificate is
    made once, when the mirror is installed (cartprovider/mirror.py), and only read here.
    """
    import grpc  # noqa: PLC0415 - only the served process needs it
    from tf.gen import grpc_controller_pb2 as controller_pb  # noqa: PLC0415
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc  # noqa: PLC0415
    from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc  # noqa: PLC0415
    from tf.gen import tfplugin_pb2_grpc as rpc  # noqa: PLC0415

    stopped = threading.Event()

    class Controller(controller_rpc.GRPCControllerServicer):  # type: ignore[misc]
        def Shutdown(self, request: Any, context: Any) -> Any:
            stopped.set()
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):  # type: ignore[misc]
        def StreamStdio(self, request: Any, context: Any) -> Any:
            return iter([])

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    rpc.add_ProviderServicer_to_server(servicer, server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    with tempfile.TemporaryDirectory() as folder:
        socket = f"{folder}/provider.sock"
        pair = (credentials["key_pem"].encode(), credentials["cert_pem"].encode())
        server.add_secure_port(f"unix://{socket}", grpc.ssl_server_credentials([pair], require_client_auth=False))
        server.start()
        print(f"1|6|unix|{socket}|grpc|{credentials['cert_chain'].rstrip('=')}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
        server.stop(grace=0.2)


def serve_reattachable(servicer: Any) -> None:
    """One long-lived provider for a sequence of Terraform commands (TF_REATTACH_PROVIDERS).

    Terraform starts a provider process several times per command, and each start of this one
    costs about a quarter of a CPU second (mostly importing gRPC), as much as Terraform's own
    work on a plan of this size. A reattached provider is started once; Terraform connects to
    its socket (plaintext, as for any reattached provider) instead of starting one, and never
    stops it: this process ends on SIGTERM. The values it answers are the same code's.
    """
    import grpc  # noqa: PLC0415
    from tf.gen import tfplugin_pb2_grpc as rpc  # noqa: PLC0415

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopped.set())
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    rpc.add_ProviderServicer_to_server(servicer, server)
    with tempfile.TemporaryDirectory() as folder:
        socket = f"{folder}/provider.sock"
        server.add_insecure_port(f"unix://{socket}")
        server.start()
        address = {"Network": "unix", "String": socket}
        reattach = {"Protocol": "grpc", "ProtocolVersion": 6, "Pid": os.getpid(), "Test": True, "Addr": address}
        print(json.dumps({Standin().full_name(): reattach}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
        server.stop(grace=0.2)


def main(credentials_path: str | None = None) -> None:
    """Serve the provider (the mirror's executable runs this with its certificate's path)."""
    if credentials_path is None and "--reattach" in sys.argv:
        serve_reattachable(Servicer(Standin()))
        return
    if credentials_path is None:  # without one, the tf runner (it makes or reuses its own certificate)
        tf_provider.ProviderServicer = Servicer  # the runner builds its servicer by this name
        runner.run_provider(Standin(), sys.argv)
        return
    credentials = json.loads(Path(credentials_path).read_text(encoding="utf-8"))
    serve(Servicer(Standin()), credentials)


if __name__ == "__main__":
    main()
