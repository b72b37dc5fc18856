"""What the patrol routes and the weekly run do, given the city pack and the stores (no AWS here)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date as Date
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from vigia import clock
from vigia.errors import FieldError, IdempotencyKeyReused, InvalidRequest, NotFound, Unprocessable
from vigia.hotspots import AlertSample, HotspotMap, alerts_behind, as_of, place_grid, score_for_date
from vigia.patrol.checkins import CheckIn, dosage, match
from vigia.patrol.planning import parse_date, plan_day, questions
from vigia.patrol.schedule import Schedule, UnitSchedule
from vigia.patrol.surveys import Survey, answer_errors, summarise, week_of, weeks_between

if TYPE_CHECKING:
    from vigia.city import CityPack

MAX_HOTSPOTS = 1000
MAX_SURVEY_WEEKS = 53
MAX_DOSAGE_DAYS = 31  # one GET /v1/patrols/dosage?from=&to=: a month of schedules and check-ins
CHECKIN_CLOCK_SKEW = timedelta(minutes=5)  # a device clock this far ahead is still believed
Claim = tuple[str, str]  # (idempotency key, request hash)


class AlertHistory(Protocol):
    def on_date(self, local_date: str) -> Iterable[AlertSample]: ...


class PatrolStore(Protocol):
    def save_schedule(self, schedule: Schedule, *, replace: bool) -> bool: ...
    def schedule(self, date: str, unit_id: str | None = None) -> Schedule | None: ...
    def unit_schedule(self, date: str, unit_id: str) -> UnitSchedule | None: ...
    def prior(self, claim_key: str) -> tuple[str, str] | None: ...
    def remember(self, claim_key: str, request_hash: str, resource_id: str) -> tuple[str, str] | None: ...
    def add_checkin(self, checkin: CheckIn, claim: Claim | None = None) -> tuple[str, str] | None: ...
    def checkins(self, date: str) -> list[CheckIn]: ...
    def checkin(self, checkin_ref: str) -> CheckIn | None: ...
    def add_survey(self, survey: Survey, claim: Claim | None = None) -> tuple[str, str] | None: ...
    def surveys(self, week: str, quadrant_id: str | None = None) -> list[Survey]: ...


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _same_request(prior: tuple[str, str] | None, digest: str) -> str | None:
    """The prior answer's resource id for a retry; IdempotencyKeyReused for another body."""
    if prior is None:
        return None
    if prior[0] != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different request.",
            errors=[FieldError("/Idempotency-Key", "already used with another body")],
        )
    return prior[1]


def today(pack: CityPack, now: datetime) -> Date:
    return now.astimezone(pack.zone_info).date()


def _day(text: str | None, pack: CityPack, now: datetime, field: str = "/date") -> Date:
    return today(pack, now) if text is None else parse_date(text, field)


def _known_quadrant(pack: CityPack, quadrant_id: str | None, field: str) -> str | None:
    if quadrant_id is not None and quadrant_id not in pack.quadrants:
        raise InvalidRequest(
            f"Unknown quadrant {quadrant_id}.",
            errors=[FieldError(field, f"unknown quadrant; the city's are {', '.join(pack.quadrants)}")],
        )
    return quadrant_id


# ---------------------------------------------------------------- hot spots
def hotspots(day: Date, pack: CityPack, history: AlertHistory) -> HotspotMap:
    return score_for_date(day, pack, history.on_date)


def hotspots_view(
    *,
    date: str | None,
    quadrant: str | None,
    limit: str | None,
    pack: CityPack,
    history: AlertHistory,
    now: datetime,
) -> dict[str, Any]:
    day = _day(date, pack, now)
    quadrant_id = _known_quadrant(pack, quadrant, "/quadrant")
    try:
        top = int(limit) if limit is not None else 100
    except ValueError:
        top = -1
    if not 1 <= top <= MAX_HOTSPOTS:
        raise InvalidRequest(
            f"limit must be a whole number from 1 to {MAX_HOTSPOTS}.",
            errors=[FieldError("/limit", f"1 to {MAX_HOTSPOTS}")],
        )
    result = hotspots(day, pack, history)
    ranked = result.ranked(quadrant_id)
    rules = result.rules
    return {
        "date": day.isoformat(),
        "as_of": result.as_of.isoformat(timespec="seconds"),
        "quadrant_id": quadrant_id,
        "lookback_days": rules.lookback_days,
        "half_life_days": rules.half_life_days,
        "h3_resolution": pack.settings.hotspots.h3_resolution,
        "z_threshold": round(rules.z_threshold, 2),
        "alerts_counted": result.alerts_counted,
        "alerts_not_counted": result.alerts_not_counted,
        "places_scored": len(ranked),
        "hot_spots": sum(1 for p in ranked if p.hot),
        "items": [place.view(rank) for rank, place in enumerate(ranked[:top], start=1)],
    }


