"""Signing up on in-memory stores: whatever is already known, the answer and what the applicant sees hold."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import godoy_cruz_pack
from vigia.adapters.registration_keys import SecretKeys
from vigia.residents import signup
from vigia.residents.registration import DuplicateValue, Resident

PACK = godoy_cruz_pack()
LAT, LON = next(iter(PACK.blocks.values())).centroid
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
KEYS = SecretKeys("unit-test-secret")
OWNER = signup.Holder("owner-1", "+5492615000001", "es-AR")
STAFF = signup.Holder("staff-1", "+5492615000002", None)


def request(**changes: Any) -> dict[str, Any]:
    return {
        "full_name": "Ana Pérez",
        "national_id": "30.111.222",
        "phone": "+5492615999999",
        "email": "Ana@Example.AR",
        "password": "Segura-2026x",
        "address": "Calle 1",
        "home_location": {"lat": LAT, "lon": LON},
        **changes,
    }


@dataclass
class Memory:
    """signup.RegistrationStore, StaffDirectory, Notifier, ResidentStore and Identity in memory."""

    held: dict[str, signup.Holder] = field(default_factory=dict)  # "email:x" / "phone:x" / "national_id:x"
    staff: dict[str, signup.Holder] = field(default_factory=dict)
    pending: dict[str, signup.Pending] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    sources: dict[str, int] = field(default_factory=dict)
    sent: list[list[Any]] = field(default_factory=list)
    residents: dict[str, Resident] = field(default_factory=dict)

    def admit_source(self, source_key: str, *, window_start_s: int, window_s: int, limit: int) -> bool:
        key = f"{source_key}#{window_start_s}"
        if self.sources.get(key, 0) >= limit:
            return False
        self.sources[key] = self.sources.get(key, 0) + 1
        return True

    def holders(self, a: signup.Applicant) -> list[signup.Holder]:
        found = [
            self.held.get(k) for k in (f"email:{a.email}", f"phone:{a.phone}", f"national_id:{a.national_id}")
        ]
        return list({h.user_id: h for h in found if h}.values())

    def holder(self, email: str) -> signup.Holder | None:
        return self.staff.get(email)

    def open(self, pending: signup.Pending, deliveries: Any, *, at: str, **window: int) -> list[Any]:
        self.pending[pending.key] = pending
        kept = []
        for delivery, phone_key in deliveries:
            if self.admit_source(
                phone_key, window_start_s=window["window_start_s"], window_s=0, limit=window["per_phone"]
            ):
                kept.append(delivery)
        return kept

    def enqueue(self, deliveries: Any) -> None:
        self.sent.append(list(deliveries))

    def attempt(self, key: str, *, now_s: int, max_tries: int) -> signup.Pending | None:
        p = self.pending.get(key)
        if p is None or key in self.closed or p.attempts >= max_tries or p.valid_until_s <= now_s:
            return None
        self.pending[key] = replace(p, attempts=p.attempts + 1)
        return self.pending[key]

    def close(self, key: str) -> bool:
        if key in self.closed:
            return False
        self.closed.add(key)
        return True

    def create_user(self, email: str, password: str, phone: str) -> str:
        if f"email:{email}" in self.held:
            raise DuplicateValue("email")
        return f"user-{len(self.residents)}"

    def delete_user(self, email: str) -> None:
        pass

    def add_to_group(self, email: str, group: str) -> None:
        pass

    def create(self, resident: Resident) -> None:
        self.residents[resident.user_id] = resident

    def get(self, user_id: str) -> Resident | None:
        return self.residents.get(user_id)

    def review(self, user_id: str, **_: Any) -> Resident:
        raise NotImplementedError


def start(memory: Memory, body: dict[str, Any], source_ip: str = "192.0.2.1") -> str:
    return signup.start(
        body,
        source_ip=source_ip,
        pack=PACK,
        store=memory,
        staff=memory,
        notifier=memory,
        keys=KEYS,
        limits=signup.Limits(per_source=5, window_s=3600),
        now=NOW,
    )


def confirm(memory: Memory, registration_id: str, code: str, now: datetime = NOW) -> Resident:
    return signup.confirm(
        registration_id, code, store=memory, residents=memory, identity=memory, keys=KEYS, now=now
    )


def code_sent(memory: Memory, phone: str) -> str | None:
    texts = [
        d.body
        for batch in memory.sent
        for d in batch
        if d.target == signup.CODE_TARGET and d.recipient == phone
    ]
    return (
        next((w.rstrip(".") for w in texts[-1].split() if w.rstrip(".").isdigit()), None) if texts else None
    )


def refusal(memory: Memory, registration_id: str, code: str, now: datetime = NOW) -> tuple[Any, ...]:
    with pytest.raises(signup.RegistrationNotConfirmed) as refused:
        confirm(memory, registration_id, code, now)
    e = refused.value
    return (e.status, e.title, e.slug, e.detail, e.errors)


@settings(max_examples=40, deadline=None)
@given(email=st.booleans(), phone=st.booleans(), national_id=st.booleans(), staff=st.booleans())
def test_what_is_already_known_never_changes_the_answer_or_the_applicants_phone(
    email, phone, national_id, staff
):
    memory = Memory()
    applicant = signup.applicant(request(), PACK)
    if email:
        memory.held[f"email:{applicant.email}"] = OWNER
    if phone:
        memory.held[f"phone:{applicant.phone}"] = signup.Holder("owner-2", applicant.phone, None)
    if national_id:
        memory.held[f"national_id:{applicant.national_id}"] = OWNER
    if staff:
        memory.staff[applicant.email] = STAFF
    taken = email or phone or national_id or staff
    registration_id = start(memory, request())
    # The answer is a random id of the same shape whatever is known
    assert len(registration_id) == 32
    # One enqueue either way; a code reaches the applicant's phone unless that phone is someone's
    assert len(memory.sent) == 1
    code = code_sent(memory, applicant.phone)
    assert (code is not None) == (not phone)
    # Every holder is told, once per phone
    told = [d.recipient for d in memory.sent[0] if d.target == signup.ATTEMPT_TARGET]
    assert len(told) == len(set(told))
    assert bool(told) == taken
    # The right code creates a resident only for an identity nobody holds; otherwise the one refusal
    if code is None:
        return
    if taken:
        assert refusal(memory, registration_id, code) == refusal(Memory(), registration_id, "000000")
        assert memory.residents == {}
    else:
        resident = confirm(memory, registration_id, code)
        assert resident.email == "ana@example.ar"
        assert resident.status == "pending"


def test_the_five_tries_the_ten_minutes_and_a_second_confirmation_all_get_the_one_refusal():
    memory = Memory()
    unknown = refusal(memory, "nope", "123456")
    first = start(memory, request())
    code = code_sent(memory, "+5492615999999")
    assert code is not None
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert [refusal(memory, first, wrong) for _ in range(5)] == [unknown] * 5
    assert refusal(memory, first, code) == unknown  # the sixth, right or not
    late = start(memory, request(email="late@example.ar"), "192.0.2.2")
    late_code = code_sent(memory, "+5492615999999")
    assert late_code is not None
    assert refusal(memory, late, late_code, NOW + timedelta(seconds=signup.CODE_VALID_S)) == unknown
    twice = start(memory, request(email="twice@example.ar"), "192.0.2.3")
    twice_code = code_sent(memory, "+5492615999999")
    assert twice_code is not None
    assert confirm(memory, twice, twice_code).status == "pending"
    assert refusal(memory, twice, twice_code) == unknown
    assert len(memory.residents) == 1


def test_nothing_secret_is_kept_in_plain_text():
    memory = Memory()
    registration_id = start(memory, request())
    code = code_sent(memory, "+5492615999999")
    [pending] = memory.pending.values()
    stored = repr(pending)
    for secret in (registration_id, code, "Segura-2026x", "192.0.2.1"):
        assert secret not in stored
    assert KEYS.open(pending.sealed_password, context=pending.key) == "Segura-2026x"
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):  # bound to its registration: another's key cannot open it
        KEYS.open(pending.sealed_password, context="registration#other")
