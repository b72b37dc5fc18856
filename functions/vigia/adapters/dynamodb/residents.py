"""ResidentsTable: a resident (pk = Cognito sub) and the uniqueness claims that share the table
(`unique#<field>#<value>`, owner = the user_id holding the value); its one model and mapping.

Registration creates a resident with its claims (one transaction), operators review it, dispatch reads a
sender and the approved neighbours of a block (the `by_block` index), the false-alarm policy moves its
standing inside the lifecycle's transactions (dynamodb.incidents).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.transactions import TransactWrite

from vigia.adapters.dynamodb import cursors
from vigia.adapters.dynamodb.binding import Record, conditional_failed, connection, reasons, table, unbound
from vigia.dispatch.protocol import Neighbour, Sender
from vigia.errors import Conflict, NotFound
from vigia.incidents.standing import Standing
from vigia.incidents.stores import StandingChange
from vigia.residents.registration import APPROVED, PENDING, DuplicateValue, Resident, UnderReview
from vigia.residents.signup import Applicant, Holder

RESIDENT = "resident"
_UNIQUE_FIELDS = ("email", "phone", "national_id")


class ResidentsByBlock(GlobalSecondaryIndex["ResidentRecord"]):
    class Meta:
        index_name = "by_block"
        projection = IncludeProjection(["status", "phone", "locale"])

    block_id = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class ResidentsByStatus(GlobalSecondaryIndex["ResidentRecord"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@table("residents_table")
class ResidentRecord(Record):
    """A resident, or a uniqueness claim (kind = "unique")."""

    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(default=RESIDENT)
    full_name = UnicodeAttribute(null=True)
    national_id = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    home_lat = NumberAttribute(null=True)
    home_lon = NumberAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    block_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    review_reason = UnicodeAttribute(null=True)
    strikes = ListAttribute(of=UnicodeAttribute, null=True)  # false alarms (vigia.incidents.standing)
    strikes_reset_at = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)  # on uniqueness claims: the user_id holding the value
    by_block = ResidentsByBlock()
    by_status = ResidentsByStatus()


# ------------------------------------------------------------------ the one mapping
# A person's own fields, kept alike by a registration waiting for its code (dynamodb.registrations) and by
# the resident it becomes: the applicant's fields.
PERSON = tuple(f.name for f in fields(Applicant))


def person(record: Any) -> dict[str, Any]:
    """A person's fields as stored on a resident's or a registration's record (absent ones empty)."""
    found = {name: getattr(record, name) for name in PERSON}
    return {
        **{name: value or "" for name, value in found.items()},
        "home_lat": float(found["home_lat"] or 0),
        "home_lon": float(found["home_lon"] or 0),
    }


def person_attributes(someone: Applicant | Resident) -> dict[str, Any]:
    """A person's fields as a record stores them."""
    return {name: getattr(someone, name) for name in PERSON}


def resident(record: ResidentRecord) -> Resident:
    return Resident(
        user_id=record.pk,
        **person(record),
        status=record.status or PENDING,
        created_at=record.created_at or "",
        block_id=record.block_id,
        reviewed_at=record.reviewed_at,
        reviewed_by=record.reviewed_by,
    )


def standing_of(record: ResidentRecord) -> Standing | None:
    if (record.kind or RESIDENT) != RESIDENT:
        return None
    return Standing(
        user_id=record.pk,
        status=record.status or PENDING,
        phone=record.phone,
        locale=record.locale,
        strikes=tuple(str(x) for x in (record.strikes or ())),
        strikes_reset_at=record.strikes_reset_at,
    )


def _record(r: Resident) -> ResidentRecord:
    return ResidentRecord(
        r.user_id, **person_attributes(r), status=r.status, created_at=r.created_at, block_id=r.block_id
    )


def _unique_key(field: str, value: str) -> str:
    return f"unique#{field}#{value}"


# ------------------------------------------------------------------ the store
class DynamoResidentStore:
    def create(self, resident: Resident) -> None:
        claims = [
            ResidentRecord(_unique_key(f, getattr(resident, f)), kind="unique", owner=resident.user_id)
            for f in _UNIQUE_FIELDS
        ]
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(_record(resident), condition=ResidentRecord.pk.does_not_exist())
                for claim in claims:
                    tx.save(claim, condition=ResidentRecord.pk.does_not_exist())
        except TransactWriteError as error:
            for field, reason in zip(("user_id", *_UNIQUE_FIELDS), reasons(error), strict=False):
                if reason == "ConditionalCheckFailed":
                    raise DuplicateValue(field) from None
            raise

    def get(self, user_id: str) -> Resident | None:
        try:
            record = ResidentRecord.get(user_id)
        except ResidentRecord.DoesNotExist:
            return None
        if record.kind != RESIDENT:
            return None
        return resident(record)

    def review(self, user_id: str, *, status: str, block_id: str | None, by: str, at: str) -> Resident:
        record = ResidentRecord(user_id)
        actions: list[Any] = [
            ResidentRecord.status.set(status),
            ResidentRecord.reviewed_by.set(by),
            ResidentRecord.reviewed_at.set(at),
        ]
        if block_id:
            actions.append(ResidentRecord.block_id.set(block_id))
        try:
            record.update(actions=actions, condition=ResidentRecord.status == PENDING)
        except UpdateError as error:
            if conditional_failed(error):
                current = self.get(user_id)
                if current is None:
                    raise NotFound(f"No registration {user_id}.") from None
                raise Conflict(f"The registration is {current.status}, not pending.") from None
            raise
        return resident(record)

    def put_seeded(self, residents: list[Resident]) -> None:
        """Bulk load for the local demo and partner-city seeding (no uniqueness claims needed)."""
        with ResidentRecord.batch_write() as batch:
            for r in residents:
                batch.save(_record(r))