def hotspot_alerts_view(
    *, place_id: str, date: str | None, pack: CityPack, history: AlertHistory, now: datetime
) -> dict[str, Any]:
    """GET /v1/hotspots/{place_id}/alerts: the alerts counted into the place for the day's hot spots.

    Never a silent alert (they weigh on a whole quadrant, never on a place), a false alarm or a cancelled
    alert: the listing is the selection that made the place's score (`vigia.hotspots.scoring.placed`).
    """
    day = _day(date, pack, now)
    found = alerts_behind(day, place_id, pack, history.on_date)
    if found is None:
        raise NotFound(f"No place {place_id} on the city's hot-spot grid.")
    place = place_grid(pack).places[place_grid(pack).index[place_id]]
    return {
        "date": day.isoformat(),
        "place_id": place_id,
        "quadrant_id": place.quadrant_id,
        "centroid": {"lat": place.lat, "lon": place.lon},
        "as_of": as_of(day, pack.time_zone).isoformat(timespec="seconds"),
        "items": [
            {
                "alert_id": sample.alert_id,
                "type": sample.type,
                "created_at": clock.iso(sample.created_at),
                "local_date": sample.created_at.astimezone(pack.zone_info).date().isoformat(),
                "weight": round(weight, 4),
            }
            for sample, weight in found
        ],
    }


# ---------------------------------------------------------------- schedules
def generate_schedule(
    body: Mapping[str, Any],
    *,
    pack: CityPack,
    history: AlertHistory,
    store: PatrolStore,
    now: datetime,
    claim: Claim | None = None,
) -> Schedule:
    """Generates and stores the date's schedule (replacing any); a retry with the same key replays it."""
    if claim is not None:
        replay = _same_request(store.prior(claim[0]), claim[1])
        if replay is not None:
            existing = store.schedule(replay)
            if existing is not None:
                return existing
    day = parse_date(body.get("date"))
    result = hotspots(day, pack, history)
    schedule = plan_day(day, pack, result, seed=body.get("seed"), units=body.get("units"), generated_at=now)
    schedule = schedule.as_of(result.as_of)
    store.save_schedule(schedule, replace=True)
    if claim is not None:
        store.remember(claim[0], claim[1], schedule.date)
    return schedule


def read_schedule(
    store: PatrolStore, date: str, unit_id: str | None = None, pack: CityPack | None = None
) -> Schedule:
    parse_date(date)
    schedule = store.schedule(date, unit_id)
    if schedule is None:
        raise NotFound(
            f"No patrol schedule for {date}; an operator can generate one (POST /v1/patrol-schedules)."
        )
    if unit_id is not None and schedule.unit(unit_id) is None:
        known = pack is None or unit_id in pack.units
        raise NotFound(f"Unit {unit_id} has no stops on {date}." if known else f"No unit {unit_id}.")
    return schedule


def schedule_view(schedule: Schedule) -> dict[str, Any]:
    view = schedule.view()
    if schedule.hotspots_as_of is not None:
        view["hotspots_as_of"] = schedule.hotspots_as_of.isoformat(timespec="seconds")
    return view


def next_week(run_day: Date) -> Date:
    """The Monday after `run_day` (a week later when it is a Monday itself)."""
    return run_day + timedelta(days=7 - run_day.weekday())


