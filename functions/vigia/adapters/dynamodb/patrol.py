"""DynamoDB for hot-spot patrols: schedules by date and unit, check-ins, surveys; alerts read by local date.

One table (PatrolTable), keys chosen so every read is a GetItem or a Query on a key:

    pk                        sk                                   what
    SCHEDULE#<date>           #HEADER                              seed, rules, warnings, generation
    SCHEDULE#<date>           UNIT#<generation>#<unit_id>          one unit's stops
    CHECKINS#<date>           <unit_id>#<at>#<checkin_id>          a check-in, matched or not
    SURVEYS#<iso week>        <quadrant_id>#<at>#<survey_id>       a survey's answers

A schedule is written units first, header last: the header names the generation its readers see, so
a reader never mixes two generations and a crash halfway leaves the previous schedule in force.
An Idempotency-Key's first answer is a claim in IdempotencyTable (dynamodb.idempotency), taken in the same
transaction as the check-in or survey it answers for.
"""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from vigia import clock
from vigia.adapters.dynamodb import idempotency
from vigia.adapters.dynamodb.binding import Record, conditional_failed, connection, reasons, table, unbound
from vigia.patrol.checkins import CheckIn
from vigia.patrol.schedule import Schedule, UnitSchedule
from vigia.patrol.surveys import Survey

HEADER = "#HEADER"


@table("patrol_table")
class PatrolRecord(Record):
    Meta = unbound()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    data = UnicodeAttribute(null=True)  # the domain object as JSON
    generation = UnicodeAttribute(null=True)


def _claim_key(claim_key: str) -> str:
    return f"patrol#{claim_key}"


