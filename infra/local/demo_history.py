"""The demo city's past: days of synthetic but plausible alerts, their lifecycles, a few silent alerts, patrol
schedules and check-ins, perception surveys and the nightly indicators of those days (`make run`).

Everything goes through the stack's own code: each alert's steps are planned by the incident lifecycle
(`vigia.incidents.lifecycle.plan`, the rules an operator's click meets) and stored with the Alerts table's one
model in batches; silent alerts are submitted and sealed by the real intake path (`vigia.alerts.submission`,
KMS on the emulator) and closed by the response team's lifecycle through the incident store; schedules are
planned from the hot spots of that history (`vigia.patrol`), check-ins matched against them and written with
the patrol store's own records; the indicators are the NightlyIndicatorsFunction run for those days.

It runs as the local stack's preload (infra/local/stack.py), before any pump: like a table imported from S3,
none of it is a stream record, so nothing is dispatched, relayed or sent again. The same seed gives the same
history (silent alerts' ids and envelopes excepted: the intake path draws those).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from vigia import clock, runtime
from vigia.adapters.dynamodb.alerts import SK, AlertRecord, Location
from vigia.adapters.dynamodb.patrol import DynamoPatrolStore, PatrolRecord
from vigia.city import CityPack
from vigia.incidents import lifecycle
from vigia.incidents.lifecycle import Actor, Incident
from vigia.residents.registration import APPROVED, Resident

log = logging.getLogger("local_stack")

SEED = 2026

# An alert's hour of day (local): quiet before dawn, a rise through the afternoon, the peak after dark.
HOURLY = (
    3, 2, 1.5, 1, 1, 1.2, 2, 3, 4, 4.5, 5, 5.5,
    6, 5.5, 5, 5, 5.5, 6.5, 8, 9.5, 10, 9, 7, 5,
)  # fmt: skip
# Monday … Sunday: Friday and Saturday nights are the busy ones.
WEEKLY = (0.9, 0.85, 0.9, 0.95, 1.25, 1.4, 1.05)
ALERTS_PER_DAY = 24  # on an average day, for the whole city
# How often each kind of public alert is sent (silent ones come apart: SILENT_EVERY_DAYS); a pack's type not
# named here (Peñalolén's wildfire) is sent OTHER_TYPE_WEIGHT times in a hundred or so (type_mix).
TYPE_MIX = {"suspicious_activity": 40, "robbery": 28, "medical_emergency": 14, "panic": 10, "fire": 4}
OTHER_TYPE_WEIGHT = 3
# Who an operator hands an alert over to, in the notes of the history's steps: (medical, police).
HANDOVERS = {
    "AR": (
        "handed to SEC 107",
        "provincial police take it",
    ),  # Mendoza's emergency service, the province's police
    "CL": ("handed to SAMU 131", "Carabineros take it"),
}
HANDOVER_ELSEWHERE = ("handed to the medical service", "the police take it")
HOT_SHARE = 0.35  # of the alerts, at the city's few persistent hot spots
HOT_SPOTS = 4
SILENT_EVERY_DAYS = 9
OPEN_TODAY = 5  # at most: today's newest alerts are still open in the queue
SCHEDULE_DAYS = 14  # past days with a patrol schedule (and its check-ins), plus today and the next 6
SURVEYS_PER_QUADRANT_WEEK = (3, 8)
INDICATOR_DAYS_AT_START = 7  # computed before the stack is ready; older days are queued


@dataclass
class Summary:
    days: int = 0
    alerts: int = 0
    open_alerts: int = 0
    silent_alerts: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    schedules: int = 0
    checkins: int = 0
    surveys: int = 0
    indicator_days: int = 0
    indicator_days_queued: int = 0

    def view(self) -> dict[str, Any]:
        return {
            "Days": self.days,
            "Alerts": self.alerts,
            "OpenAlerts": self.open_alerts,
            "SilentAlerts": self.silent_alerts,
            "Outcomes": dict(sorted(self.by_outcome.items())),
            "Schedules": self.schedules,
            "CheckIns": self.checkins,
            "Surveys": self.surveys,
            "IndicatorDays": self.indicator_days,
            "IndicatorDaysQueued": self.indicator_days_queued,
        }


def load_history(
    days: int,
    *,
    residents: int,
    invoke: Callable[[str, Any], Any],
    now: datetime | None = None,
    seed: int = SEED,
) -> dict[str, Any]:
    """`days` days before today and today so far; returns what was written (outputs.json's DemoHistory).

    `residents` is how many synthetic residents the demo seed loads (the senders are among them);
    `invoke(logical_id, event)` runs one of the stack's functions (the nightly indicators).
    """
    summary = Summary(days=days)
    if days <= 0:
        return summary.view()
    pack = runtime.city_pack()
    rng = random.Random(seed)
    now = now or clock.now()
    zone = ZoneInfo(pack.time_zone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days)
    senders = _senders(pack, residents)
    places = _Places(pack, rng)

    timer = _Timer()
    records = []
    for day in _days(first, today):
        for alert in _alerts_of(day, pack, places, senders, rng, zone=zone, now=now):
            records.append(_lived(alert, pack, rng, now=now, today=day == today, summary=summary))
    timer("planned alerts")
    _write_alerts(records)
    timer("wrote alerts")
    summary.alerts = len(records)
    summary.open_alerts = sum(1 for r in records if r.queue_status == "open")
    summary.silent_alerts = _silent_alerts(first, today, pack, senders, rng, zone=zone, now=now)
    timer("silent alerts")

    patrol = _BatchedPatrolStore()
    summary.schedules, summary.checkins = _patrols(today, pack, patrol, rng, now=now)
    timer("schedules")
    summary.surveys = _surveys(first, today, pack, patrol, rng, zone=zone)
    patrol.flush()
    timer("check-ins and surveys")

    # The last days' indicators now, by the function itself; the older ones through the queue that
    # POST /v1/indicator-runs feeds, which the same function drains once the stack runs (~1 s a day).
    yesterday = today - timedelta(days=1)
    recent = max(first, yesterday - timedelta(days=INDICATOR_DAYS_AT_START - 1))
    result = invoke(
        "NightlyIndicatorsFunction",
        {"from": recent.isoformat(), "to": yesterday.isoformat(), "source": "demo history"},
    )
    summary.indicator_days = len((result or {}).get("computed") or [])
    older = [d.isoformat() for d in _days(first, recent - timedelta(days=1))]
    if older:
        from vigia.adapters.indicator_runs import SqsRunQueue

        SqsRunQueue().enqueue("demo-history", older)
    summary.indicator_days_queued = len(older)
    timer("indicators")
    return summary.view()


class _Timer:
    """Logs how long each part of the history took (VIGIA_LOCAL_LOG_LEVEL=DEBUG)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def __call__(self, what: str) -> None:
        now = time.monotonic()
        log.debug("demo history: %s in %.2f s", what, now - self.last)
        self.last = now


# ------------------------------------------------------------------ who and where
def _senders(pack: CityPack, residents: int) -> list[Resident]:
    """The demo seed's residents (same ids, names and homes as infra/local/seed.py), the first few hundred."""
    from infra.local.demo_residents import generate_residents

    count = max(1, min(residents, 400))
    return [
        Resident(
            user_id=f"seed-{i:05d}",
            full_name=r.full_name,
            national_id=r.national_id,
            phone=r.phone,
            email=r.email,
            address=r.address,
            home_lat=r.home_location[0],
            home_lon=r.home_location[1],
            locale=pack.locale,
            status=APPROVED,
            created_at="2026-01-01T00:00:00.000Z",
            block_id=r.block_id,
        )
        for i, r in enumerate(generate_residents(pack, count, 42))
    ]


class _Places:
    """Where alerts happen: blocks by population, and a few blocks that keep drawing them (hot spots)."""

    def __init__(self, pack: CityPack, rng: random.Random) -> None:
        self.blocks = sorted(pack.blocks.values(), key=lambda b: b.block_id)
        self.weights = [max(b.population, 1) for b in self.blocks]
        self.hot = rng.sample(self.blocks, min(HOT_SPOTS, len(self.blocks)))
        self.pack = pack

    def pick(self, rng: random.Random) -> tuple[Any, float, float]:
        block = (
            rng.choice(self.hot) if rng.random() < HOT_SHARE else rng.choices(self.blocks, self.weights)[0]
        )
        lat, lon = block.centroid
        for _ in range(5):  # a point near the block's centre, inside it (about 40 m around)
            near = (lat + rng.gauss(0, 0.0003), lon + rng.gauss(0, 0.0003))
            if self.pack.block_at(*near) is block:
                return block, round(near[0], 6), round(near[1], 6)
        return block, lat, lon


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _ulid(instant: datetime, rng: random.Random) -> str:
    """A ULID as clock.new_id makes them, its random part drawn from the seed (the same history each run)."""
    value = (int(instant.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(reversed([clock._CROCKFORD[(value >> (5 * i)) & 31] for i in range(26)]))


# ------------------------------------------------------------------ public alerts
@dataclass(frozen=True)
class _Sent:
    alert_id: str
    type: str
    priority: int
    sender: Resident
    block: Any
    lat: float
    lon: float
    accuracy_m: float
    created: datetime
    local_date: str


def handovers(pack: CityPack) -> tuple[str, str]:
    """The notes of a handover to the medical service and to the police, in the pack's country."""
    return HANDOVERS.get(pack.country_code, HANDOVER_ELSEWHERE)


def type_mix(pack: CityPack) -> dict[str, float]:
    """The weight of each of the pack's public alert types in the history: TYPE_MIX's for those it names (in
    its order, so Godoy Cruz's history stays as it was), OTHER_TYPE_WEIGHT for the pack's others."""
    public = [code for code, alert_type in pack.alert_types.items() if not alert_type.silent]
    mix: dict[str, float] = {code: weight for code, weight in TYPE_MIX.items() if code in public}
    mix.update((code, OTHER_TYPE_WEIGHT) for code in public if code not in mix)
    return mix


def _alerts_of(
    day: date,
    pack: CityPack,
    places: _Places,
    senders: list[Resident],
    rng: random.Random,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> list[_Sent]:
    mix = type_mix(pack)
    expected = ALERTS_PER_DAY * WEEKLY[day.weekday()]
    count = max(0, round(rng.gauss(expected, math.sqrt(expected))))
    sent = []
    for _ in range(count):
        hour = rng.choices(range(24), HOURLY)[0]
        local = datetime(
            day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=zone
        )
        created = local.astimezone(UTC).replace(microsecond=rng.randrange(1000) * 1000)
        if created >= now - timedelta(minutes=2):
            continue  # today's hours still to come
        code = rng.choices(list(mix), list(mix.values()))[0]
        block, lat, lon = places.pick(rng)
        sent.append(
            _Sent(
                alert_id=_ulid(created, rng),
                type=code,
                priority=pack.alert_types[code].priority,
                sender=rng.choice(senders),
                block=block,
                lat=lat,
                lon=lon,
                accuracy_m=float(rng.choice((5, 8, 12, 20, 35))),
                created=created,
                local_date=day.isoformat(),
            )
        )
    return sorted(sent, key=lambda s: s.created)


def _minutes(rng: random.Random, median: float, spread: float = 0.5) -> timedelta:
    return timedelta(seconds=max(20.0, rng.lognormvariate(math.log(median * 60), spread)))


def _lived(
    sent: _Sent, pack: CityPack, rng: random.Random, *, now: datetime, today: bool, summary: Summary
) -> AlertRecord:
    """The alert after its life so far: each step planned by the lifecycle, as an operator's would be."""
    operator = Actor("demo-operator", "operator")
    police = Actor("demo-police", "police")
    target_s = pack.settings.response_target_s
    dispatched = sent.created + timedelta(seconds=rng.uniform(0.4, 2.5))
    incident = Incident(
        alert_id=sent.alert_id,
        type=sent.type,
        priority=sent.priority,
        silent=False,
        sender_id=sent.sender.user_id,
        created_at=clock.iso(sent.created),
        status=lifecycle.DISPATCHED,  # the dispatcher's own mark (it ran the protocol then)
        block_id=sent.block.block_id,
        quadrant_id=sent.block.quadrant_id,
        lat=sent.lat,
        lon=sent.lon,
        stamps={lifecycle.DISPATCHED: clock.iso(dispatched)},
    )
    sets: dict[str, Any] = {}
    steps: list[tuple[str, Actor, timedelta, dict[str, Any]]] = []
    unit = _unit_for(sent.block.quadrant_id, pack, rng)
    roll = rng.random()
    ack = _minutes(rng, 1.2 / max(1, 4 - sent.priority) + 0.4)
    if roll < 0.06:  # the sender phoned to say never mind
        steps = [("cancel", operator, _minutes(rng, 2.5), {"note": "the resident called to cancel"})]
        outcome = "cancelled"
    elif roll < 0.17:  # a false alarm: found out on the phone, or once the car got there
        steps = [("acknowledge", operator, ack, {})]
        if rng.random() < 0.5:
            steps += [
                ("assign", operator, _minutes(rng, 1.0), {"unit_id": unit}),
                ("on_scene", police, _minutes(rng, target_s / 60 * 0.7), {}),
            ]
        steps.append(("false_alarm", operator, _minutes(rng, 4), {"note": "nothing found"}))
        outcome = "false_alarm"
    elif sent.type == "medical_emergency" and roll < 0.6:  # handed to the medical service
        steps = [
            ("acknowledge", operator, ack, {}),
            ("resolve", operator, _minutes(rng, 25), {"note": handovers(pack)[0]}),
        ]
        outcome = "resolved"
    else:
        slow = 1.6 if sent.created.astimezone(ZoneInfo(pack.time_zone)).hour in (19, 20, 21, 22) else 1.0
        steps = [
            ("acknowledge", operator, ack, {}),
            ("assign", operator, _minutes(rng, 1.3), {"unit_id": unit}),
            ("en_route", police, _minutes(rng, 0.8), {}),
            ("on_scene", police, _minutes(rng, target_s / 60 * 0.55 * slow, 0.45), {}),
        ]
        if rng.random() < 0.08:
            steps.append(("escalate", operator, _minutes(rng, 6), {"note": handovers(pack)[1]}))
            steps.append(("resolve", operator, _minutes(rng, 30), {}))
        else:
            steps.append(("resolve", police, _minutes(rng, 18), {}))
        outcome = "resolved"
    times, at = [], dispatched
    for _, _, after, _ in steps:
        at += after
        times.append(at)
    done = sum(1 for t in times if t < now)
    # today's newest stay open (the queue is alive on first start), as does one whose steps are still to come
    still_open = today and summary.open_alerts < OPEN_TODAY and sent.created > now - timedelta(hours=3)
    if still_open or done < len(steps):
        # open at most acknowledged: a car's assignment lives on the units board, which history leaves free
        done = min(done, rng.choice((0, 1, 1)) if steps and steps[0][0] == "acknowledge" else 0)
        outcome = "open"
        summary.open_alerts += 1
    for (action, actor, _, extra), at in zip(steps[:done], times, strict=False):
        step = lifecycle.plan(
            incident,
            action,
            actor=actor,
            now=at,
            response_target_s=target_s,
            units={},
            unit_id=extra.get("unit_id"),
            note=extra.get("note"),
        )
        sets.update(step.sets)
        incident = lifecycle.apply(incident, step)  # the timeline gains the step's entry
    summary.by_outcome[outcome] = summary.by_outcome.get(outcome, 0) + 1
    return _record(sent, incident, sets, dispatched)


def _unit_for(quadrant_id: str, pack: CityPack, rng: random.Random) -> str:
    own = [u.unit_id for u in pack.units.values() if u.quadrant_id == quadrant_id]
    return own[0] if own and rng.random() < 0.8 else rng.choice(sorted(pack.units))


def _record(sent: _Sent, incident: Incident, sets: dict[str, Any], dispatched: datetime) -> AlertRecord:
    """The item as intake stored it, the dispatcher marked it and the lifecycle's steps moved it."""
    record = AlertRecord(
        sent.alert_id,
        SK,
        type=sent.type,
        silent=False,
        priority=sent.priority,
        sender_id=sent.sender.user_id,
        location=Location(lat=sent.lat, lon=sent.lon, accuracy_m=sent.accuracy_m),
        block_id=sent.block.block_id,
        quadrant_id=sent.block.quadrant_id,
        block_source="location",
        status=incident.status,
        created_at=clock.iso(sent.created),
        local_date=sent.local_date,
        queue_status="open",
        queue_order=f"{sent.priority:02d}#{clock.iso(sent.created)}",
        dispatched_at=clock.iso(dispatched),
        fanned_out_at=clock.iso(dispatched),  # done: a replayed event would change nothing
        dispatch_attempts=1,
        timeline=[dict(e) for e in incident.timeline] or None,
    )
    for name, value in sets.items():
        setattr(record, name, value)
    return record


def _write_alerts(records: list[AlertRecord]) -> None:
    with AlertRecord.batch_write() as batch:
        for record in records:
            batch.save(record)


# ------------------------------------------------------------------ silent alerts
def _silent_alerts(
    first: date,
    today: date,
    pack: CityPack,
    senders: list[Resident],
    rng: random.Random,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """A few silent alerts, sent and sealed by the intake path and closed by the response team."""
    from vigia.alerts.submission import AlertRequest, submit
    from vigia.silent import lifecycle as silent

    silent_types = [code for code, t in pack.alert_types.items() if t.silent]
    if not silent_types:
        return 0
    team = Actor("demo-response-team", silent.RESPONSE_TEAM, roles=frozenset({silent.RESPONSE_TEAM}))
    store, sealer, macs = runtime.incidents(), runtime.sealer(), runtime.sender_mac()
    count = 0
    day = first + timedelta(days=rng.randrange(SILENT_EVERY_DAYS))
    while day < today:
        resident = rng.choice(senders)
        lat, lon = resident.home_lat, resident.home_lon
        hour = rng.choices(range(24), HOURLY)[0]
        at = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone).astimezone(UTC)
        request = AlertRequest(rng.choice(silent_types), lat, lon, 15.0, None)
        alert, _ = submit(
            request,
            resident=resident,
            sender_id=resident.user_id,
            idempotency_key=None,
            pack=pack,
            alerts=runtime.alerts(),
            now=at,
            sealer=sealer,
            sender_mac=macs,
        )
        incident = store.incident(alert.alert_id)
        assert incident is not None
        moment = at
        outcome = rng.choice(("safe", "safe", "referred", "no_action_needed"))
        for action in ("acknowledge", "contact", "close"):
            moment += _minutes(rng, 3 if action == "acknowledge" else 12)
            step = silent.plan(
                incident, action, actor=team, now=moment, outcome=outcome if action == "close" else None
            )
            store.write(step, audit=[], deliveries=[])
            incident = silent.apply(incident, step)
        count += 1
        day += timedelta(days=rng.randint(SILENT_EVERY_DAYS - 3, SILENT_EVERY_DAYS + 3))
    return count


# ------------------------------------------------------------------ patrols and surveys
class _BatchedPatrolStore(DynamoPatrolStore):
    """The patrol store whose check-ins and surveys (its own records, keys and JSON) go out in batches."""

    def __init__(self) -> None:
        self.pending: list[PatrolRecord] = []

    def _create(
        self, record: PatrolRecord, claim: tuple[str, str] | None, resource_id: str
    ) -> tuple[str, str] | None:
        self.pending.append(record)
        return None

    def flush(self) -> None:
        with PatrolRecord.batch_write() as batch:
            for record in self.pending:
                batch.save(record)
        self.pending.clear()


def _patrols(
    today: date, pack: CityPack, store: _BatchedPatrolStore, rng: random.Random, *, now: datetime
) -> tuple[int, int]:
    """Schedules from the history's hot spots for the last days, today and the week ahead; the check-ins
    of the stops already past (most made on time and on the spot, some late, some too far)."""
    from vigia.patrol.checkins import match
    from vigia.patrol.planning import plan_day
    from vigia.patrol.service import hotspots

    result = hotspots(today, pack, runtime.alert_history())
    schedules = checkins = 0
    for day in _days(today - timedelta(days=SCHEDULE_DAYS), today + timedelta(days=6)):
        schedule = plan_day(day, pack, result, seed=rng.randrange(1 << 30), units=None, generated_at=now)
        schedule = replace(schedule, hotspots_as_of=result.as_of)
        store.save_schedule(schedule, replace=True)
        schedules += 1
        for unit in schedule.units:
            for stop in unit.stops:
                if rng.random() > 0.82:
                    continue  # missed
                late = timedelta(minutes=rng.choice((0, 0, 1, 2, 3, 5, 9)))
                at = stop.start + late
                if at >= now:
                    continue
                far = rng.random() < 0.08
                spread = 0.004 if far else 0.0003
                checkin = match(
                    unit,
                    checkin_id=_ulid(at, rng),
                    unit_id=unit.unit_id,
                    date=day.isoformat(),
                    at=at,
                    lat=stop.lat + rng.gauss(0, spread),
                    lon=stop.lon + rng.gauss(0, spread),
                    accuracy_m=float(rng.choice((6, 10, 15))),
                )
                store.add_checkin(checkin)
                checkins += 1
    return schedules, checkins


def _surveys(
    first: date,
    today: date,
    pack: CityPack,
    store: _BatchedPatrolStore,
    rng: random.Random,
    *,
    zone: ZoneInfo,
) -> int:
    """Perception surveys each week in each quadrant; where alerts cluster, people feel less safe."""
    from vigia.patrol.surveys import Survey, week_of

    mood = {q: rng.uniform(2.3, 4.2) for q in sorted(pack.quadrants)}
    questions = list(pack.perception_questions.values())
    count = 0
    for monday in _days(first - timedelta(days=first.weekday()), today):
        if monday.weekday() != 0:
            continue
        for quadrant_id, base in mood.items():
            for _ in range(rng.randint(*SURVEYS_PER_QUADRANT_WEEK)):
                day = monday + timedelta(days=rng.randrange(7))
                if day > today:
                    continue
                at = datetime(
                    day.year, day.month, day.day, rng.randint(9, 19), rng.randrange(60), tzinfo=zone
                )
                if at.astimezone(UTC) > clock.now():
                    continue
                answers = {
                    q.question_id: min(q.scale[1], max(q.scale[0], round(rng.gauss(base, 0.9))))
                    for q in questions
                }
                survey = Survey(
                    _ulid(at, rng), quadrant_id, at.astimezone(UTC), week_of(at, zone), answers, None
                )
                store.add_survey(survey)
                count += 1
    return count