def weekly(
    *, start: Date, days: int, pack: CityPack, history: AlertHistory, store: PatrolStore, now: datetime
) -> dict[str, Any]:
    """Schedules for `days` dates from `start`, keeping any already made (an operator's, or an earlier
    run's: a retried run changes nothing). Hot spots are computed once, with every alert up to the run."""
    as_of_day = min(today(pack, now) + timedelta(days=1), start)
    result = hotspots(as_of_day, pack, history)
    made: list[str] = []
    kept: list[str] = []
    for n in range(days):
        day = start + timedelta(days=n)
        schedule = plan_day(day, pack, result, seed=None, units=None, generated_at=now).as_of(result.as_of)
        (made if store.save_schedule(schedule, replace=False) else kept).append(day.isoformat())
    return {"generated": made, "kept": kept, "hotspots_as_of": result.as_of.isoformat(timespec="seconds")}


# ---------------------------------------------------------------- check-ins and dosage
def record_checkin(
    body: Mapping[str, Any], *, pack: CityPack, store: PatrolStore, now: datetime, claim: Claim | None = None
) -> tuple[CheckIn, bool]:
    """The check-in, matched against the unit's schedule, and whether it is new (False: a replay)."""
    unit_id = body["unit_id"]
    if unit_id not in pack.units:
        raise InvalidRequest(
            f"Unknown unit {unit_id}.",
            errors=[FieldError("/unit_id", f"unknown unit; the city's are {', '.join(pack.units)}")],
        )
    at = _reported_at(body, now)
    if at > now + CHECKIN_CLOCK_SKEW:
        raise Unprocessable(
            "The check-in time is in the future.", errors=[FieldError("/at", "in the future")]
        )
    if claim is not None:
        replay = _same_request(store.prior(claim[0]), claim[1])
        found = store.checkin(replay) if replay is not None else None
        if found is not None:
            return found, False
    location = body["location"]
    day = _date_of(at, pack)
    checkin = match(
        store.unit_schedule(day, unit_id),
        checkin_id=clock.new_id(now),
        unit_id=unit_id,
        date=day,
        at=at,
        lat=float(location["lat"]),
        lon=float(location["lon"]),
        accuracy_m=location.get("accuracy_m"),
    )
    prior = store.add_checkin(checkin, claim)
    if prior is not None:  # a concurrent retry won the race: answer with its check-in
        found = store.checkin(prior[1])
        if found is not None:
            return found, False
    return checkin, True


def _date_of(at: datetime, pack: CityPack) -> str:
    return at.astimezone(pack.zone_info).date().isoformat()


def dosage_view(date: str | None, *, pack: CityPack, store: PatrolStore, now: datetime) -> dict[str, Any]:
    day = _day(date, pack, now).isoformat()
    schedule = read_schedule(store, day)
    return dosage(schedule, store.checkins(day))


def dosage_report(
    *,
    date: str | None,
    first: str | None,
    last: str | None,
    pack: CityPack,
    store: PatrolStore,
    now: datetime,
) -> dict[str, Any]:
    """GET /v1/patrols/dosage: one day (?date=, as before) or a range (?from=&to=, at most 31 days)."""
    if first is None and last is None:
        return dosage_view(date, pack=pack, store=store, now=now)
    if date is not None:
        raise Unprocessable(
            "Ask for one date or a range (from, to), not both.",
            errors=[FieldError("/date", "not with from and to")],
        )
    if first is None or last is None:
        missing = "/from" if first is None else "/to"
        raise Unprocessable(
            "A range needs both from and to.", errors=[FieldError(missing, "required with the other end")]
        )
    start, end = parse_date(first, "/from"), parse_date(last, "/to")
    if end < start:
        raise Unprocessable("to is before from.", errors=[FieldError("/to", "on or after from")])
    if (end - start).days + 1 > MAX_DOSAGE_DAYS:
        raise Unprocessable(
            f"A dosage range is at most {MAX_DOSAGE_DAYS} days.",
            errors=[FieldError("/to", f"at most {MAX_DOSAGE_DAYS} days after from, both included")],
        )
    return dosage_range(start, end, store)


