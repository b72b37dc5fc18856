"""Signing up without telling anyone who already uses Vigía: a code by SMS first, the resident after.

`POST /v1/registrations` always answers the same (202, a registration id, "confirmation_sent") whether or not
the e-mail, phone or national id is known: the code goes by SMS to the phone given, and anyone who already
holds one of those values is told by SMS that someone tried. `confirm` creates the pending resident only for
the right code, in time, within the tries, for an identity nobody holds; every other case gets one problem.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from vigia import clock
from vigia.city import CityPack
from vigia.dispatch import sms_text
from vigia.dispatch.protocol import SMS, Delivery
from vigia.errors import FieldError, OutsideServiceArea, TooManyRegistrations, VigiaError
from vigia.residents.national_id import normalise_national_id
from vigia.residents.registration import (
    PENDING,
    DuplicateValue,
    Identity,
    Resident,
    ResidentStore,
    check_password,
    normalise_phone,
)

CODE_DIGITS = 6
CODE_VALID_S = 10 * 60
MAX_TRIES = 5
SMS_PER_PHONE = 3  # registration SMS (codes and notices) one phone receives per window, whoever asks
NOTICE = "notice"  # the deliveries' kind for messages about a person, not an alert (as standing notices)
CODE_TARGET, ATTEMPT_TARGET = "registration_code", "registration_attempt"

# Vigía's neutral wording, by language, for a pack that does not word these SMS itself (its texts
# registration_code and registration_attempt: docs/city-pack.md).
CODE_TEXT: Mapping[str, str] = {
    "es": "Vigia: tu codigo de registro es {code}. Vence en 10 minutos. Si no lo pediste, ignoralo.",
    "en": "Vigia: your registration code is {code}. It expires in 10 minutes. Did not ask? Ignore it.",
    "pt": "Vigia: seu codigo de cadastro e {code}. Vence em 10 minutos. Se nao pediu, ignore.",
}
ATTEMPT_TEXT: Mapping[str, str] = {
    "es": "Vigia: alguien intento registrarse con tus datos. Si fuiste vos, ya tenes cuenta. Si no: "
    "{helpline}",
    "en": "Vigia: someone tried to register with your details. Was it you? You have an account. Else: "
    "{helpline}",
    "pt": "Vigia: alguem tentou se cadastrar com seus dados. Se foi voce, ja tem conta. Se nao: {helpline}",
}


class RegistrationNotConfirmed(VigiaError):
    """The one answer to a confirmation that creates nobody: wrong, expired, used up, unknown or taken."""

    status, title, slug = 422, "Registration not confirmed", "registration-not-confirmed"

    def __init__(self) -> None:
        super().__init__(
            "The code is wrong or no longer valid, or this registration cannot be confirmed. "
            "Register again to receive a new code.",
            errors=[FieldError("/code", "not accepted")],
        )


@dataclass(frozen=True)
class Applicant:
    """What a registration asks for, checked and normalised (e-mail in lower case, phone in E.164)."""

    full_name: str
    national_id: str
    phone: str
    email: str
    address: str
    home_lat: float
    home_lon: float
    locale: str


@dataclass(frozen=True)
class Holder:
    """Someone who already holds one of an applicant's e-mail, phone or national id (resident or staff)."""

    user_id: str
    phone: str | None
    locale: str | None


@dataclass(frozen=True)
class Pending:
    """A registration waiting for its code, as stored: the code and password never in plain text."""

    key: str  # derived from the registration id (the id itself is not stored)
    applicant: Applicant
    code_mac: str
    sealed_password: str
    taken: bool  # someone already holds this identity: no code can confirm it
    valid_until_s: int
    attempts: int = 0


class Keys(Protocol):
    """The stack's registration secret, applied (adapters.registration_keys.SecretKeys)."""

    def mac(self, purpose: str, value: str) -> str: ...

    def seal(self, plaintext: str, *, context: str) -> str: ...

    def open(self, sealed: str, *, context: str) -> str: ...


