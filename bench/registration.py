"""AWS API calls a registration and its confirmation cost, for a new person and for known ones (they must
match: the answer is the same, so the work is too), counted with a botocore hook."""

from __future__ import annotations

import json

from bench._emulator import CallCounter, _registration_code, api_caller, provision, use_emulator_credentials


def run() -> None:
    use_emulator_credentials()
    from moto import mock_aws

    counter = CallCounter()
    counter.install()
    with mock_aws():
        _, specs = provision()
        import os

        from vigia import runtime

        os.environ["REGISTRATIONS_PER_SOURCE"] = "100"  # the bench's events all come from one address
        runtime.reset()

        call = api_caller(specs)
        as_json = {"content-type": "application/json"}
        lat, lon = next(iter(runtime.city_pack().blocks.values())).centroid

        def person(n: int, **changes: str) -> dict[str, object]:
            return {
                "full_name": "Bench Vecina",
                "national_id": f"3099{n:04d}",
                "phone": f"+549261555{n:04d}",
                "email": f"bench-{n}@example.ar",
                "password": "Segura-2026x",
                "address": "Calle 1",
                "home_location": {"lat": lat, "lon": lon},
                **changes,
            }

        def register(body: dict[str, object]) -> str:
            answer = call("POST", "/v1/registrations", body, None, as_json)
            assert answer["statusCode"] == 202, answer
            return str(json.loads(answer["body"])["registration_id"])

        owner = person(1)
        registration_id = register(owner)  # also the cold reads (the secret) before counting
        code = _registration_code(str(owner["phone"]))
        counter.calls.clear()
        confirmed = call(
            "POST", f"/v1/registrations/{registration_id}/confirm", {"code": code}, None, as_json
        )
        assert confirmed["statusCode"] == 200, confirmed
        print(
            f"AWS calls for a confirmation that creates the resident: {counter.total()}: {counter.detail()}"
        )
        # Each known value belongs to its own resident: a phone takes only 3 registration SMS an hour.
        owners = [owner, person(6), person(7)]
        for other in owners[1:]:
            register(other)
        for label, body in (
            ("a new person", person(2)),
            ("a known e-mail", person(3, email=str(owners[0]["email"]))),
            ("a known phone", person(4, phone=str(owners[1]["phone"]))),
            ("a known national id", person(5, national_id=str(owners[2]["national_id"]))),
        ):
            counter.calls.clear()
            register(body)
            print(f"AWS calls for a registration by {label}: {counter.total()}: {counter.detail()}")
        counter.calls.clear()
        refused = call(
            "POST", f"/v1/registrations/{registration_id}/confirm", {"code": "000000"}, None, as_json
        )
        assert refused["statusCode"] == 422, refused
        print(f"AWS calls for a refused confirmation: {counter.total()}: {counter.detail()}")