def dosage_range(start: Date, end: Date, store: PatrolStore) -> dict[str, Any]:
    """A row per day (that day's totals; a day without a schedule says so) and the range's totals."""
    days: list[dict[str, Any]] = []
    for n in range((end - start).days + 1):
        day = (start + timedelta(days=n)).isoformat()
        schedule = store.schedule(day)
        if schedule is None:
            days.append({"date": day, "scheduled": False, **_NOTHING_PLANNED})
            continue
        days.append({"date": day, "scheduled": True, **dosage(schedule, store.checkins(day))["totals"]})
    planned = sum(d["planned_min"] for d in days)
    done = sum(d["done_min"] for d in days)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "days": days,
        "totals": {
            "days": len(days),
            "days_scheduled": sum(1 for d in days if d["scheduled"]),
            "stops_planned": sum(d["stops_planned"] for d in days),
            "stops_done": sum(d["stops_done"] for d in days),
            "planned_min": round(planned, 1),
            "done_min": round(done, 1),
            "compliance": round(done / planned, 3) if planned else None,
        },
    }


_NOTHING_PLANNED: dict[str, Any] = {
    "stops_planned": 0,
    "stops_done": 0,
    "planned_min": 0,
    "done_min": 0,
    "compliance": None,
}


def _reported_at(body: Mapping[str, Any], now: datetime) -> datetime:
    """The body's `at` (when the officer was there), or now; 400 for a date that does not exist."""
    if not body.get("at"):
        return now
    try:
        return clock.parse_iso(body["at"])
    except ValueError:
        raise Unprocessable(
            f"at is not a time that exists: {body['at']!r}.",
            errors=[FieldError("/at", "not a real date and time")],
        ) from None


# ---------------------------------------------------------------- surveys
def record_survey(
    body: Mapping[str, Any], *, pack: CityPack, store: PatrolStore, now: datetime, claim: Claim | None = None
) -> tuple[dict[str, Any], bool]:
    quadrant_id = _known_quadrant(pack, body["quadrant_id"], "/quadrant_id")
    assert quadrant_id is not None
    errors = answer_errors(body["answers"], questions(pack))
    unit_id = body.get("unit_id")
    if unit_id is not None and unit_id not in pack.units:
        errors.append(FieldError("/unit_id", "unknown unit"))
    if errors:
        raise InvalidRequest(f"{errors[0].path}: {errors[0].message}", errors=errors)
    at = _reported_at(body, now)
    if at > now + CHECKIN_CLOCK_SKEW:
        raise Unprocessable("The survey time is in the future.", errors=[FieldError("/at", "in the future")])
    if claim is not None:
        replay = _same_request(store.prior(claim[0]), claim[1])
        if replay is not None:
            return _survey_receipt(replay, quadrant_id, week_of(at, pack.zone_info)), False
    answers = {question: int(value) for question, value in body["answers"].items()}  # 4.0 is stored as 4
    survey = Survey(clock.new_id(now), quadrant_id, at, week_of(at, pack.zone_info), answers, unit_id)
    prior = store.add_survey(survey, claim)
    if prior is not None:
        return _survey_receipt(prior[1], quadrant_id, survey.week), False
    return _survey_receipt(survey.survey_id, quadrant_id, survey.week), True


def _survey_receipt(survey_id: str, quadrant_id: str, week: str) -> dict[str, Any]:
    return {"survey_id": survey_id, "quadrant_id": quadrant_id, "week": week}


def survey_summary(
    *,
    first: str | None,
    last: str | None,
    quadrant: str | None,
    pack: CityPack,
    store: PatrolStore,
    now: datetime,
) -> dict[str, Any]:
    end = _day(last, pack, now, "/to")
    start = parse_date(first, "/from") if first else end - timedelta(days=27)
    weeks = weeks_between(start, end) if start <= end else []
    clock.check_period(start, end, most=MAX_SURVEY_WEEKS, count=len(weeks), unit="weeks")
    quadrant_id = _known_quadrant(pack, quadrant, "/quadrant")
    found: list[Survey] = []
    for week in weeks:
        found.extend(store.surveys(week, quadrant_id))
    items = summarise(found, questions(pack), small_sample=pack.settings.small_cell_threshold)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "weeks": weeks,
        "quadrant_id": quadrant_id,
        "questions": {
            q.question_id: {"text": dict(q.text), "scale": list(q.scale)}
            for q in pack.perception_questions.values()
        },
        "items": items,
    }
