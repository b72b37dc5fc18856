"""Registration over HTTP on the local stack: the code comes by SMS (outbox), e-mails sign in in any case."""

from __future__ import annotations

import uuid

HOME: dict = {}


def _body(suffix: str, email: str) -> dict:
    return {
        "full_name": "Paula Quiroga",
        "national_id": f"2{suffix}3",
        "phone": f"+5492615{suffix}",
        "email": email,
        "password": "Segura-2026x",
        "address": "Colón 410",
        "home_location": HOME,
    }


def _at_the_demo_home(local_stack) -> None:
    HOME.update(local_stack.client("citizen").get("/v1/me").json()["home_location"])


def test_a_mixed_case_email_registers_once_and_signs_in_in_any_case(local_stack):
    _at_the_demo_home(local_stack)
    suffix = f"{uuid.uuid4().int % 1_000_000:06d}"
    user_id = local_stack.register(_body(suffix, f"Paula.Quiroga.{suffix}@Example.AR"))
    assert local_stack.sign_in(f"PAULA.QUIROGA.{suffix}@example.ar", "Segura-2026x")
    assert local_stack.sign_in(f"paula.quiroga.{suffix}@example.ar", "Segura-2026x")
    me = local_stack.client(None)
    me.headers["Authorization"] = (
        f"Bearer {local_stack.sign_in(f'paula.quiroga.{suffix}@example.ar', 'Segura-2026x')}"
    )
    assert me.get("/v1/me").json()["user_id"] == user_id


def test_a_known_email_gets_the_answer_a_new_one_gets_and_its_owner_is_told(local_stack):
    _at_the_demo_home(local_stack)
    suffix = f"{uuid.uuid4().int % 1_000_000:06d}"
    owner = _body(suffix, f"duena-{suffix}@example.ar")
    local_stack.register(owner)
    other = f"{(int(suffix) + 1) % 1_000_000:06d}"
    known = local_stack.client().post("/v1/registrations", json=_body(other, owner["email"].upper()))
    fresh = local_stack.client().post(
        "/v1/registrations", json=_body(f"{(int(suffix) + 2) % 1_000_000:06d}", f"nueva-{suffix}@example.ar")
    )
    assert known.status_code == fresh.status_code == 202
    assert {k: v for k, v in known.json().items() if k != "registration_id"} == {
        k: v for k, v in fresh.json().items() if k != "registration_id"
    }
    told = local_stack.wait_for(
        lambda: [
            m
            for m in local_stack.outbox()
            if m.get("recipient") == owner["phone"] and "alguien intento registrarse" in m.get("body", "")
        ],
        timeout=20,
    )
    assert len(told) == 1
