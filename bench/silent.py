"""Silent alarms: AWS calls per silent alert on each hop (intake, router, reads), the envelope's size, and
the local cost of AES-GCM. Counts, not latencies, for the AWS part: moto's timings say nothing of KMS's."""

from __future__ import annotations

import json
import os
import statistics
import time

from bench._emulator import (
    CallCounter,
    EmulatorStack,
    api_caller,
    approved_resident,
    provision,
    use_emulator_credentials,
)

POLLER = (
    "sqs.ReceiveMessage",
    "sqs.DeleteMessageBatch",
    "sqs.ChangeMessageVisibility",
)  # Lambda's, not the function's


def _function_calls(counter: CallCounter) -> tuple[int, str]:
    """The calls the function made, without the queue poller's (as Lambda's poller is not billed to it)."""
    calls = {k: v for k, v in counter.calls.items() if k not in POLLER}
    return sum(calls.values()), ", ".join(f"{k}×{v}" for k, v in sorted(calls.items()))


def run() -> None:
    use_emulator_credentials()
    from moto import mock_aws

    counter = CallCounter()
    counter.install()
    with mock_aws():
        resources, specs = provision()
        from infra.local.engine.functions import LambdaContext
        from vigia import runtime

        call = api_caller(specs)
        block = next(iter(runtime.city_pack().blocks.values()))
        lat, lon = block.centroid[0] + 0.0002, block.centroid[1] - 0.0002

        registration = {
            "full_name": "Bench Víctima",
            "national_id": "30999777",
            "phone": "+5492615550777",
            "email": "victima@example.ar",
            "password": "Segura-2026x",
            "address": "Calle 2",
            "home_location": {"lat": lat, "lon": lon},
        }
        she = approved_resident(call, registration)
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
                f"intake, silent alert {label}: {counter.total() - kms} AWS calls + {kms} KMS "
                f"(budget 4 + 1): {counter.detail()}"
            )
        sealed = runtime.alerts().get(alert_id)
        assert sealed is not None
        assert sealed.sealed
        print(f"sealed envelope on the record: {len(sealed.sealed)} bytes")

        import boto3

        from tests.support.template_pumps import queue_pump

        sqs = boto3.client("sqs", region_name="us-east-1")
        router = queue_pump(EmulatorStack(resources), "SilentQueue")  # SilentRouter's template mapping
        router.drain()  # what intake left on the queue, if anything: not this figure's
        body = json.dumps({"event_type": "SilentAlertCreated", "alert_id": alert_id})
        sqs.send_message(QueueUrl=resources["SilentQueue"], MessageBody=body)  # what the stream relay sends
        counter.calls.clear()
        assert router.drain().records == 1
        spent, detail = _function_calls(counter)
        print(f"SilentRouter, one silent alert: {spent} AWS calls: {detail}")
        for role in ("operator", "response_team"):  # ApiFunction: the sealed view for both (no Decrypt)
            counter.calls.clear()
            answer = call(
                "GET", f"/v1/alerts/{alert_id}", None, {"sub": role, "cognito:groups": f"[{role}]"}, {}
            )
            assert answer["statusCode"] == 200, answer
            spent = counter.total()
            print(f"GET /v1/alerts/{{id}} as {role}: {spent} AWS calls: {counter.detail()}")

        # The response team's unsealed read: SilentApiFunction, the one that may decrypt
        from vigia.handlers.silent_api import lambda_handler as silent_api

        team = {"sub": "rt", "cognito:groups": "[response_team]"}
        counter.calls.clear()
        event = {
            "version": "2.0",
            "rawPath": f"/v1/silent-alerts/{alert_id}",
            "headers": {"x-reason": "bench"},
            "requestContext": {
                "http": {"method": "GET", "path": f"/v1/silent-alerts/{alert_id}"},
                "requestId": "bench",
                "stage": "$default",
                "routeKey": "GET /v1/silent-alerts/{alert_id}",
                "authorizer": {"jwt": {"claims": team}},
            },
            "isBase64Encoded": False,
        }
        answer = silent_api(event, LambdaContext(specs["SilentApiFunction"]))
        assert answer["statusCode"] == 200, answer
        print(
            f"GET /v1/silent-alerts/{{id}} as response_team: {counter.total()} AWS calls: {counter.detail()}"
        )

        # The response team's lifecycle (ApiFunction), and the router's half of request_police
        for action, extra, headers in (
            ("acknowledge", {}, {}),
            ("contact", {}, {}),
            ("request_police", {"unit_id": "GC-01"}, {"x-reason": "bench"}),
            ("close", {"outcome": "referred"}, {}),
        ):
            if action == "request_police":
                router.drain()  # the earlier actions' events: not the police request's figure
            counter.calls.clear()
            answer = call(
                "POST", f"/v1/alerts/{alert_id}/actions", {"action": action, **extra}, team, headers
            )
            assert answer["statusCode"] == 200, answer
            print(f"silent {action}: {counter.total()} AWS calls: {counter.detail()}")
            if action == "request_police":
                counter.calls.clear()
                assert router.drain().records == 1
                spent, detail = _function_calls(counter)
                print(
                    f"SilentRouter, request_police (CAP Private + a car's SMS): {spent} AWS calls: {detail}"
                )

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
