"""Sealing a silent alert at intake, and what each reader sees of it (pure: fake sealer, in-memory store)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidTag

from tests.unit.silent_fakes import (
    BrokenSealer,
    FakeAlertStore,
    FakeMac,
    FakeSealer,
    demo_pack,
    record_text,
    resident,
)
from vigia.alerts.submission import AlertRequest, submit
from vigia.api.auth import Caller
from vigia.errors import NotFound
from vigia.silent.access import HIDDEN, SEALED, UNSEALED, access_to_silent_alert
from vigia.silent.reading import open_silent_alert, read_silent_alert
from vigia.silent.sealing import AlertNotSent, SealingRequired, is_sealed_sender, sealed_claim, unseal
from vigia.silent.views import IDENTITY_KEYS, SEALED_VIEW_KEYS

NOW = datetime(2026, 3, 8, 1, 40, tzinfo=UTC)  # 22:40 in Godoy Cruz
MAC = FakeMac()


@pytest.fixture(scope="module")
def pack():
    return demo_pack()


def send(pack, store, sealer, *, type_="domestic_violence", key=None, note="la puerta está trabada", n=1):
    block = next(iter(pack.blocks.values()))
    lat, lon = block.centroid[0] + 0.00001, block.centroid[1] + 0.00001
    her = resident(n, block.block_id, lat=lat, lon=lon)
    request = AlertRequest(type_, lat, lon, 12.0, note)
    alert, created = submit(
        request,
        resident=her,
        sender_id=her.user_id,
        idempotency_key=key,
        pack=pack,
        alerts=store,
        now=NOW,
        sealer=sealer,
        sender_mac=MAC,
    )
    return alert, created, her


def secrets_of(her, lat, lon, note):
    return [her.full_name, her.phone, her.national_id, her.email, her.address, her.user_id, note]


def test_a_silent_alert_is_stored_with_only_what_others_may_see(pack):
    # Given an approved resident on a block
    store, sealer = FakeAlertStore(), FakeSealer()
    # When she sends a domestic-violence alert
    alert, created, her = send(pack, store, sealer)
    stored = store.get(alert.alert_id)
    # Then the stored alert is the silent category in her quadrant, sealed, and links to no one
    assert created
    assert stored.type == "silent"
    assert stored.silent
    assert stored.quadrant_id == next(iter(pack.blocks.values())).quadrant_id
    assert stored.block_id is None
    assert stored.note is None
    assert math.isnan(stored.lat)
    assert math.isnan(stored.lon)
    assert is_sealed_sender(stored.sender_id)
    assert stored.sealed
    text = record_text(stored)
    assert [s for s in secrets_of(her, 0, 0, "la puerta está trabada") if s in text] == []
    assert "domestic_violence" not in text
    assert sealer.sealed == 1


def test_the_envelope_opens_for_its_own_alert_only(pack):
    store, sealer = FakeAlertStore(), FakeSealer()
    alert, _, her = send(pack, store, sealer)
    identity = unseal(alert, sealer, city_id=pack.city_id)
    assert (identity.type, identity.full_name, identity.phone) == (
        "domestic_violence",
        her.full_name,
        her.phone,
    )
    assert identity.note == "la puerta está trabada"
    other, _, _ = send(pack, store, sealer, n=2)
    moved = type(other)(**{**other.__dict__, "sealed": alert.sealed})
    with pytest.raises(InvalidTag):  # the context names another alert
        unseal(moved, sealer, city_id=pack.city_id)


def test_the_app_answer_is_neutral(pack):
    alert, _, _ = send(pack, FakeAlertStore(), FakeSealer())
    assert alert.receipt() == {
        "alert_id": alert.alert_id,
        "status": "received",
        "created_at": alert.created_at,
    }


def test_a_retry_with_the_same_key_returns_the_first_alert_and_seals_once(pack):
    store, sealer = FakeAlertStore(), FakeSealer()
    first, _, her = send(pack, store, sealer, key="tap-1")
    again, created, _ = send(pack, store, sealer, key="tap-1")
    assert not created
    assert again.alert_id == first.alert_id
    assert sealer.sealed == 1
    [claim_key] = store.claims
    assert her.user_id not in claim_key
    assert "tap-1" not in claim_key


def test_the_sealed_claim_names_no_one_and_differs_per_sender_and_key():
    a = sealed_claim("user-a", "k", "f", MAC)
    assert a == sealed_claim("user-a", "k", "f", MAC)
    assert a.key != sealed_claim("user-b", "k", "f", MAC).key
    assert a.key != sealed_claim("user-a", "k2", "f", MAC).key
    assert a.request_hash != sealed_claim("user-a", "k", "g", MAC).request_hash
    # keyed: the same sender and key under another secret give another claim
    assert a.key != sealed_claim("user-a", "k", "f", FakeMac()).key
    assert "user-a" not in a.key + a.request_hash


def test_without_a_working_sealer_nothing_is_stored(pack):
    store = FakeAlertStore()
    with pytest.raises(AlertNotSent) as refused:
        send(pack, store, BrokenSealer())
    assert refused.value.status == 503
    assert pack.settings.helpline in refused.value.detail
    assert store.alerts == {}
    with pytest.raises(SealingRequired):
        send(pack, store, None)
    assert store.alerts == {}


def test_a_public_alert_is_not_sealed(pack):
    store, sealer = FakeAlertStore(), FakeSealer()
    alert, _, her = send(pack, store, sealer, type_="robbery")
    assert (alert.type, alert.sender_id, alert.sealed) == ("robbery", her.user_id, None)
    assert sealer.sealed == 0


@pytest.mark.parametrize(
    ("roles", "level"),
    [
        ({"response_team"}, UNSEALED),
        ({"operator"}, SEALED),
        ({"police"}, SEALED),
        ({"analyst"}, SEALED),
        ({"admin"}, HIDDEN),
        ({"citizen"}, HIDDEN),
        (set(), HIDDEN),
        ({"operator", "response_team"}, UNSEALED),
        ({"admin", "analyst"}, SEALED),
    ],
)
def test_the_access_table(roles, level):
    assert access_to_silent_alert(roles) == level


def test_views_per_reader_and_only_the_unsealing_is_audited(pack):
    store, sealer = FakeAlertStore(), FakeSealer()
    alert, _, her = send(pack, store, sealer)
    stored = store.get(alert.alert_id)
    audit: list[tuple] = []

    def who(*roles):
        return Caller(f"user-{'-'.join(roles)}", "x@city.example", frozenset(roles))

    def read(*roles):  # GET /v1/alerts/{id} (ApiFunction): never opens the envelope
        return read_silent_alert(stored, who=who(*roles), pack=pack)

    def open_(*roles, reason=None):  # GET /v1/silent-alerts/{id} (SilentApiFunction)
        audit_ = lambda *a, **k: audit.append((a, k))  # noqa: E731
        return open_silent_alert(
            stored, None, who=who(*roles), reason=reason, pack=pack, sealer=sealer, audit=audit_, now=NOW
        )

    sealed = read("operator")
    assert set(sealed) == SEALED_VIEW_KEYS
    assert sealed["zone"]["name"] == pack.quadrants[stored.quadrant_id].name
    # the response team gets the sealed view here too, with the link to open it
    linked = read("response_team")
    assert set(linked) == SEALED_VIEW_KEYS | {"unsealed_view"}
    assert linked["unsealed_view"] == f"/v1/silent-alerts/{alert.alert_id}"
    assert audit == []
    assert sealer.opened == 0
    for roles in (("operator",), ("police",), ("analyst",), ("admin",)):
        with pytest.raises(NotFound):
            open_(*roles)
    assert audit == []
    full = open_("response_team", reason="seguimiento")
    assert set(full) == SEALED_VIEW_KEYS | IDENTITY_KEYS
    assert full["sender"]["national_id"] == her.national_id
    assert full["type"] == "domestic_violence"
    assert len(full["referral_directory"]) == len(pack.referral_directory)
    [(args, kwargs)] = audit
    assert args == ("user-response_team", "response_team", "unseal", "alert", alert.alert_id)
    assert kwargs["reason"] == "seguimiento"
    for roles in (("admin",), ("citizen",), ()):
        with pytest.raises(NotFound):
            read(*roles)


def test_if_the_audit_cannot_be_written_nothing_is_unsealed(pack):
    store, sealer = FakeAlertStore(), FakeSealer()
    alert, _, _ = send(pack, store, sealer)

    def failing_audit(*_, **__):
        raise ConnectionError("audit table unreachable")

    with pytest.raises(ConnectionError):
        open_silent_alert(
            store.get(alert.alert_id),
            None,
            who=Caller("rt", "rt@city.example", frozenset({"response_team"})),
            reason=None,
            pack=pack,
            sealer=sealer,
            audit=failing_audit,
            now=NOW,
        )
    assert sealer.opened == 0
