"""The CAD webhook sends the CAP identifier as Idempotency-Key with every attempt, and the local fake CAD acts
on a message once: a repeat with the same key to the same CAD is answered 202 and recorded as a replay."""

from __future__ import annotations

import functools
import json
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.local.fake_cad import FakeCad
from tests.support import SCHEMA
from vigia.adapters import cad as cad_adapter
from vigia.adapters import faults
from vigia.alerts.submission import Alert
from vigia.city import CityPack, load_city_pack
from vigia.dispatch import cap, protocol, signing
from vigia.dispatch.protocol import Neighbour, Sender

ROOT = Path(__file__).resolve().parents[2]
SECRET = "the-stacks-cad-secret"
SENDER = Sender("u-sender", "Camila Andrea Soto Fuentes", "+56955501234", "Av. Grecia 8735", "es-CL")


@functools.cache
def penalolen() -> CityPack:
    return load_city_pack(ROOT / "infra/cities/penalolen", SCHEMA)


@functools.cache
def cap_body(type_: str = "drug_dealing") -> bytes:
    """A valid CAP 1.2 document as the dispatcher writes it for an alert of `type_`."""
    pack = penalolen()
    block = next(iter(pack.blocks.values()))
    lat, lon = block.centroid
    created = "2026-03-14T21:07:12.345Z"
    priority = pack.alert_types[type_].priority
    alert = Alert(
        "01JQ8Z6V4M3K2N1P0R9S8T7V6W", type_, False, priority, SENDER.user_id, lat, lon, 10.0, None,
        block.block_id, block.quadrant_id, "location", "received", created, created[:10],
    )  # fmt: skip
    neighbours = [Neighbour(f"n-{i}", f"+5695550{i:04d}", "es-CL") for i in range(3)]
    plan = protocol.plan_alert(alert, pack.alert_types[type_], pack, sender=SENDER, neighbours=neighbours)
    return next(d for d in plan.deliveries if d.channel == "webhook").body.encode()


def identifier(body: bytes) -> str:
    return cap.parse(body).findtext(f"{{{cap.CAP_NS}}}identifier") or ""


