"""The local stack: emulator + template resources + in-process functions + HTTP API + pumps, as one object."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from infra.local.engine.functions import FunctionRegistry, function_specs, merged_environment
from infra.local.engine.http_api import HttpServer, LocalHttpApi, routes_from_openapi
from infra.local.engine.intrinsics import Pseudo, Resolver, ResourceState, TemplateError, resolve_parameters
from infra.local.engine.jwt_auth import JwksCache, JwtAuthorizer, cognito_jwks_url
from infra.local.engine.pumps import (
    AsyncConfig,
    AsyncInvoker,
    MappingSpec,
    Pump,
    ScheduledTarget,
    SchedulePump,
    SnsPump,
    SqsPump,
    StreamPump,
)
from infra.local.engine.resources import Env, ProvisionedStack, provision
from infra.local.engine.schedules import ScheduleError, parse
from infra.local.engine.template import ROOT, TEMPLATE_PATH, load_template, translate

log = logging.getLogger("local_stack")

REGION = "us-east-1"
DEFAULT_SEED = "infra.local.seed:seed_demo"


# What the local stack sets differently from a deployed city, where the template declares it (a
# VIGIA_PARAMETER_OVERRIDES value still wins): its demo staff sign in without TOTP (docs/local-stack.md).
LOCAL_PARAMETERS = {"StaffMfa": "Off"}


def local_parameters(template: Mapping[str, Any]) -> dict[str, str]:
    declared = template.get("Parameters") or {}
    return {name: value for name, value in LOCAL_PARAMETERS.items() if name in declared}


def parse_overrides(text: str) -> dict[str, str]:
    """`Key=Value Key2=Value2`, as `sam deploy --parameter-overrides` takes them."""
    overrides = {}
    for item in text.split():
        key, sep, value = item.partition("=")
        if not sep:
            raise TemplateError(f"VIGIA_PARAMETER_OVERRIDES: {item!r} is not Key=Value")
        overrides[key] = value
    return overrides


@dataclass
class StackConfig:
    root: Path = ROOT
    template_path: Path = TEMPLATE_PATH
    host: str = "127.0.0.1"
    aws_port: int = 4566
    api_port: int = 3000
    local_dir: Path = ROOT / ".local"
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    stack_name: str | None = None
    retry_delay_s: float = 1.0
    residents: int = 3000
    seed: str = DEFAULT_SEED

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StackConfig:
        env = os.environ if environ is None else environ
        return cls(
            template_path=Path(env.get("VIGIA_TEMPLATE") or TEMPLATE_PATH),
            aws_port=int(env.get("VIGIA_AWS_PORT", "4566")),
            api_port=int(env.get("VIGIA_API_PORT", "3000")),
            local_dir=Path(env.get("VIGIA_LOCAL_DIR") or ROOT / ".local").resolve(),
            parameter_overrides=parse_overrides(env.get("VIGIA_PARAMETER_OVERRIDES", "")),
            stack_name=env.get("VIGIA_STACK_NAME") or None,
            retry_delay_s=float(env.get("VIGIA_LOCAL_RETRY_DELAY_S", "1")),
            residents=int(env.get("VIGIA_DEMO_RESIDENTS", "3000")),
            seed=env.get("VIGIA_SEED") or DEFAULT_SEED,
        )

    @property
    def outputs_path(self) -> Path:
        return self.local_dir / "outputs.json"

    @property
    def outbox_path(self) -> Path:
        return self.local_dir / "outbox.jsonl"


class _Emulator(ThreadedMotoServer):
    """moto's threaded server, but a port that cannot be bound raises instead of hanging start()."""

    error: BaseException | None = None

    def _server_entry(self) -> None:
        try:
            super()._server_entry()
        except BaseException as error:
            self.error = error
            self._server_ready_event.set()

    def start(self) -> None:
        super().start()
        if self.error is not None:
            why = "the port is in use" if isinstance(self.error, SystemExit) else str(self.error)
            raise OSError(f"the AWS emulator cannot listen on {self._ip_address}:{self._port}: {why}")


