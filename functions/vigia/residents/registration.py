"""Registration is how the city keeps false alarms down: a resident signs up, an operator approves."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from vigia import clock
from vigia.city import CityPack
from vigia.errors import Conflict, FieldError, InvalidRequest, NotFound, OutsideServiceArea

PENDING, APPROVED, REJECTED, SUSPENDED = "pending", "approved", "rejected", "suspended"


@dataclass(frozen=True)
class Resident:
    user_id: str
    full_name: str
    national_id: str
    phone: str
    email: str
    address: str
    home_lat: float
    home_lon: float
    locale: str
    status: str
    created_at: str
    block_id: str | None = None
    reviewed_at: str | None = None
    reviewed_by: str | None = None

    def profile(self) -> dict[str, Any]:
        """What the resident sees of themself on GET /v1/me."""
        data = asdict(self)
        data["home_location"] = {"lat": data.pop("home_lat"), "lon": data.pop("home_lon")}
        data.pop("reviewed_by")
        return data


class DuplicateValue(Exception):
    """Another resident already holds this e-mail, phone or national id."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class ResidentStore(Protocol):
    def create(self, resident: Resident) -> None:
        """Stores a new resident and claims its e-mail, phone and national id; DuplicateValue if taken."""

    def get(self, user_id: str) -> Resident | None: ...

    def review(self, user_id: str, *, status: str, block_id: str | None, by: str, at: str) -> Resident:
        """Moves a pending resident to `status`; Conflict if no longer pending."""
        ...


class Identity(Protocol):
    def create_user(self, email: str, password: str, phone: str) -> str:
        """Creates the sign-in identity and returns its user id; DuplicateValue("email") if it exists."""
        ...

    def delete_user(self, email: str) -> None: ...

    def add_to_group(self, email: str, group: str) -> None: ...


def normalise_phone(raw: str, country_code: str, path: str = "/phone") -> str:
    """E.164 form of a phone number written the way residents write it."""
    import phonenumbers  # lazy: keeps the handler's cold start low

    try:
        number = phonenumbers.parse(raw, country_code)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidRequest(
            f"{raw!r} is not a valid phone number for {country_code}.",
            errors=[FieldError(path, "not a valid phone number")],
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_password(password: str) -> None:
    if not (
        any(c.islower() for c in password)
        and any(c.isupper() for c in password)
        and any(c.isdigit() for c in password)
    ):
        raise InvalidRequest(
            "The password needs upper case, lower case and a digit.",
            errors=[FieldError("/password", "needs upper case, lower case and a digit")],
        )


def register(
    request: dict[str, Any], *, pack: CityPack, residents: ResidentStore, identity: Identity, now: datetime
) -> Resident:
    """A pending resident with a sign-in identity but no group yet."""
    _check_password(request["password"])
    phone = normalise_phone(request["phone"], pack.country_code)
    home = request["home_location"]
    if not pack.in_service_area(home["lat"], home["lon"]):
        raise OutsideServiceArea(
            f"The home location is outside {pack.name}'s service area.",
            errors=[FieldError("/home_location", "outside the service area")],
        )
    email = request["email"].strip().lower()
    national_id = "".join(c for c in request["national_id"] if c.isalnum()).upper()
    try:
        user_id = identity.create_user(email, request["password"], phone)
    except DuplicateValue as dup:
        raise _duplicate(dup.field) from None
    resident = Resident(
        user_id=user_id,
        full_name=request["full_name"].strip(),
        national_id=national_id,
        phone=phone,
        email=email,
        address=request["address"].strip(),
        home_lat=float(home["lat"]),
        home_lon=float(home["lon"]),
        locale=request.get("locale") or pack.locale,
        status=PENDING,
        created_at=clock.iso(now),
    )
    try:
        residents.create(resident)
    except DuplicateValue as dup:
        identity.delete_user(email)  # the identity must not outlive a refused registration
        raise _duplicate(dup.field) from None
    return resident


def _duplicate(field: str) -> Conflict:
    return Conflict(
        f"A resident with this {field.replace('_', ' ')} is already registered.",
        errors=[FieldError(f"/{field}", "already registered")],
    )


def approve(
    user_id: str,
    *,
    reviewer: str,
    pack: CityPack,
    residents: ResidentStore,
    identity: Identity,
    now: datetime,
) -> Resident:
    """Approves a pending resident: their home block is assigned and they join the `citizen` group."""
    resident = residents.get(user_id)
    if resident is None:
        raise NotFound(f"No registration {user_id}.")
    if resident.status != PENDING:
        raise Conflict(f"The registration is {resident.status}, not pending.", status_now=resident.status)
    block = pack.block_at(resident.home_lat, resident.home_lon)
    if block is None:
        raise OutsideServiceArea(
            "The resident's home location is on no block of the city pack; ask them to correct it.",
            errors=[FieldError("/home_location", "on no block")],
        )
    # The group first: adding it twice is harmless, so a failure here leaves the registration retryable.
    identity.add_to_group(resident.email, "citizen")
    approved = residents.review(
        user_id, status=APPROVED, block_id=block.block_id, by=reviewer, at=clock.iso(now)
    )
    return replace(approved, block_id=block.block_id)