class RegistrationStore(Protocol):
    def admit_source(self, source_key: str, *, window_start_s: int, window_s: int, limit: int) -> bool:
        """One more registration from this source in this window, atomically; False past `limit`."""
        ...

    def holders(self, applicant: Applicant) -> list[Holder]:
        """Residents holding the applicant's e-mail, phone or national id (the same reads either way)."""
        ...

    def open(
        self,
        pending: Pending,
        deliveries: Sequence[tuple[Delivery, str]],
        *,
        at: str,
        window_start_s: int,
        window_s: int,
        per_phone: int,
    ) -> list[Delivery]:
        """Stores the registration with the queued records of the SMS whose phone (by its counter key) is
        still under `per_phone` this window, counting them, all atomically; the SMS it kept."""
        ...

    def attempt(self, key: str, *, now_s: int, max_tries: int) -> Pending | None:
        """Counts one try (a conditional update); None if unknown, expired, used up or confirmed."""
        ...

    def close(self, key: str) -> bool:
        """Marks it confirmed; False if another confirmation was first."""
        ...


class StaffDirectory(Protocol):
    def holder(self, email: str) -> Holder | None:
        """The sign-in identity with this e-mail (staff have no resident record), or None."""
        ...


class Notifier(Protocol):
    def enqueue(self, deliveries: Sequence[Delivery]) -> None: ...


@dataclass(frozen=True)
class Limits:
    per_source: int
    window_s: int


def applicant(request: Mapping[str, Any], pack: CityPack) -> Applicant:
    """The request checked (password, phone, national id, home) and normalised; 400/422 name the field."""
    check_password(str(request["password"]))
    phone = normalise_phone(request["phone"], pack.country_code)
    national_id = normalise_national_id(request["national_id"], pack.country_code)
    home = request["home_location"]
    if not pack.in_service_area(home["lat"], home["lon"]):
        raise OutsideServiceArea(
            f"The home location is outside {pack.name}'s service area.",
            errors=[FieldError("/home_location", "outside the service area")],
        )
    return Applicant(
        full_name=request["full_name"].strip(),
        national_id=national_id,
        phone=phone,
        email=normalise_email(request["email"]),
        address=request["address"].strip(),
        home_lat=float(home["lat"]),
        home_lon=float(home["lon"]),
        locale=request.get("locale") or pack.locale,
    )


def normalise_email(raw: str) -> str:
    """E-mails are compared and signed in with in lower case (the user pool is case-insensitive too)."""
    return raw.strip().lower()


def registration_key(registration_id: str) -> str:
    """What the store keys a registration by: a hash, so the table alone cannot be used to confirm one."""
    return "registration#" + hashlib.sha256(registration_id.encode()).hexdigest()


def phone_key(phone: str, keys: Keys) -> str:
    """A recipient's registration-SMS counter, by a keyed MAC of the phone."""
    return "phone#" + keys.mac("sms-phone", phone)[:32]


def source_key(source_ip: str, keys: Keys) -> str:
    """A source address as stored: a keyed MAC, never the address itself."""
    return "source#" + keys.mac("source-ip", source_ip)[:32]


def _code_mac(keys: Keys, key: str, code: str) -> str:
    return keys.mac("registration-code", f"{key}:{code}")


def _language(locale: str | None, pack: CityPack) -> str:
    return (locale or pack.locale).split("-")[0].lower()


def _sms(subject: str, target: str, phone: str, text: str, locale: str) -> Delivery:
    return Delivery(subject, NOTICE, SMS, target, phone, sms_text.fit(text), locale)


