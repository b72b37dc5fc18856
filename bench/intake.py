"""AWS API calls one accepted alert costs on the submit path (target <= 4), counted with a botocore hook.

The sender's limit is a window item read with GetItem and moved in the alert's TransactWriteItems (it
replaced the by_sender Query and the PutItem, so the count did not grow); a refused alert (429) costs the
resident's and the window's GetItem only."""

from __future__ import annotations

from bench._emulator import CallCounter, api_caller, approved_resident, provision, use_emulator_credentials

TARGET_CALLS = 4


def run() -> None:
    use_emulator_credentials()
    from moto import mock_aws

    counter = CallCounter()
    counter.install()
    with mock_aws():
        _, specs = provision()
        from vigia import runtime

        call = api_caller(specs)
        lat, lon = next(iter(runtime.city_pack().blocks.values())).centroid
        citizen = approved_resident(
            call,
            {
                "full_name": "Bench Vecina",
                "national_id": "30999888",
                "phone": "+5492615550999",
                "email": "bench@example.ar",
                "password": "Segura-2026x",
                "address": "Calle 1",
                "home_location": {"lat": lat, "lon": lon},
            },
        )
        alert = {"type": "robbery", "location": {"lat": lat, "lon": lon}}
        for label, headers in (
            ("without Idempotency-Key", {}),
            ("with Idempotency-Key", {"idempotency-key": "b-1"}),
        ):
            counter.calls.clear()
            answer = call("POST", "/v1/alerts", alert, citizen, headers)
            assert answer["statusCode"] == 202, answer
            print(
                f"AWS calls for one accepted alert {label}: {counter.total()} (target <= {TARGET_CALLS}): "
                f"{counter.detail()}"
            )
        call("POST", "/v1/alerts", alert, citizen, {})  # the third: her limit is full now
        counter.calls.clear()
        refused = call("POST", "/v1/alerts", alert, citizen, {})
        assert refused["statusCode"] == 429, refused
        print(f"AWS calls for one refused alert (429, limit full): {counter.total()}: {counter.detail()}")