def emulator_environment(endpoint: str) -> dict[str, str]:
    """What points boto3 (ours and the handlers') at the emulator, with credentials that sign nothing real."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


class Clients:
    """boto3 clients on the emulator, made on the main thread (a boto3 session is not thread-safe)."""

    def __init__(self, endpoint: str) -> None:
        import boto3
        from botocore.config import Config

        self._session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self._endpoint = endpoint
        self._config = Config(retries={"max_attempts": 2, "mode": "standard"}, read_timeout=30)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service,
                    endpoint_url=self._endpoint,
                    config=self._config,  # type: ignore[call-overload]
                )
            return self._clients[service]


class LocalStack:
    def __init__(self, config: StackConfig, started_at: float | None = None) -> None:
        self.config = config
        self.started_at = time.monotonic() if started_at is None else started_at
        self.ready_seconds: float | None = None
        self._stop = threading.Event()
        self._emulator: _Emulator | None = None
        self._http: HttpServer | None = None
        self.pumps: list[Pump] = []
        self.cfn: dict[str, Any] = {}
        self.stack = ProvisionedStack()
        self.functions = FunctionRegistry({})
        self.seeded: dict[str, Any] = {}
        self.seed_error: str | None = None
        self.aws_endpoint = ""
        self.api_url = ""
        self._cad: Any = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Everything but the demo data: emulator, resources, environment, API, pumps."""
        cfg = self.config
        cfg.local_dir.mkdir(parents=True, exist_ok=True)
        cfg.outputs_path.unlink(missing_ok=True)  # whoever waits for it must not read the last run's
        cfg.outbox_path.write_text("")

        self._emulator = _Emulator(cfg.host, cfg.aws_port, verbose=False)
        self._emulator.start()
        _, port = self._emulator.get_host_and_port()
        self.aws_endpoint = f"http://{cfg.host}:{port}"
        os.environ.update(emulator_environment(self.aws_endpoint))
        self.clients = Clients(self.aws_endpoint)
        # Bound now (serving later) so the API's URL is known while the template is resolved.
        self._http_app = LocalHttpApi([], {}, self.functions, api_id="local", account_id="123456789012")
        self._http = HttpServer(self._http_app, cfg.host, cfg.api_port)
        self.api_url = f"http://{cfg.host}:{self._http.port}"

        sam = load_template(cfg.template_path)
        overrides = {**local_parameters(sam), **cfg.parameter_overrides}
        self.cfn = translate(sam, {"AWS::Region": REGION, **overrides})
        self.parameters = resolve_parameters(self.cfn.get("Parameters") or {}, overrides)
        city = self.parameters.get("CityId")
        self.pseudo = Pseudo(stack_name=cfg.stack_name or (f"vigia-{city}" if city else "vigia-local"))
        self.resolver = Resolver(self.cfn, self.parameters, self.pseudo)
        self.env = Env(self.pseudo, self.clients, aws_endpoint=self.aws_endpoint, api_endpoint=self.api_url)
        self.stack = provision(self.cfn, self.resolver, self.env)
        log.info(
            "created %d resources in the emulator (%d named only)",
            sum(s.emulated for s in self.stack.resources.values()),
            sum(not s.emulated for s in self.stack.resources.values()),
        )

        self._load_functions()
        self._start_companions()
        self._configure_api()
        self._http.start()
        self._start_pumps()

    def _load_functions(self) -> None:
        specs = function_specs(self.cfn, self.resolver)
        os.environ.update(merged_environment(specs.values()))
        os.environ.update(self.local_environment())
        functions_dir = str(self.config.root / "functions")
        if functions_dir not in sys.path:
            sys.path.insert(0, functions_dir)
        self.functions = FunctionRegistry(specs)
        self._http_app.functions = self.functions

    def local_environment(self) -> dict[str, str]:
        cfg = self.config
        env = {
            "SCHEMAS_DIR": str(cfg.root / "schemas"),
            "VIGIA_LOCAL_DIR": str(cfg.local_dir),
            "VIGIA_OUTBOX_PATH": str(cfg.outbox_path),
        }
        if "CityId" in self.parameters:
            env["CITY_PACK_DIR"] = str(cfg.root / "infra" / "cities" / str(self.parameters["CityId"]))
        return env

    def _start_companions(self) -> None:
        """Local stand-ins for the systems outside AWS that functions call (each optional)."""
        cad_secret = self.stack.resources.get("CadSecret")
        if cad_secret is not None and importlib.util.find_spec("infra.local.fake_cad") is not None:
            from infra.local import fake_cad

            self._cad = fake_cad.start_for_stack(
                cad_secret.ref, self.clients, record_path=self.config.local_dir / "cad.jsonl"
            )
            # Locally the webhook always goes to the stand-in: there is no network to a real CAD.
            os.environ["PROVINCIAL_CAD_URL"] = self._cad.url

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
        self._http_app.routes = routes
        self._http_app.authorizers = {name: JwtAuthorizer(c, jwks_url, cache) for name, c in configs.items()}
        self._http_app.api_id = self.stack.resources[apis[0]].ref
        log.info("HTTP API %s: %d route(s)", apis[0], len(routes))

    # ---------------------------------------------------------------- pumps
    def send(self, arn: str, body: str) -> None:
        """Sends a record to an SQS queue or SNS topic by ARN (on-failure destinations, DLQs)."""
        if ":sqs:" in arn:
            url = self.clients("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
            self.clients("sqs").send_message(QueueUrl=url, MessageBody=body)
        elif ":sns:" in arn:
            self.clients("sns").publish(TopicArn=arn, Message=body)
        else:
            log.error("cannot deliver to %s locally (only SQS and SNS destinations are emulated)", arn)

    def _start_pumps(self) -> None:
        resources = self.cfn.get("Resources") or {}
        delay = self.config.retry_delay_s
        self.invoker = AsyncInvoker(self._async_configs(), self.send, retry_delay_s=delay, stop=self._stop)
        for lid, resource in resources.items():
            if not self.resolver.included(resource):
                continue
            rtype = resource.get("Type")
            props = resource.get("Properties") or {}
            if rtype == "AWS::Lambda::EventSourceMapping":
                self._mapping_pump(lid, self.resolver.resolve(props), delay)
            elif (
                rtype == "AWS::SNS::Subscription" and self.resolver.resolve(props.get("Protocol")) == "lambda"
            ):
                self._sns_pump(lid, self.resolver.resolve(props))
            elif rtype == "AWS::Scheduler::Schedule":
                self._schedule_pump(lid, self.resolver.resolve(props))
        for pump in self.pumps:
            pump.start()
        log.info("%d pump(s) running", len(self.pumps))

    def _async_configs(self) -> dict[str, AsyncConfig]:
        """Each function's asynchronous-invocation settings: its EventInvokeConfig and DeadLetterConfig."""
        configs = {f.logical_id: AsyncConfig(dead_letter=f.spec.dead_letter_arn) for f in self.functions}
        for lid, resource in (self.cfn.get("Resources") or {}).items():
            wanted = resource.get("Type") == "AWS::Lambda::EventInvokeConfig"
            if not wanted or not self.resolver.included(resource):
                continue
            props = self.resolver.resolve(resource.get("Properties") or {})
            function = self._function(lid, props.get("FunctionName"))
            if function is None:
                continue
            destinations = props.get("DestinationConfig") or {}
            configs[function.logical_id] = AsyncConfig(
                maximum_retry_attempts=int(props.get("MaximumRetryAttempts", 2)),
                on_failure=(destinations.get("OnFailure") or {}).get("Destination"),
                on_success=(destinations.get("OnSuccess") or {}).get("Destination"),
                dead_letter=function.spec.dead_letter_arn,
            )
        return configs

    def _function(self, owner: str, arn_or_name: Any) -> Any:
        function = self.functions.find(str(arn_or_name))
        if function is None:
            log.warning("%s: target %s is not a function of this template; not pumped", owner, arn_or_name)
        return function

    def _mapping_pump(self, lid: str, props: dict[str, Any], delay: float) -> None:
        function = self._function(lid, props.get("FunctionName"))
        if function is None:
            return
        spec = MappingSpec.from_properties(lid, function.logical_id, props)
        if not spec.enabled:
            log.info("%s is disabled; not pumped", lid)
        elif ":sqs:" in spec.source_arn:
            url = self.clients("sqs").get_queue_url(QueueName=spec.source_arn.rsplit(":", 1)[1])["QueueUrl"]
            self.pumps.append(
                SqsPump(
                    spec,
                    function,
                    self.clients("sqs"),
                    url,
                    region=REGION,
                    retry_delay_s=delay,
                    stop=self._stop,
                )
            )
        elif ":dynamodb:" in spec.source_arn and "/stream/" in spec.source_arn:
            pump = StreamPump(
                spec,
                function,
                self.clients("dynamodbstreams"),
                region=REGION,
                retry_delay_s=delay,
                send_on_failure=self.send,
                stop=self._stop,
                forget_iterator=_forget_stream_iterator,
            )
            pump.open()
            self.pumps.append(pump)
        else:
            log.warning("%s: event source %s is not emulated locally", lid, spec.source_arn)

    def _sns_pump(self, lid: str, props: dict[str, Any]) -> None:
        function = self._function(lid, props.get("Endpoint"))
        if function is None:
            return
        sqs = self.clients("sqs")
        name = self.env.name(f"{lid}Local", max_len=80)
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = self.env.arn("sqs", name)
        attributes = {
            k: str(props[k]) if not isinstance(props[k], dict) else json.dumps(props[k])
            for k in ("FilterPolicy", "FilterPolicyScope")
            if k in props
        }
        subscription = self.clients("sns").subscribe(
            TopicArn=props["TopicArn"],
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        self.pumps.append(
            SnsPump(lid, function, sqs, url, subscription, invoker=self.invoker, stop=self._stop)
        )

    def _schedule_pump(self, lid: str, props: dict[str, Any]) -> None:
        if str(props.get("State", "ENABLED")).upper() == "DISABLED":
            return
        target = props.get("Target") or {}
        function = self._function(lid, target.get("Arn"))
        if function is None:
            return
        try:
            schedule = parse(str(props["ScheduleExpression"]), props.get("ScheduleExpressionTimezone"))
        except (ScheduleError, KeyError) as error:
            log.warning("%s: %s; not scheduled locally", lid, error)
            return
        payload = _input(target.get("Input"))
        self.pumps.append(
            SchedulePump(
                ScheduledTarget(
                    lid,
                    schedule,
                    function.logical_id,
                    lambda _fired: payload,
                    _datetime(props.get("StartDate")),
                    _datetime(props.get("EndDate")),
                ),
                function,
                invoker=self.invoker,
                stop=self._stop,
            )
        )

    # ---------------------------------------------------------------- seeding and outputs
    def seed(self) -> dict[str, Any]:
        """Runs the demo seed (infra/local/seed.py by default) with the stack's environment in place."""
        module_name, _, attribute = self.config.seed.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name or self.config.seed != DEFAULT_SEED:
                raise
            self.seed_error = (
                f"{module_name.replace('.', '/')}.py does not exist yet (the lead writes it): the stack runs "
                "without the demo city, residents or demo users"
            )
            log.error("%s", self.seed_error)
            self.seeded = {"City": None, "DemoUsers": {}}
            return self.seeded
        seed_demo: Callable[..., Any] = getattr(module, attribute or "seed_demo")
        kwargs: dict[str, Any] = {"residents": self.config.residents}
        if "scale" in inspect.signature(seed_demo).parameters:
            kwargs["scale"] = os.environ.get("VIGIA_DEMO_SCALE")
        self.seeded = dict(seed_demo(**kwargs) or {})
        return self.seeded

    def _first(self, rtype: str) -> str | None:
        for state in self.stack.resources.values():
            if state.type == rtype:
                return state.ref
        return None

    def outputs(self) -> dict[str, Any]:
        template_outputs: dict[str, Any] = {}
        for name, output in (self.cfn.get("Outputs") or {}).items():
            if self.resolver.included(output):
                template_outputs[name] = self.resolver.resolve(output.get("Value"))
        result: dict[str, Any] = dict(template_outputs)
        result.update(
            {
                "ApiUrl": self.api_url,
                "AwsEndpointUrl": self.aws_endpoint,
                "Region": REGION,
                "UserPoolId": template_outputs.get("UserPoolId") or self._first("AWS::Cognito::UserPool"),
                "UserPoolClientId": template_outputs.get("UserPoolClientId")
                or self._first("AWS::Cognito::UserPoolClient"),
                "City": self.seeded.get("City"),
                "DemoUsers": self.seeded.get("DemoUsers") or {},
                "StackName": self.pseudo.stack_name,
                "Parameters": self.parameters,
                "Template": str(self.config.template_path),
                "OutboxPath": str(self.config.outbox_path),
                "StartSeconds": round(self.ready_seconds or 0.0, 2),
                "Resources": self.stack.physical_ids(),
                "ResourceAttributes": {
                    lid: {"Type": s.type, "Ref": s.ref, "Attributes": s.attrs, "Emulated": s.emulated}
                    for lid, s in self.stack.resources.items()
                },
            }
        )
        for key, value in self.seeded.items():  # whatever else the seed reports (DemoResidents …)
            result.setdefault(key, value)
        if self._cad is not None:
            result["FakeCadUrl"] = self._cad.url
        if self.seed_error:
            result["SeedError"] = self.seed_error
        return result

    def write_outputs(self) -> dict[str, Any]:
        self.ready_seconds = time.monotonic() - self.started_at
        outputs = self.outputs()
        temporary = self.config.outputs_path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(outputs, indent=2, default=str) + "\n")
        temporary.replace(self.config.outputs_path)  # atomic: a reader never sees half a file
        return outputs

    # ---------------------------------------------------------------- use and stop
    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.functions[logical_id].invoke(event)

    def stop(self) -> None:
        self._stop.set()
        for pump in self.pumps:
            pump.join(timeout=5)
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._cad is not None:
            self._cad.stop()
            self._cad = None
        if self._emulator is not None and self._emulator.error is None:
            self._emulator.stop()
        self._emulator = None


def _forget_stream_iterator(iterator: str) -> None:
    """moto keeps every shard iterator it hands out (one per GetRecords, several a second per stream);
    the pump never reuses one, so it is dropped from the in-process emulator to keep memory flat."""
    try:
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        dynamodbstreams_backends["123456789012"][REGION].shard_iterators.pop(iterator, None)
    except Exception:  # another moto version: only memory is at stake
        log.debug("could not drop a used shard iterator", exc_info=True)


def _input(raw: Any) -> Any:
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _datetime(raw: Any) -> datetime | None:
    if not raw:
        return None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


# ==================================================================== attaching to a running stack
class AttachedStack:
    """The functions of a stack that runs in another process (`make run`), to invoke one from a tool or a
    test: same template, same physical names (read from outputs.json), same environment."""

    def __init__(self, local_dir: Path) -> None:
        path = local_dir / "outputs.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: is the local stack (`make run`) running?")
        outputs = json.loads(path.read_text())
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
        os.environ.update(
            {
                "SCHEMAS_DIR": str(ROOT / "schemas"),
                "VIGIA_LOCAL_DIR": str(local_dir),
                "VIGIA_OUTBOX_PATH": outputs.get("OutboxPath") or str(local_dir / "outbox.jsonl"),
            }
        )
        if "CityId" in outputs["Parameters"]:
            os.environ["CITY_PACK_DIR"] = str(ROOT / "infra" / "cities" / outputs["Parameters"]["CityId"])
        functions_dir = str(ROOT / "functions")
        if functions_dir not in sys.path:
            sys.path.insert(0, functions_dir)
        self.outputs = outputs
        self.functions = FunctionRegistry(specs)

    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.functions[logical_id].invoke(event)
