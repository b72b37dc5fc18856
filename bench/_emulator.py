"""What the in-process benches share: moto with the template's resources, a botocore call counter, and
an ApiFunction caller that builds HTTP API events. (A leading underscore: `make bench` does not run it.)"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ApiCall = Callable[[str, str, Any, dict[str, str] | None, dict[str, str]], dict[str, Any]]


def use_emulator_credentials() -> None:
    """In-process moto: dummy credentials, one region, no endpoint (moto intercepts botocore itself)."""
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "Vigia",
    })  # fmt: skip
    os.environ.pop("AWS_ENDPOINT_URL", None)


class CallCounter:
    """Counts every AWS API call any botocore client makes (boto3's and pynamodb's) via 'before-call'."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def hook(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def install(self) -> None:
        import botocore.session

        original = botocore.session.Session.create_client
        counter = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-call", counter.hook)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]

    def total(self) -> int:
        return sum(self.calls.values())

    def detail(self) -> str:
        return ", ".join(f"{k}×{v}" for k, v in sorted(self.calls.items()))


def provision() -> tuple[dict[str, str], dict[str, Any]]:
    """Creates the template's resources inside an active mock_aws and points settings and models at them.

    Returns the physical ids by logical id and the functions' specs by logical id."""
    import boto3

    from infra.local.engine.functions import function_specs, merged_environment
    from infra.local.engine.intrinsics import Pseudo, Resolver, resolve_parameters
    from infra.local.engine.resources import Env
    from infra.local.engine.resources import provision as create_resources
    from infra.local.engine.template import translate

    cfn = translate()
    pseudo = Pseudo(stack_name="vigia-bench")
    resolver = Resolver(cfn, resolve_parameters(cfn.get("Parameters") or {}), pseudo)
    provisioned = create_resources(cfn, resolver, Env(pseudo=pseudo, client=lambda s: boto3.client(s)))
    specs = function_specs(cfn, resolver)
    os.environ.update(merged_environment(specs.values()))
    os.environ["CITY_PACK_DIR"] = str(ROOT / "infra/cities/godoy-cruz")
    os.environ["SCHEMAS_DIR"] = str(ROOT / "schemas")
    from vigia import runtime

    runtime.reset()
    return provisioned.physical_ids(), specs


class EmulatorStack:
    """What tests/support/template_pumps.py builds the template's pumps on: the physical ids by logical id
    and a client per service (moto intercepts them)."""

    def __init__(self, resources: dict[str, str]) -> None:
        self.resources = resources

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name="us-east-1")


def api_caller(specs: dict[str, Any]) -> ApiCall:
    """call(method, path, body, claims, headers) → ApiFunction's result, as API Gateway would invoke it."""
    from infra.local.engine.functions import LambdaContext
    from tests.support import api_event
    from vigia.handlers.api import lambda_handler

    lambda_context = LambdaContext(specs["ApiFunction"])

    def call(
        method: str, path: str, body: Any, claims: dict[str, str] | None, headers: dict[str, str]
    ) -> dict[str, Any]:
        # a body is JSON, as the app sends it (JSON routes answer 415 to anything else)
        event = api_event(method, path, body, claims or None, headers, request_id="bench")
        result: dict[str, Any] = lambda_handler(event, lambda_context)
        return result

    return call


def _registration_code(phone: str) -> str:
    """The code the registration SMS brought (registration, docs/registration.md): the SMS queue drained by
    SmsSender's template mapping, the text read off moto's SNS, as a phone would show it."""
    import re

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    from tests.support.template_pumps import queue_pump
    from vigia import settings

    queue_pump(EmulatorStack({"SmsQueue": settings.get().sms_queue_url}), "SmsQueue").drain()
    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    codes = [re.findall(r"\b\d{6}\b", text) for to, text in sent if to == phone]
    if not codes or not codes[-1]:
        raise LookupError(f"no registration code reached {phone}")
    return str(codes[-1][0])


def approved_resident(call: ApiCall, registration: dict[str, Any]) -> dict[str, str]:
    """Registers (the SMS code, then the confirmation) and approves a resident; returns her citizen claims."""
    as_json = {"content-type": "application/json"}
    started = json.loads(call("POST", "/v1/registrations", registration, None, as_json)["body"])
    code = _registration_code(registration["phone"])
    path = f"/v1/registrations/{started['registration_id']}/confirm"
    user_id = json.loads(call("POST", path, {"code": code}, None, as_json)["body"])["user_id"]
    call(
        "POST",
        f"/v1/registrations/{user_id}/approve",
        None,
        {"sub": "op", "cognito:groups": "[operator]"},
        {},
    )
    return {"sub": user_id, "cognito:groups": "[citizen]"}