def start(
    request: Mapping[str, Any],
    *,
    source_ip: str,
    pack: CityPack,
    store: RegistrationStore,
    staff: StaffDirectory,
    notifier: Notifier,
    keys: Keys,
    limits: Limits,
    now: datetime,
) -> str:
    """Checks the request, counts it against its source, stores it and sends the SMS; the registration id.

    Both branches (a new person, an identity someone holds) do the same reads, one write and one enqueue.
    """
    person = applicant(request, pack)
    now_s = int(now.timestamp())
    window_start = now_s - now_s % limits.window_s
    if not store.admit_source(
        source_key(source_ip, keys),
        window_start_s=window_start,
        window_s=limits.window_s,
        limit=limits.per_source,
    ):
        raise TooManyRegistrations(
            f"Too many registrations from your network; at most {limits.per_source} an hour.",
            retry_after_s=window_start + limits.window_s - now_s,
        )
    holders = store.holders(person)
    staff_holder = staff.holder(person.email)
    if staff_holder is not None and all(h.user_id != staff_holder.user_id for h in holders):
        holders.append(staff_holder)
    registration_id = secrets.token_urlsafe(24)
    key = registration_key(registration_id)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    subject = "registration-" + key.removeprefix("registration#")[:20]
    deliveries: list[Delivery] = []
    told: set[str] = set()
    for holder in holders:
        if holder.phone and holder.phone not in told:
            told.add(holder.phone)
            text = _text(pack, "registration_attempt", holder.locale, {"helpline": pack.settings.helpline})
            deliveries.append(_sms(subject, ATTEMPT_TARGET, holder.phone, text, holder.locale or pack.locale))
    if person.phone not in told:  # a phone someone holds gets the notice, never a code it did not ask for
        text = _text(pack, "registration_code", person.locale, {"code": code})
        deliveries.append(_sms(subject, CODE_TARGET, person.phone, text, person.locale))
    pending = Pending(
        key=key,
        applicant=person,
        code_mac=_code_mac(keys, key, code),
        sealed_password=keys.seal(str(request["password"]), context=key),
        taken=bool(holders),
        valid_until_s=now_s + CODE_VALID_S,
    )
    at = clock.iso(now)
    # Each phone gets at most SMS_PER_PHONE of these an hour, so registration cannot bomb a phone with
    # codes, an owner with notices, or run up the city's SMS bill; the answer stays the same 202.
    sent = store.open(
        pending,
        [(d, phone_key(d.recipient, keys)) for d in deliveries],
        at=at,
        window_start_s=window_start,
        window_s=limits.window_s,
        per_phone=SMS_PER_PHONE,
    )
    if sent:
        notifier.enqueue(sent)
    return registration_id


def _pick(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts["es"]


_FALLBACK_TEXTS = {"registration_code": CODE_TEXT, "registration_attempt": ATTEMPT_TEXT}


def _text(pack: CityPack, key: str, locale: str | None, values: Mapping[str, str]) -> str:
    """The pack's wording of `key` in the recipient's locale; Vigía's own when the pack has none."""
    if pack.has_message(key):
        return pack.message(key, locale, values)
    return _pick(_FALLBACK_TEXTS[key], _language(locale, pack)).format_map(values)


def confirm(
    registration_id: str,
    code: str,
    *,
    store: RegistrationStore,
    residents: ResidentStore,
    identity: Identity,
    keys: Keys,
    now: datetime,
) -> Resident:
    """The pending resident operators review, created once; RegistrationNotConfirmed for everything else."""
    key = registration_key(registration_id)
    pending = store.attempt(key, now_s=int(now.timestamp()), max_tries=MAX_TRIES)
    expected = pending.code_mac if pending is not None else _code_mac(keys, key, "-")  # the same work
    given = _code_mac(keys, key, code)
    if pending is None or not hmac.compare_digest(expected, given) or pending.taken:
        raise RegistrationNotConfirmed()
    if not store.close(key):  # a second confirmation of the same registration
        raise RegistrationNotConfirmed()
    person = pending.applicant
    password = keys.open(pending.sealed_password, context=key)
    try:
        user_id = identity.create_user(person.email, password, person.phone)
    except DuplicateValue:
        raise RegistrationNotConfirmed() from None
    resident = Resident(
        user_id=user_id,
        full_name=person.full_name,
        national_id=person.national_id,
        phone=person.phone,
        email=person.email,
        address=person.address,
        home_lat=person.home_lat,
        home_lon=person.home_lon,
        locale=person.locale,
        status=PENDING,
        created_at=clock.iso(now),
    )
    try:
        residents.create(resident)
    except DuplicateValue:
        identity.delete_user(person.email)  # the identity must not outlive a refused registration
        raise RegistrationNotConfirmed() from None
    return resident
