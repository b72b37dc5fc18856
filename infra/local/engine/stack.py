"""A SAM template running on one machine: the AWS emulator, the template's resources, its functions in this
process, its HTTP API and its pumps, as one object. It knows nothing of the application it runs; what an
application adds (environment, stand-ins for outside systems, a default stack name) it gives through the
hooks a subclass overrides."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.engine.emulator import (
    ACCOUNT_ID,
    REGION,
    Clients,
    Emulator,
    emulator_environment,
    forget_stream_iterator,
)
from infra.local.engine.functions import FunctionRegistry, function_specs, merged_environment
from infra.local.engine.http_api import HttpServer, LocalHttpApi, Mounts, WsgiApp, routes_from_openapi
from infra.local.engine.intrinsics import Pseudo, Resolver, ResourceState, resolve_parameters
from infra.local.engine.jwt_auth import JwksCache, JwtAuthorizer, cognito_jwks_url
from infra.local.engine.pumps import Pump, StreamPump, Wiring, wire_pumps
from infra.local.engine.resources import Env, ProvisionedStack, provision
from infra.local.engine.template import TEMPLATE_PATH, load_template, translate
from infra.local.engine.websocket_api import LocalWebSocketApi, socket_apis

log = logging.getLogger("local_stack")


@dataclass
class EngineConfig:
    """Where the template is, where its code is, where to listen, and what to pass the template."""

    template_path: Path = TEMPLATE_PATH
    code_dirs: tuple[Path, ...] = ()  # put on sys.path, so the functions' handlers import
    host: str = "127.0.0.1"
    aws_port: int = 4566
    api_port: int = 3000
    socket_port: int = 3001  # the WebSocket APIs (websocket_api), when the template has one
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    overrides_from: str = "the parameter overrides"  # where a user sets them (named in errors)
    stack_name: str | None = None
    retry_delay_s: float = 1.0


def settle_heap() -> None:
    """Collects once, then freezes what the process holds now (the emulator's resources and data): later
    full collections skip it, so a stack holding thousands of items does not stall ~0.4 s each time."""
    gc.collect()
    gc.freeze()


class TemplateStack:
    """Everything the template declares, started by `start()` and stopped by `stop()`."""

    def __init__(self, engine: EngineConfig, started_at: float | None = None) -> None:
        self.engine = engine
        self.started_at = time.monotonic() if started_at is None else started_at
        self.ready_seconds: float | None = None
        self._stop = threading.Event()
        self._emulator: Emulator | None = None
        self._http: HttpServer | None = None
        self._sockets_http: HttpServer | None = None
        self.socket_api: LocalWebSocketApi | None = None
        self.socket_url = ""
        self.wiring: Wiring | None = None
        self.cfn: dict[str, Any] = {}
        self.parameters: dict[str, Any] = {}
        self.stack = ProvisionedStack()
        self.functions = FunctionRegistry({})
        self.aws_endpoint = ""
        self.api_url = ""
        self.preload_seconds = 0.0

    # ---------------------------------------------------------------- what an application adds
    def parameter_defaults(self, template: Mapping[str, Any]) -> dict[str, str]:
        """Parameter values the application sets locally (the configured overrides still win)."""
        return {}

    def default_stack_name(self, parameters: Mapping[str, Any]) -> str:
        return "local"

    def function_environment(self) -> dict[str, str]:
        """Variables set for every function on top of the template's (paths on this machine, say)."""
        return {}

    def start_companions(self) -> None:
        """Starts local stand-ins for systems outside AWS, once the resources and functions exist."""

    def stop_companions(self) -> None:
        """Stops what start_companions started."""

    def invocation_scope(self, logical_id: str) -> AbstractContextManager[None]:
        """Wraps every invocation of function `logical_id` (the application may name it to its own tools)."""
        return contextlib.nullcontext()

    def delivery_fault(self, function: str) -> str | None:
        """Before an SQS poller hands a batch to `function`: None, or a fault of the event source to act out
        ("error": the receive fails; "duplicate": the batch is delivered twice; "visibility": a handled
        message is not deleted and comes back after the retry delay). Only a chaos run says anything."""
        return None

    def mounts(self) -> dict[str, WsgiApp]:
        """WSGI apps served beside the HTTP API on its port, by path prefix (see http_api.Mounts)."""
        return {}

    def preload(self) -> None:
        """Loads data before any pump runs (functions may be invoked directly). What it writes arrives as
        a table imported from S3 would: stream pumps start past it, so no function sees it as new."""

    # ---------------------------------------------------------------- lifecycle
    @property
    def pumps(self) -> list[Pump]:
        return self.wiring.pumps if self.wiring is not None else []

    def start(self) -> None:
        """Emulator, resources, functions' environment, companions, HTTP API, pumps."""
        cfg = self.engine
        self._emulator = Emulator(cfg.host, cfg.aws_port, verbose=False)
        self._emulator.start()
        _, port = self._emulator.get_host_and_port()
        self.aws_endpoint = f"http://{cfg.host}:{port}"
        os.environ.update(emulator_environment(self.aws_endpoint))
        self.clients = Clients(self.aws_endpoint)
        # Bound now (serving later) so the API's URL is known while the template is resolved.
        self.http_api = LocalHttpApi([], {}, self.functions, api_id="local", account_id=ACCOUNT_ID)
        self.http_mounts = Mounts(self.http_api)
        self._http = HttpServer(self.http_mounts, cfg.host, cfg.api_port)
        self.api_url = f"http://{cfg.host}:{self._http.port}"

        sam = load_template(cfg.template_path)
        self.socket_api = LocalWebSocketApi([], self.functions, account_id=ACCOUNT_ID)
        if _has_socket_api(sam):  # bound now too: Fn::GetAtt ApiEndpoint is its URL
            self._sockets_http = HttpServer(self.socket_api, cfg.host, cfg.socket_port, log_queries=False)
            self.socket_url = f"ws://{cfg.host}:{self._sockets_http.port}"
        overrides = {**self.parameter_defaults(sam), **cfg.parameter_overrides}
        self.cfn = translate(sam, {"AWS::Region": REGION, **overrides})
        self.parameters = resolve_parameters(
            self.cfn.get("Parameters") or {}, overrides, overrides_from=cfg.overrides_from
        )
        self.pseudo = Pseudo(stack_name=cfg.stack_name or self.default_stack_name(self.parameters))
        self.resolver = Resolver(self.cfn, self.parameters, self.pseudo)
        self.env = Env(
            self.pseudo,
            self.clients,
            aws_endpoint=self.aws_endpoint,
            api_endpoint=self.api_url,
            socket_endpoint=self.socket_url or "ws://127.0.0.1:0",
        )
        self.stack = provision(self.cfn, self.resolver, self.env)
        log.info(
            "created %d resources in the emulator (%d named only)",
            sum(s.emulated for s in self.stack.resources.values()),
            sum(not s.emulated for s in self.stack.resources.values()),
        )

        self._load_functions()
        self.start_companions()
        self._configure_api()
        for prefix, app in self.mounts().items():
            self.http_mounts.mount(prefix, app)
        self._http.start()
        self._configure_sockets()
        self.wiring = wire_pumps(
            self.cfn,
            self.resolver,
            self.functions,
            self.env,
            retry_delay_s=cfg.retry_delay_s,
            stop=self._stop,
            forget_stream_iterator=forget_stream_iterator,
            delivery_fault=self.delivery_fault,
        )
        started = time.monotonic()
        gc.disable()  # a bulk load makes few cycles; a full collection over the emulator's heap cost ~0.4 s
        try:
            self.preload()
        finally:
            gc.enable()
        settle_heap()
        self.preload_seconds = time.monotonic() - started
        for pump in self.wiring.pumps:
            if isinstance(pump, StreamPump):
                pump.skip_existing()
        log.info("preloaded in %.1f s; stream pumps start after it", self.preload_seconds)
        self.wiring.start()
        log.info("%d pump(s) running", len(self.wiring.pumps))

    def _load_functions(self) -> None:
        specs = function_specs(self.cfn, self.resolver)
        os.environ.update(merged_environment(specs.values()))
        os.environ.update(self.function_environment())
        _on_path(self.engine.code_dirs)
        self.functions = FunctionRegistry(specs, self.invocation_scope)
        self.http_api.functions = self.functions

    def _configure_api(self) -> None:
        apis = [
            lid
            for lid, r in (self.cfn.get("Resources") or {}).items()
            if r.get("Type") == "AWS::ApiGatewayV2::Api"
            and lid in self.stack.resources
            and (r.get("Properties") or {}).get("Body")
        ]
        if not apis:
            log.warning("the template has no HTTP API: every request will be 404")
            return
        if len(apis) > 1:
            log.warning("only %s is served locally; %s are not", apis[0], ", ".join(apis[1:]))
        body = self.resolver.resolve(self.cfn["Resources"][apis[0]]["Properties"]["Body"])

        def function_for_arn(arn: str) -> str | None:
            found = self.functions.find(arn)
            return found.logical_id if found else None

        routes, configs = routes_from_openapi(body, function_for_arn)
        cache = JwksCache()
        jwks_url = cognito_jwks_url(self.aws_endpoint)
        self.http_api.routes = routes
        self.http_api.authorizers = {name: JwtAuthorizer(c, jwks_url, cache) for name, c in configs.items()}
        self.http_api.api_id = self.stack.resources[apis[0]].ref
        log.info("HTTP API %s: %d route(s)", apis[0], len(routes))

    def _configure_sockets(self) -> None:
        if self._sockets_http is None or self.socket_api is None:
            return

        def function_for_arn(arn: str) -> str | None:
            found = self.functions.find(arn)
            return found.logical_id if found else None

        def ref(lid: str) -> str:
            return self.stack.resources[lid].ref

        apis = socket_apis(self.cfn, self.resolver.resolve, ref, function_for_arn)
        self.socket_api.functions = self.functions
        self.socket_api.apis = {api.stage: api for api in apis}
        self._sockets_http.start()
        for api in apis:
            routes = ", ".join(api.routes)
            log.info("WebSocket API %s: %s/%s (%s)", api.logical_id, self.socket_url, api.stage, routes)

    # ---------------------------------------------------------------- outputs
    def first_of_type(self, rtype: str) -> str | None:
        for state in self.stack.resources.values():
            if state.type == rtype:
                return state.ref
        return None

    def outputs(self) -> dict[str, Any]:
        """The template's Outputs, resolved, and where everything runs (what `attached_functions` reads)."""
        result: dict[str, Any] = {}
        for name, output in (self.cfn.get("Outputs") or {}).items():
            if self.resolver.included(output):
                result[name] = self.resolver.resolve(output.get("Value"))
        result.update(
            {
                "ApiUrl": self.api_url,
                **({"SocketEndpoint": self.socket_url} if self.socket_url else {}),
                "AwsEndpointUrl": self.aws_endpoint,
                "Region": REGION,
                "StackName": self.pseudo.stack_name,
                "Parameters": self.parameters,
                "Template": str(self.engine.template_path),
                "StartSeconds": round(self.ready_seconds or 0.0, 2),
                "Resources": self.stack.physical_ids(),
                "ResourceAttributes": {
                    lid: {"Type": s.type, "Ref": s.ref, "Attributes": s.attrs, "Emulated": s.emulated}
                    for lid, s in self.stack.resources.items()
                },
            }
        )
        return result

    def save_outputs(self, path: Path, outputs: Mapping[str, Any]) -> None:
        """Writes outputs.json atomically: a reader never sees half a file."""
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(outputs, indent=2, default=str) + "\n")
        temporary.replace(path)

    # ---------------------------------------------------------------- use and stop
    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.functions[logical_id].invoke(event)

    def close_api(self) -> None:
        """Closes the HTTP API's port, everything else running: a caller is refused as by a stack that is
        down (a city of the local pair, for its partner). `reopen_api` listens on the same port again."""
        if self._http is not None:
            port = self._http.port
            self._http.stop()
            self._http = None
            log.warning("the HTTP API's port %d is closed (its callers are refused)", port)

    def reopen_api(self) -> None:
        if self._http is None and self.api_url:
            port = int(self.api_url.rsplit(":", 1)[1])
            self._http = HttpServer(self.http_mounts, self.engine.host, port)
            self._http.start()
            log.warning("the HTTP API's port %d is open again", port)

    def stop(self) -> None:
        self._stop.set()
        if self.wiring is not None:
            self.wiring.join(timeout=5)
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._sockets_http is not None:
            if self.socket_api is not None:
                self.socket_api.close_all()
            self._sockets_http.stop()
            self._sockets_http = None
        self.stop_companions()
        if self._emulator is not None and self._emulator.error is None:
            self._emulator.stop()
        self._emulator = None


