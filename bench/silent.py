"""Silent alarms: AWS calls per silent alert on each hop (intake, router, reads), the envelope's size, and
the local cost of AES-GCM. Counts, not latencies, for the AWS part: moto's timings say nothing of KMS's."""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

from bench.intake import CallCounter, _provision, function_specs_for_bench


def _detail(calls: Any) -> str:
    return ", ".join(f"{k}×{v}" for k, v in sorted(calls.items()))


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
        resources = _provision()
        from vigia import runtime, settings
        from vigia.adapters import aws, dynamo

        settings.reset()
        aws.client.cache_clear()
        dynamo.rebind(settings.get())
        from infra.local.functions import LambdaContext
        from vigia.handlers.api import lambda_handler

        api_context = LambdaContext(function_specs_for_bench["ApiFunction"])
        block = next(iter(runtime.city_pack().blocks.values()))
        lat, lon = block.centroid[0] + 0.0002, block.centroid[1] - 0.0002

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
            return lambda_handler(event, api_context)

        registration = {
            "full_name": "Bench Víctima",
            "national_id": "30999777",
            "phone": "+5492615550777",
            "email": "victima@example.ar",
            "password": "Segura-2026x",
            "address": "Calle 2",
            "home_location": {"lat": lat, "lon": lon},
        }
        user_id = json.loads(call("POST", "/v1/registrations", registration, None, {})["body"])["user_id"]
        call(
            "POST",
            f"/v1/registrations/{user_id}/approve",
            None,
            {"sub": "op", "cognito:groups": "[operator]"},
            {},
        )
        she = {"sub": user_id, "cognito:groups": "[citizen]"}
        alert = {"type": "domestic_violence", "location": {"lat": lat, "lon": lon}, "note": "bench"}
        alert_id = ""
        for label, headers in (
            ("without Idempotency-Key", {}),
            ("with Idempotency-Key", {"idempotency-key": "s-1"}),
        ):
            counter.calls.clear()
            answer = call("POST", "/v1/alerts", alert, she, headers)
            assert answer["statusCode"] == 202, answer
            alert_id = json.loads(answer["body"])["alert_id"]
            kms = sum(v for k, v in counter.calls.items() if k.startswith("kms."))
            print(
                f"intake, silent alert {label}: {sum(counter.calls.values()) - kms} AWS calls + {kms} KMS "
                f"(budget 4 + 1): {_detail(counter.calls)}"
            )
        sealed = runtime.alerts().get(alert_id)
        assert sealed is not None
        assert sealed.sealed
        print(f"sealed envelope on the record: {len(sealed.sealed)} bytes")

        from vigia.handlers.silent_router import lambda_handler as router

        counter.calls.clear()
        body = json.dumps({"event_type": "SilentAlertCreated", "alert_id": alert_id})
        record = {
            "messageId": "m",
            "receiptHandle": "r",
            "body": body,
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": resources["SilentQueue"],
            "awsRegion": "us-east-1",
        }
        router({"Records": [record]}, LambdaContext(function_specs_for_bench["SilentRouterFunction"]))
        spent = sum(counter.calls.values())
        print(f"SilentRouter, one silent alert: {spent} AWS calls: {_detail(counter.calls)}")
        for role in ("operator", "response_team"):
            counter.calls.clear()
            answer = call(
                "GET", f"/v1/alerts/{alert_id}", None, {"sub": role, "cognito:groups": f"[{role}]"}, {}
            )
            assert answer["statusCode"] == 200, answer
            spent = sum(counter.calls.values())
            print(f"GET /v1/alerts/{{id}} as {role}: {spent} AWS calls: {_detail(counter.calls)}")

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, aad, plaintext = AESGCM.generate_key(bit_length=256), b'{"alert_id":"x"}', b"x" * 420
    samples = []
    for _ in range(2000):
        started = time.perf_counter()
        nonce = os.urandom(12)
        box = AESGCM(key)
        box.decrypt(nonce, box.encrypt(nonce, plaintext, aad), aad)
        samples.append((time.perf_counter() - started) * 1e6)
    print(f"AES-GCM seal + open of a 420-byte identity, locally: median {statistics.median(samples):.1f} µs")
