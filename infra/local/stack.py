"""Vigía's local stack: the engine running template.yaml, plus what only Vigía needs — its settings from
VIGIA_* variables, the demo city, the fake provincial CAD, outputs.json and the outbox."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.engine.functions import FunctionRegistry
from infra.local.engine.http_api import WsgiApp
from infra.local.engine.intrinsics import TemplateError
from infra.local.engine.stack import EngineConfig, TemplateStack, attached_functions
from infra.local.engine.template import ROOT, TEMPLATE_PATH

log = logging.getLogger("local_stack")

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


def city_overrides(overrides: dict[str, str], city: str | None) -> dict[str, str]:
    """VIGIA_CITY (`make run CITY=…`) as the CityId override; VIGIA_PARAMETER_OVERRIDES may say the same."""
    if not city:
        return overrides
    named = overrides.get("CityId")
    if named and named != city:
        raise TemplateError(f"VIGIA_CITY={city} but VIGIA_PARAMETER_OVERRIDES says CityId={named}: say one")
    return {**overrides, "CityId": city}


def city_parameters(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    """CityTimeZone from the pack of the overrides' CityId, when the template declares it (its default is
    Godoy Cruz's): another city's schedules must not run on Mendoza's clock. A contradicting one is refused.
    SmsChannel from the pack of the city (the template's default city without a CityId), unless given.
    """
    from infra.tools.city_parameters import CityParameterError, pack_sms_channel, with_city_time_zone

    declared = template.get("Parameters") or {}
    found: dict[str, str] = {}
    try:
        if "CityId" in overrides and "CityTimeZone" in declared:
            found["CityTimeZone"] = with_city_time_zone(overrides)["CityTimeZone"]
        # The pack's SMS channel, rehearsed locally as it deploys (the stand-in answers End User Messaging)
        city = overrides.get("CityId") or (declared.get("CityId") or {}).get("Default")
        if city and "SmsChannel" in declared and "SmsChannel" not in overrides:
            channel = pack_sms_channel(str(city))
            if channel is not None:
                found["SmsChannel"] = channel
    except CityParameterError as error:
        raise TemplateError(str(error)) from None
    return found


@dataclass
class StackConfig:
    root: Path = ROOT
    template_path: Path = TEMPLATE_PATH
    host: str = "127.0.0.1"
    aws_port: int = 4566
    api_port: int = 3000
    socket_port: int = 3001  # the console's WebSocket (live events)
    local_dir: Path = ROOT / ".local"
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    stack_name: str | None = None
    retry_delay_s: float = 1.0
    residents: int = 3000
    seed: str = DEFAULT_SEED
    history_days: int = 90  # the demo's past (infra/local/demo_history.py); 0: none
    # the local pair's agreement (`make run-pair`, infra/local/pair.py): written once both stacks are up
    federation_agreement: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StackConfig:
        env = os.environ if environ is None else environ
        return cls(
            template_path=Path(env.get("VIGIA_TEMPLATE") or TEMPLATE_PATH),
            aws_port=int(env.get("VIGIA_AWS_PORT", "4566")),
            api_port=int(env.get("VIGIA_API_PORT", "3000")),
            # a second stack (another API port) takes any free port for its WebSocket unless told:
            # outputs.json says which, and two stacks never both reach for 3001
            socket_port=int(
                env.get("VIGIA_WS_PORT") or ("3001" if env.get("VIGIA_API_PORT", "3000") == "3000" else "0")
            ),
            local_dir=Path(env.get("VIGIA_LOCAL_DIR") or ROOT / ".local").resolve(),
            parameter_overrides=city_overrides(
                parse_overrides(env.get("VIGIA_PARAMETER_OVERRIDES", "")), env.get("VIGIA_CITY") or None
            ),
            stack_name=env.get("VIGIA_STACK_NAME") or None,
            retry_delay_s=float(env.get("VIGIA_LOCAL_RETRY_DELAY_S", "1")),
            residents=int(env.get("VIGIA_DEMO_RESIDENTS", "3000")),
            seed=env.get("VIGIA_SEED") or DEFAULT_SEED,
            history_days=int(env.get("VIGIA_DEMO_HISTORY_DAYS", "90")),
            federation_agreement=Path(env["VIGIA_FEDERATION_AGREEMENT"]).resolve()
            if env.get("VIGIA_FEDERATION_AGREEMENT")
            else None,
        )

    @property
    def outputs_path(self) -> Path:
        return self.local_dir / "outputs.json"

    @property
    def outbox_path(self) -> Path:
        return self.local_dir / "outbox.jsonl"

    def engine(self) -> EngineConfig:
        return EngineConfig(
            template_path=self.template_path,
            code_dirs=(self.root / "functions",),
            host=self.host,
            aws_port=self.aws_port,
            api_port=self.api_port,
            socket_port=self.socket_port,
            parameter_overrides=dict(self.parameter_overrides),
            overrides_from="VIGIA_PARAMETER_OVERRIDES",
            stack_name=self.stack_name,
            retry_delay_s=self.retry_delay_s,
        )


def vigia_environment(
    root: Path,
    local_dir: Path,
    outbox: Path,
    parameters: Mapping[str, Any],
    federation_agreement: Path | str | None = None,
) -> dict[str, str]:
    """What Vigía's functions read locally on top of the template's environment: paths on this machine.

    With the local pair's agreement (`make run-pair`), the functions read it instead of the pack's and keep
    its partners on 127.0.0.1 (FEDERATION_LOCAL_PAIR): set here, after the template's variables, so it wins.
    """
    env = {
        "SCHEMAS_DIR": str(root / "schemas"),
        "VIGIA_LOCAL_DIR": str(local_dir),
        "VIGIA_OUTBOX_PATH": str(outbox),
    }
    if federation_agreement:
        env["FEDERATION_AGREEMENT_PATH"] = str(federation_agreement)
        env["FEDERATION_LOCAL_PAIR"] = "1"
    if "CityId" in parameters:
        env["CITY_PACK_DIR"] = str(root / "infra" / "cities" / str(parameters["CityId"]))
    return env


class LocalStack(TemplateStack):
    def __init__(self, config: StackConfig, started_at: float | None = None) -> None:
        super().__init__(config.engine(), started_at)
        self.config = config
        self.seeded: dict[str, Any] = {}
        self.history: dict[str, Any] = {}
        self.seed_error: str | None = None
        self._cad: Any = None
        self._sms_voice: Any = None

    # ---------------------------------------------------------------- the engine's hooks
    def parameter_defaults(self, template: Mapping[str, Any]) -> dict[str, str]:
        return {**local_parameters(template), **city_parameters(template, self.config.parameter_overrides)}

    def default_stack_name(self, parameters: Mapping[str, Any]) -> str:
        city = parameters.get("CityId")
        return f"vigia-{city}" if city else "vigia-local"

    def function_environment(self) -> dict[str, str]:
        environment = self.local_environment()
        if os.environ.get("VIGIA_FAULTS"):  # a chaos run (docs/reliability.md): where each fault is written
            environment["VIGIA_FAULTS_LOG"] = str(self.config.local_dir / "faults.jsonl")
        return environment

    def invocation_scope(self, logical_id: str) -> Any:
        """Names the running function to the fault injector (which hop a call is depends on who makes it)."""
        from vigia.adapters import faults

        return faults.running(logical_id)

    def delivery_fault(self, function: str) -> str | None:
        from vigia.adapters import faults

        return faults.at("sqs_receive", function=function)

    def local_environment(self) -> dict[str, str]:
        cfg = self.config
        return vigia_environment(
            cfg.root, cfg.local_dir, cfg.outbox_path, self.parameters, cfg.federation_agreement
        )

    def start_companions(self) -> None:
        """Local stand-ins for the systems outside AWS that functions call (each optional)."""
        cad_secret = self.stack.resources.get("CadSecret")
        if cad_secret is not None and importlib.util.find_spec("infra.local.fake_cad") is not None:
            from infra.local import fake_cad

            self._cad = fake_cad.start_for_stack(
                cad_secret.ref, self.clients, record_path=self.config.local_dir / "cad.jsonl"
            )
            # Locally the webhook always goes to the stand-in: there is no network to a real CAD.
            os.environ["PROVINCIAL_CAD_URL"] = self._cad.url
        if self.parameters.get("SmsChannel") == "end_user_messaging":
            from infra.local.fake_sms_voice import FakeSmsVoice

            # moto has no End User Messaging SMS: its stand-in answers SendTextMessage (docs/dispatch.md)
            self._sms_voice = FakeSmsVoice(record_path=self.config.local_dir / "sms-voice.jsonl").start()
            os.environ["SMS_VOICE_ENDPOINT_URL"] = self._sms_voice.url

    def stop_companions(self) -> None:
        if self._cad is not None:
            self._cad.stop()
            self._cad = None
        if self._sms_voice is not None:
            self._sms_voice.stop()
            self._sms_voice = None
            os.environ.pop("SMS_VOICE_ENDPOINT_URL", None)

    def mounts(self) -> dict[str, WsgiApp]:
        """The console at /console/ beside the API (docs/console.md): console/ and the config.json and
        city.geojson of this stack, built on the first request, once the outputs are complete."""
        from infra.tools.app_site import AppMount
        from infra.tools.console_site import ConsoleMount

        # the residents' app (docs/app.md) beside it: one origin, so it imports the console's modules
        return {"/console": ConsoleMount(self.outputs), "/app": AppMount(self.outputs)}

    def preload(self) -> None:
        """The demo city's past (infra/local/demo_history.py), before any pump runs: none of it is dispatched
        or relayed again. Only with the demo seed (another seed's template may lack its tables)."""
        if self.config.history_days <= 0 or self.config.seed != DEFAULT_SEED:
            return
        from infra.local.demo_history import load_history

        self.history = load_history(
            self.config.history_days, residents=self.config.residents, invoke=self.invoke
        )

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Everything but the demo data: emulator, resources, environment, API, pumps."""
        cfg = self.config
        cfg.local_dir.mkdir(parents=True, exist_ok=True)
        cfg.outputs_path.unlink(missing_ok=True)  # whoever waits for it must not read the last run's
        cfg.outbox_path.write_text("")
        super().start()

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

    def await_agreement(self) -> None:
        """A stack of the local pair is ready only with its agreement in place: the launcher writes it once
        both stacks publish their keys (infra/local/pair.py), so nothing federates with a missing file."""
        path = self.config.federation_agreement
        if path is None or path.exists():
            return
        log.info("waiting for the pair's agreement %s (make run-pair writes it)", path)
        while not path.exists():
            time.sleep(0.1)

    def outputs(self) -> dict[str, Any]:
        result = super().outputs()
        result.update(
            {
                "UserPoolId": result.get("UserPoolId") or self.first_of_type("AWS::Cognito::UserPool"),
                "UserPoolClientId": result.get("UserPoolClientId")
                or self.first_of_type("AWS::Cognito::UserPoolClient"),
                "City": self.seeded.get("City"),
                "DemoUsers": self.seeded.get("DemoUsers") or {},
                "OutboxPath": str(self.config.outbox_path),
                # the console is served by the local API, not by the (named-only) CloudFront distribution
                "ConsoleUrl": f"{self.api_url}/console/",
            }
        )
        for key, value in self.seeded.items():  # whatever else the seed reports (DemoResidents …)
            result.setdefault(key, value)
        if self.history:
            result["DemoHistory"] = {**self.history, "Seconds": round(self.preload_seconds, 1)}
        if self._cad is not None:
            result["FakeCadUrl"] = self._cad.url
        if self.config.federation_agreement is not None:
            result["FederationAgreementPath"] = str(self.config.federation_agreement)
        if self._sms_voice is not None:
            result["FakeSmsVoiceUrl"] = self._sms_voice.url
        if self.seed_error:
            result["SeedError"] = self.seed_error
        return result

    def write_outputs(self) -> dict[str, Any]:
        self.await_agreement()
        self.ready_seconds = time.monotonic() - self.started_at
        outputs = self.outputs()
        self.save_outputs(self.config.outputs_path, outputs)
        return outputs


# ==================================================================== attaching to a running stack
class AttachedStack:
    """The functions of a stack that runs in another process (`make run`), to invoke one from a tool or a
    test: same template, same physical names (read from outputs.json), same environment."""

    def __init__(self, local_dir: Path) -> None:
        path = local_dir / "outputs.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: is the local stack (`make run`) running?")
        outputs = json.loads(path.read_text())
        self.functions: FunctionRegistry = attached_functions(outputs, (ROOT / "functions",))
        outbox = Path(outputs.get("OutboxPath") or local_dir / "outbox.jsonl")
        os.environ.update(
            vigia_environment(
                ROOT, local_dir, outbox, outputs["Parameters"], outputs.get("FederationAgreementPath")
            )
        )
        if outputs.get("FakeSmsVoiceUrl"):  # SmsChannel=end_user_messaging: the running stack's stand-in
            os.environ["SMS_VOICE_ENDPOINT_URL"] = outputs["FakeSmsVoiceUrl"]
        self.outputs = outputs

    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.functions[logical_id].invoke(event)