# ------------------------------------------------------------------ reads for dispatch and registration
def sender(user_id: str) -> Sender | None:
    try:
        r = ResidentRecord.get(user_id)
    except ResidentRecord.DoesNotExist:
        return None
    lat, lon = (None, None) if r.home_lat is None or r.home_lon is None else (r.home_lat, r.home_lon)
    return Sender(r.pk, r.full_name or "", r.phone or "", r.address or "", r.locale, lat, lon)


def neighbours(block_id: str) -> list[Neighbour]:
    """The approved residents of a block (the by_block index projects status, phone and locale)."""
    return [
        Neighbour(r.pk, r.phone or "", r.locale)
        for r in ResidentRecord.by_block.query(block_id, filter_condition=ResidentRecord.status == APPROVED)
    ]


def holders(applicant: Applicant) -> list[Holder]:
    """Who holds the applicant's e-mail, phone or national id (two BatchGetItems, whoever holds them)."""
    claims = [_unique_key(f, getattr(applicant, f)) for f in ("email", "phone", "national_id")]
    owners = sorted({r.owner for r in ResidentRecord.batch_get(claims) if r.owner})
    # With nobody to look up, read a key that cannot exist: both branches make the same two reads.
    records = list(ResidentRecord.batch_get(owners or ["unique#none"]))
    return [Holder(r.pk, r.phone, r.locale) for r in records if r.kind == RESIDENT]


def standing(user_id: str) -> Standing | None:
    try:
        return standing_of(ResidentRecord.get(user_id, consistent_read=True))
    except ResidentRecord.DoesNotExist:
        return None


def by_status(status: str, *, limit: int, cursor: str | None) -> tuple[list[UnderReview], str | None]:
    """Residents in `status`, oldest registration first (a Query on `by_status`)."""
    start = cursors.decode(cursor) if cursor else None
    if start is not None and (
        not isinstance(start, dict) or start.get("status") != status or not start.get("pk")
    ):
        raise cursors.foreign("The cursor belongs to another listing.", "not for this status")
    key = (
        {"pk": {"S": start["pk"]}, "status": {"S": status}, "created_at": {"S": start["created_at"]}}
        if start
        else None
    )
    results = ResidentRecord.by_status.query(status, last_evaluated_key=key, page_size=limit + 1)
    page: list[ResidentRecord] = []
    more = False
    for record in results:
        if len(page) == limit:
            more = True
            break
        page.append(record)
    next_cursor = None
    if more and page:
        last = page[-1]
        next_cursor = cursors.encode({"pk": last.pk, "status": status, "created_at": last.created_at})
    reviewed = [
        UnderReview(resident(r), r.review_reason, len(r.strikes or ()))
        for r in page
        if (r.kind or RESIDENT) == RESIDENT
    ]
    return reviewed, next_cursor


# ------------------------------------------------------------------ standing, in the lifecycle's steps
def change_standing(tx: TransactWrite, change: StandingChange) -> None:
    record = ResidentRecord(change.user_id)
    actions: list[Any] = [ResidentRecord.status.set(change.status)]
    if change.strike is not None:  # appended in place: a concurrent strike is never overwritten
        actions.append(ResidentRecord.strikes.set((ResidentRecord.strikes | []).append([change.strike])))
    elif change.strikes is not None:
        actions.append(ResidentRecord.strikes.set(list(change.strikes)))  # type: ignore[arg-type]
    if change.status != change.expect_status:
        actions += [
            ResidentRecord.reviewed_at.set(change.at),
            ResidentRecord.reviewed_by.set(change.by or ""),
        ]
        actions.append(
            ResidentRecord.review_reason.set(change.reason)
            if change.reason
            else ResidentRecord.review_reason.remove()
        )
    if change.strikes_reset:
        actions.append(ResidentRecord.strikes_reset_at.set(change.at))
    condition = (ResidentRecord.status == change.expect_status) & (
        ResidentRecord.kind.does_not_exist() | (ResidentRecord.kind == RESIDENT)
    )
    if change.expect_strikes is not None:
        if change.expect_strikes == 0:
            condition &= ResidentRecord.strikes.does_not_exist() | (size(ResidentRecord.strikes) == 0)
        else:
            condition &= size(ResidentRecord.strikes) == change.expect_strikes
    tx.update(record, actions=actions, condition=condition)
