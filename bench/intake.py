"""AWS API calls one accepted alert costs on the submit path (target <= 4), counted with a botocore hook."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_CALLS = 4
function_specs_for_bench: dict[str, Any] = {}


def _provision() -> dict[str, str]:
    import boto3

    from infra.local.functions import function_specs, merged_environment
    from infra.local.intrinsics import Pseudo, Resolver, resolve_parameters
    from infra.local.resources import Env, provision
    from infra.local.template import translate

    cfn = translate()
    pseudo = Pseudo(stack_name="vigia-bench")
    resolver = Resolver(cfn, resolve_parameters(cfn.get("Parameters") or {}), pseudo)
    provisioned = provision(cfn, resolver, Env(pseudo=pseudo, client=lambda s: boto3.client(s)))
    specs = function_specs(cfn, resolver)
    function_specs_for_bench.update(specs)
    os.environ.update(merged_environment(specs.values()))
    os.environ["CITY_PACK_DIR"] = str(ROOT / "infra/cities/godoy-cruz")
    os.environ["SCHEMAS_DIR"] = str(ROOT / "schemas")
    return provisioned.physical_ids()


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


def run() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_METRICS_NAMESPACE": "Vigia",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    counter = CallCounter()
    counter.install()
    with mock_aws():
        _provision()
        from vigia import runtime, settings
        from vigia.adapters import dynamo

        settings.reset()
        dynamo.rebind(settings.get())
        from infra.local.functions import LambdaContext
        from vigia.handlers.api import lambda_handler

        context_for_api = LambdaContext(function_specs_for_bench["ApiFunction"])
        pack = runtime.city_pack()
        block = next(iter(pack.blocks.values()))
        lat, lon = block.centroid

        def call(
            method: str, path: str, body: Any, claims: dict[str, str] | None, headers: dict[str, str]
        ) -> Any:
            context: dict[str, Any] = {
                "http": {"method": method, "path": path},
                "requestId": "bench",
                "stage": "$default",
                "routeKey": "ANY /v1/{proxy+}",
            }
            if claims:
                context["authorizer"] = {"jwt": {"claims": claims}}
            event = {
                "version": "2.0",
                "rawPath": path,
                "headers": headers,
                "requestContext": context,
                "body": json.dumps(body) if body is not None else None,
                "isBase64Encoded": False,
            }
            return lambda_handler(event, context_for_api)

        reg = {
            "full_name": "Bench Vecina",
            "national_id": "30999888",
            "phone": "+5492615550999",
            "email": "bench@example.ar",
            "password": "Segura-2026x",
            "address": "Calle 1",
            "home_location": {"lat": lat, "lon": lon},
        }
        user_id = json.loads(call("POST", "/v1/registrations", reg, None, {})["body"])["user_id"]
        operator = {"sub": "op", "cognito:groups": "[operator]"}
        call("POST", f"/v1/registrations/{user_id}/approve", None, operator, {})
        citizen = {"sub": user_id, "cognito:groups": "[citizen]"}
        alert = {"type": "robbery", "location": {"lat": lat, "lon": lon}}
        for label, headers in (
            ("without Idempotency-Key", {}),
            ("with Idempotency-Key", {"idempotency-key": "b-1"}),
        ):
            counter.calls.clear()
            answer = call("POST", "/v1/alerts", alert, citizen, headers)
            assert answer["statusCode"] == 202, answer
            total = sum(counter.calls.values())
            detail = ", ".join(f"{k}×{v}" for k, v in sorted(counter.calls.items()))
            print(f"AWS calls for one accepted alert {label}: {total} (target <= {TARGET_CALLS}): {detail}")