def headers(key: str, body: bytes, idempotency_key: str | None) -> dict[str, str]:
    when = datetime(2026, 3, 14, 21, 7, 12, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signed = {
        signing.TIMESTAMP_HEADER.lower(): when,
        signing.SIGNATURE_HEADER.lower(): signing.sign(key, body, when),
    }
    if idempotency_key is not None:
        signed[cad_adapter.IDEMPOTENCY_HEADER.lower()] = idempotency_key
    return signed


@pytest.fixture(autouse=True)
def no_chaos(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(faults.ENV, raising=False)
    faults.reset()
    yield
    faults.reset()


# ------------------------------------------------------------------ the fake CAD
def test_the_second_post_of_a_message_is_answered_but_recorded_as_a_replay() -> None:
    fake = FakeCad(secret=SECRET)
    body = cap_body()
    key = identifier(body)
    assert key

    first = fake.handle_post("/cap/v1/alerts", headers(SECRET, body, key), body)
    second = fake.handle_post("/cap/v1/alerts", headers(SECRET, body, key), body)

    assert first == (202, {"accepted": True, "replay": False})
    assert second == (202, {"accepted": True, "replay": True})
    assert [(r["idempotency_key"], r["replay"]) for r in fake.received] == [(key, False), (key, True)]


def test_the_same_key_at_another_cads_path_is_not_a_replay() -> None:
    fake = FakeCad(secret=SECRET)
    body = cap_body()
    key = identifier(body)
    pdi = signing.cad_key(SECRET, "pdi")

    assert fake.handle_post("/cap/v1/alerts", headers(SECRET, body, key), body)[0] == 202
    answer = fake.handle_post("/cap/v1/alerts/pdi", headers(pdi, body, key), body)

    assert answer == (202, {"accepted": True, "replay": False})
    assert [(r["cad"], r["replay"]) for r in fake.received] == [(None, False), ("pdi", False)]
    # and the PDI's own repeat is its replay
    assert fake.handle_post("/cap/v1/alerts/pdi", headers(pdi, body, key), body)[1]["replay"] is True


def test_a_post_without_the_key_is_never_a_replay() -> None:
    fake = FakeCad(secret=SECRET)
    body = cap_body()

    answers = [fake.handle_post("/cap/v1/alerts", headers(SECRET, body, None), body) for _ in range(3)]
    answers.append(fake.handle_post("/cap/v1/alerts", headers(SECRET, body, ""), body))

    assert answers == [(202, {"accepted": True, "replay": False})] * 4
    assert [(r["idempotency_key"], r["replay"]) for r in fake.received] == [(None, False)] * 4


def test_a_refused_post_does_not_use_up_its_key() -> None:
    fake = FakeCad(secret=SECRET)
    body = cap_body()
    key = identifier(body)

    assert fake.handle_post("/cap/v1/alerts", headers("not-the-secret", body, key), body)[0] == 401
    assert fake.handle_post("/cap/v1/alerts", headers(SECRET, body, key), body) == (
        202,
        {"accepted": True, "replay": False},
    )


def test_a_chaos_runs_server_error_is_answered_before_the_message_is_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeCad(secret=SECRET)
    body = cap_body()
    key = identifier(body)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv(
        faults.ENV, json.dumps({"seed": 1, "hops": {"cad": {"rate": 1, "kinds": ["server_error"]}}})
    )
    faults.reset()

    assert fake.handle_post("/cap/v1/alerts", headers(SECRET, body, key), body)[0] == 503
    assert fake.received == []
    monkeypatch.delenv(faults.ENV)
    # the sender's retry is the first time the CAD acts on it
    assert fake.handle_post("/cap/v1/alerts", headers(SECRET, body, key), body)[1]["replay"] is False


# ------------------------------------------------------------------ the webhook sender
@pytest.fixture
def fake_cad(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCad]:
    fake = FakeCad(secret=SECRET).start()
    configured = types.SimpleNamespace(
        provincial_cad_url=fake.url,
        cad_secret_id="arn:aws:secretsmanager:us-east-1:123456789012:secret:cad",
        cad_timeout_s=5.0,
        cad_attempts=1,
        outbox_path=None,
    )
    monkeypatch.setattr(cad_adapter.settings, "get", lambda: configured)
    monkeypatch.setattr(cad_adapter.secrets, "read", lambda secret_id: SECRET)
    yield fake
    fake.stop()


def test_the_webhook_sends_the_cap_identifier_as_idempotency_key(fake_cad: FakeCad) -> None:
    body = cap_body()

    status = cad_adapter.post_cap(fake_cad.url, body, alert_id="01JQ8Z6V4M3K2N1P0R9S8T7V6W", kind="alert")

    assert status == "202"
    [record] = fake_cad.received
    assert record["valid"] is True
    assert record["idempotency_key"] == identifier(body) != ""


def test_a_sender_that_crashed_after_the_cad_accepted_is_answered_as_a_replay_on_its_retry(
    fake_cad: FakeCad, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = cap_body()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv(
        faults.ENV,
        json.dumps({"seed": 1, "hops": {"webhook_sender": {"rate": 1, "kinds": ["crash_after_accept"]}}}),
    )
    faults.reset()

    with pytest.raises(faults.InjectedCrash):
        cad_adapter.post_cap(fake_cad.url, body, alert_id="01JQ8Z6V4M3K2N1P0R9S8T7V6W", kind="alert")
    monkeypatch.delenv(faults.ENV)  # the queue hands the task back to a sender that lives
    assert (
        cad_adapter.post_cap(fake_cad.url, body, alert_id="01JQ8Z6V4M3K2N1P0R9S8T7V6W", kind="alert") == "202"
    )

    assert [(r["idempotency_key"], r["replay"]) for r in fake_cad.received] == [
        (identifier(body), False),
        (identifier(body), True),
    ]