def attached_functions(outputs: Mapping[str, Any], code_dirs: tuple[Path, ...] = ()) -> FunctionRegistry:
    """The functions of a stack that runs in another process, from its outputs: same template, same
    physical names, same environment, so a tool or a test can invoke one here."""
    os.environ.update(emulator_environment(outputs["AwsEndpointUrl"]))
    cfn = translate(
        load_template(Path(outputs["Template"])), {"AWS::Region": REGION, **outputs["Parameters"]}
    )
    known = {
        lid: ResourceState(d["Type"], d["Ref"], d["Attributes"], d.get("Emulated", True))
        for lid, d in outputs["ResourceAttributes"].items()
    }
    resolver = Resolver(cfn, outputs["Parameters"], Pseudo(stack_name=outputs["StackName"]), known)
    specs = function_specs(cfn, resolver)
    os.environ.update(merged_environment(specs.values()))
    _on_path(code_dirs)
    return FunctionRegistry(specs)


def _on_path(code_dirs: tuple[Path, ...]) -> None:
    for directory in code_dirs:
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))


def _has_socket_api(template: Mapping[str, Any]) -> bool:
    return any(
        r.get("Type") == "AWS::ApiGatewayV2::Api"
        and (r.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
        for r in (template.get("Resources") or {}).values()
    )