def _claim_failed(error: TransactWriteError, index: int) -> bool:
    why = reasons(error)
    return len(why) > index and why[index] == "ConditionalCheckFailed"


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class DynamoPatrolStore:
    # ------------------------------------------------------------ schedules
    def save_schedule(self, schedule: Schedule, *, replace: bool) -> bool:
        """Stores the schedule; with replace=False keeps an existing one and answers False."""
        pk = f"SCHEDULE#{schedule.date}"
        previous = self._header(schedule.date)
        if previous is not None and not replace:
            return False
        generation = clock.new_id()
        zone = schedule.zone
        with PatrolRecord.batch_write() as batch:
            for unit in schedule.units:
                batch.save(
                    PatrolRecord(
                        pk,
                        f"UNIT#{generation}#{unit.unit_id}",
                        kind="unit-schedule",
                        generation=generation,
                        data=json.dumps(unit.view(zone)),
                    )
                )
        header = {**schedule.header(), "hotspots_as_of": _iso(schedule.hotspots_as_of)}
        record = PatrolRecord(pk, HEADER, kind="schedule", generation=generation, data=json.dumps(header))
        try:
            if replace:
                record.save()
            else:
                record.save(condition=PatrolRecord.pk.does_not_exist())
        except PutError as error:
            if conditional_failed(error):
                self._delete_generation(pk, generation)  # someone else's schedule came first; ours goes
                return False
            raise
        if previous is not None and previous.generation:
            self._delete_generation(pk, previous.generation)
        return True

    def _header(self, date: str) -> PatrolRecord | None:
        try:
            return PatrolRecord.get(f"SCHEDULE#{date}", HEADER, consistent_read=True)
        except PatrolRecord.DoesNotExist:
            return None

    def _delete_generation(self, pk: str, generation: str) -> None:
        stale = list(PatrolRecord.query(pk, PatrolRecord.sk.startswith(f"UNIT#{generation}#")))
        with PatrolRecord.batch_write() as batch:
            for item in stale:
                batch.delete(item)

    def schedule(self, date: str, unit_id: str | None = None) -> Schedule | None:
        """The date's schedule (only `unit_id`'s part when given), or None when there is none."""
        header = self._header(date)
        if header is None or not header.data:
            return None
        pk = f"SCHEDULE#{date}"
        if unit_id is None:
            items = PatrolRecord.query(pk, PatrolRecord.sk.startswith(f"UNIT#{header.generation}#"))
            units = [json.loads(i.data) for i in items if i.data]
        else:
            try:
                item = PatrolRecord.get(pk, f"UNIT#{header.generation}#{unit_id}", consistent_read=True)
                units = [json.loads(item.data)] if item.data else []
            except PatrolRecord.DoesNotExist:
                units = []
        data = json.loads(header.data)
        schedule = Schedule.from_parts(data, units)
        as_of = _time(data.get("hotspots_as_of"))
        return schedule.as_of(as_of) if as_of else schedule

    def unit_schedule(self, date: str, unit_id: str) -> UnitSchedule | None:
        schedule = self.schedule(date, unit_id)
        return schedule.unit(unit_id) if schedule else None

    # ------------------------------------------------------------ idempotency
    def prior(self, claim_key: str) -> tuple[str, str] | None:
        """(request hash, resource id) of the first request made with this key, if any."""
        return idempotency.prior(_claim_key(claim_key))

    def remember(self, claim_key: str, request_hash: str, resource_id: str) -> tuple[str, str] | None:
        """Claims the key for this answer; the earlier answer if the key was already claimed."""
        return idempotency.claim(_claim_key(claim_key), request_hash, resource_id)

    def _create(
        self, record: PatrolRecord, claim: tuple[str, str] | None, resource_id: str
    ) -> tuple[str, str] | None:
        """Stores the record, and its Idempotency-Key claim in the same transaction."""
        if claim is None:
            record.save(condition=PatrolRecord.pk.does_not_exist())
            return None
        key, request_hash = claim
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(record, condition=PatrolRecord.pk.does_not_exist())
                tx.save(
                    idempotency.claim_record(_claim_key(key), request_hash, resource_id),
                    condition=idempotency.unclaimed(),
                )
        except TransactWriteError as error:
            if _claim_failed(error, 1):
                return self.prior(key)
            raise
        return None

    # ------------------------------------------------------------ check-ins
    def add_checkin(self, checkin: CheckIn, claim: tuple[str, str] | None = None) -> tuple[str, str] | None:
        data = {
            **checkin.view(),
            "at": checkin.at.isoformat(),
            "stop_start": _iso(checkin.stop_start),
            "lat": checkin.lat,
            "lon": checkin.lon,
            "accuracy_m": checkin.accuracy_m,
            "distance_m": checkin.distance_m,
        }
        sort_key = checkin_sort_key(checkin)
        record = PatrolRecord(f"CHECKINS#{checkin.date}", sort_key, kind="checkin", data=json.dumps(data))
        return self._create(record, claim, f"{checkin.date}/{sort_key}")

    def checkins(self, date: str) -> list[CheckIn]:
        return [_checkin(item) for item in PatrolRecord.query(f"CHECKINS#{date}")]

    def checkin(self, checkin_ref: str) -> CheckIn | None:
        """A check-in by the reference an Idempotency-Key claim keeps ("<date>/<sort key>")."""
        date, _, sort_key = checkin_ref.partition("/")
        try:
            return _checkin(PatrolRecord.get(f"CHECKINS#{date}", sort_key, consistent_read=True))
        except PatrolRecord.DoesNotExist:
            return None

    # ------------------------------------------------------------ surveys
    def add_survey(self, survey: Survey, claim: tuple[str, str] | None = None) -> tuple[str, str] | None:
        data = {
            "survey_id": survey.survey_id,
            "quadrant_id": survey.quadrant_id,
            "at": survey.at.isoformat(),
            "week": survey.week,
            "answers": dict(survey.answers),
            "unit_id": survey.unit_id,
        }
        record = PatrolRecord(
            f"SURVEYS#{survey.week}", survey_sort_key(survey), kind="survey", data=json.dumps(data)
        )
        return self._create(record, claim, survey.survey_id)

    def surveys(self, week: str, quadrant_id: str | None = None) -> list[Survey]:
        condition = PatrolRecord.sk.startswith(f"{quadrant_id}#") if quadrant_id else None
        found = []
        for item in PatrolRecord.query(f"SURVEYS#{week}", condition):
            d = json.loads(item.data or "{}")
            found.append(
                Survey(
                    d["survey_id"],
                    d["quadrant_id"],
                    datetime.fromisoformat(d["at"]),
                    d["week"],
                    d["answers"],
                    d.get("unit_id"),
                )
            )
        return found


def _checkin(item: PatrolRecord) -> CheckIn:
    d = json.loads(item.data or "{}")
    return CheckIn(
        checkin_id=d["checkin_id"],
        unit_id=d["unit_id"],
        date=d["date"],
        at=datetime.fromisoformat(d["at"]),
        lat=d["lat"],
        lon=d["lon"],
        accuracy_m=d.get("accuracy_m"),
        matched=d["matched"],
        outcome=d["outcome"],
        stop_start=_time(d.get("stop_start")),
        place_id=d.get("place_id"),
        distance_m=d.get("distance_m"),
    )


def checkin_sort_key(checkin: CheckIn) -> str:
    return f"{checkin.unit_id}#{clock.iso(checkin.at)}#{checkin.checkin_id}"


def survey_sort_key(survey: Survey) -> str:
    return f"{survey.quadrant_id}#{clock.iso(survey.at)}#{survey.survey_id}"
