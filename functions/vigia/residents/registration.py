"""Registration is how the city keeps false alarms down: a resident signs up, an operator approves."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from vigia import clock
from vigia.city import CityPack
from vigia.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidRequest,
    NotFound,
    OutsideServiceArea,
    Unprocessable,
)

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


@dataclass(frozen=True)
class UnderReview:
    """A resident as an operator reviews them: their record, the last review's reason, their strikes."""

    resident: Resident
    review_reason: str | None
    strikes: int


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


# What a signed-in resident without the citizen group is told when a route needs it, by their status.
NOT_ADMITTED = {
    PENDING: "Your registration is pending approval by the city's observatory.",
    REJECTED: "Your registration was not approved; the SMS you were sent says why and whom to call.",
}


def not_admitted(status: str | None) -> Forbidden:
    """The 403 for a resident who is not (or no longer) a citizen, naming their real status."""
    status = status if status in NOT_ADMITTED else PENDING
    return Forbidden(NOT_ADMITTED[status], resident_status=status)


def normalise_phone(raw: str, country_code: str, path: str = "/phone") -> str:
    """E.164 form of a phone number written the way residents write it."""
    import phonenumbers  # lazy: keeps the handler's cold start low

    try:
        number = phonenumbers.parse(raw, country_code)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        # 422, not 400: the text has the document's shape; the city's numbering plan refuses it
        raise Unprocessable(
            f"{raw!r} is not a valid phone number for {country_code}.",
            errors=[FieldError(path, "not a valid phone number")],
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_password(password: str) -> None:
    """The user pool's password policy, checked before anything is stored (400 names /password)."""
    if not (
        any(c.islower() for c in password)
        and any(c.isupper() for c in password)
        and any(c.isdigit() for c in password)
    ):
        raise InvalidRequest(
            "The password needs upper case, lower case and a digit.",
            errors=[FieldError("/password", "needs upper case, lower case and a digit")],
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
