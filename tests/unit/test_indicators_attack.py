"""Rule 4 played by an attacker: nothing published together pins down a count that was held back.

The attacker collects everything a city publishes about a stretch of days: each day's indicators.json
(rows of the city, every quadrant and every block, `all` rows included), its feed.json (the day's
non-silent alerts, each with its type, quadrant and block), and every answer of
GET /v1/indicators/summary for every zone and type, for the weeks and months over those days, as asked
on every night of the stretch (a summary of a period still under way changes from one night to the
next) and after it. Every exact number is a linear equation over the unknown true counts ("atoms":
alerts of one type, on one day, in one block, or in a quadrant without a block, or outside every
quadrant). A held-back count (a row's "<5" or "x", a share left out, a silent type's count that is not
published at all) is determined when its vector over the atoms lies in the row space of those
equations: rank(A) == rank([A; e]). Only linear algebra is used: no bounds, no inequalities (a "<5" is
not used as 0 ≤ n ≤ 4), no reasoning across columns.

What the attacker also knows, and the oracle encodes: the feed fixes every count of non-silent alerts
at every level; a (day, place, type) the feed lists nothing for had no such non-silent alert, so its
cancellations, false alarms, sirens and neighbour messages are 0; a silent alert never sounds a siren
nor messages neighbours.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.indicators_fixtures import tiny_frame, utc
from tests.unit.test_indicators_service import Alerts, Sink, Store
from tests.unit.test_indicators_suppression import alerts as day_alerts
from vigia.indicators import service
from vigia.indicators.days import days_between
from vigia.indicators.exports import render
from vigia.indicators.facts import AlertFacts
from vigia.indicators.frame import BlockInfo, CityFrame, QuadrantInfo, TypeInfo
from vigia.indicators.table import compute_day

FIRST, LAST = date(2026, 2, 23), date(2026, 4, 5)
DAY = date(2026, 3, 10)  # six ISO weeks; March whole, February and April in part
COLUMNS = ("count", "cancellations", "sirens_sounded", "neighbour_messages", "false_alarms")
NONE = "#none"  # outside every quadrant


def generated_frame(rng: random.Random) -> CityFrame:
    """A city of 1-3 quadrants with 1-3 blocks each, two public and one or two silent alert types."""
    base = tiny_frame()
    quadrants = {
        f"Q-{q}": QuadrantInfo(f"Q-{q}", 1_000 * (q + 1), f"Q{q}") for q in range(1, rng.randint(2, 4))
    }
    blocks = {}
    for q in quadrants:
        for b in range(rng.randint(1, 3)):
            block_id = f"B-{q[2:]}{b}"
            blocks[block_id] = BlockInfo(block_id, q, 500, block_id)
    types = dict(base.types)
    if rng.random() < 0.5:
        types["child_abuse"] = TypeInfo("child_abuse", True, "02012", "Maltrato")
    return replace(base, types=types, quadrants=quadrants, blocks=blocks, population=10_000)


def generated_alerts(frame: CityFrame, rng: random.Random, busy: float) -> dict[date, list[AlertFacts]]:
    """Alerts of every type over the stretch, in blocks, in quadrants without a block, and outside."""
    places: list[tuple[str | None, str | None]] = [(b.block_id, b.quadrant_id) for b in frame.blocks.values()]
    places += [(None, q) for q in frame.quadrants] + [(None, None)]
    zone = ZoneInfo(frame.time_zone)
    by_day: dict[date, list[AlertFacts]] = {}
    n = 0
    for day in days_between(FIRST, LAST):
        noon = datetime.combine(day, time(12), zone)
        for _ in range(rng.choice([0, 1, 2, 3, int(8 * busy)])):
            n += 1
            type_ = rng.choice(sorted(frame.types))
            silent = frame.types[type_].silent
            block, quadrant = rng.choice(places)
            outcome = rng.choice(["resolved", "resolved", "cancelled", "false_alarm"])
            response = rng.choice([None, rng.randint(60, 900)])
            by_day.setdefault(day, []).append(
                AlertFacts(
                    alert_id=f"A{n:04d}",
                    type=type_,
                    silent=silent,
                    created_at=noon + timedelta(minutes=n % 600),
                    status=outcome,
                    block_id=block,
                    quadrant_id=quadrant,
                    cancelled=outcome == "cancelled",
                    false_alarm=outcome == "false_alarm",
                    dispatch_time_s=None if response is None else response / 3,
                    response_time_s=response,
                    met_target=None if response is None else response <= 420,
                    sirens_sounded=0 if silent else rng.randint(0, 2),
                    neighbour_messages=0 if silent else rng.randint(0, 12),
                )
            )
    return by_day


# ---------------------------------------------------------------- what is published together
def publish(frame: CityFrame, by_day: Mapping[date, list[AlertFacts]]) -> tuple[list[dict], list[dict]]:
    """Every day's files, and every summary answer an attacker can collect over and after the stretch."""
    store, sink = Store(), Sink()
    tables: list[dict[str, Any]] = []
    feeds: list[dict[str, Any]] = []
    zones = ["city", *frame.quadrants, *frame.blocks]
    answers: dict[str, dict[str, Any]] = {}
    for day in days_between(FIRST, LAST):
        report = service.run_day(
            day,
            frame=frame,
            alerts=Alerts(by_day),
            patrol=None,
            store=store,
            sink=sink,
            source="nightly",
            now=utc("2026-06-01T06:00:00"),
        )
        assert report.date == day.isoformat()
        files = render(compute_day(day, by_day.get(day, []), frame), frame)
        document = json.loads(files["indicators.json"][0])
        feeds.append(json.loads(files["feed.json"][0]))
        for zone in zones:
            items = [i for i in document["items"] if i["zone"] == zone]
            if items:
                tables.append({"days": [day.isoformat()], "zone": zone, "items": items})
        # The summaries as they read the morning after `day` (periods under way), and long after.
        for now in (datetime.combine(day + timedelta(days=1), time(9), ZoneInfo(frame.time_zone)),):
            for period in ("week", "month"):
                for zone in zones:
                    answer = service.summary(
                        {"period": period, "date": day.isoformat(), "zone": zone},
                        frame=frame,
                        store=store,
                        now=now,
                    )
                    answers[json.dumps(answer, sort_keys=True)] = answer
    late = utc("2026-06-01T06:00:00")
    for day in days_between(FIRST, LAST):
        for period in ("week", "month"):
            for zone in zones:
                answer = service.summary(
                    {"period": period, "date": day.isoformat(), "zone": zone},
                    frame=frame,
                    store=store,
                    now=late,
                )
                answers[json.dumps(answer, sort_keys=True)] = answer
    for answer in answers.values():
        tables.append({"days": answer["dates_computed"], "zone": answer["zone"], "items": answer["items"]})
    return tables, feeds


# ---------------------------------------------------------------- the attacker's linear algebra
class Atoms:
    """The unknowns: (day, place, type) with place a block, "Q-1#" (in Q-1, no block) or "#none"."""

    def __init__(self, frame: CityFrame, days: Iterable[str]) -> None:
        self.frame = frame
        self.silent = {c for c, t in frame.types.items() if t.silent}
        places = [*frame.blocks, *(f"{q}#" for q in frame.quadrants), NONE]
        self.keys = [(d, p, t) for d in days for p in places for t in sorted(frame.types)]
        self.index = {k: i for i, k in enumerate(self.keys)}

    def inside(self, place: str, zone: str) -> bool:
        if zone == "city":
            return True
        if zone in self.frame.quadrants:
            return place == f"{zone}#" or (
                place in self.frame.blocks and self.frame.blocks[place].quadrant_id == zone
            )
        return place == zone

    def vector(self, days: Iterable[str], zone: str, types: Iterable[str]) -> np.ndarray:
        wanted_days, wanted_types = set(days), set(types)
        v = np.zeros(len(self.keys))
        for i, (d, p, t) in enumerate(self.keys):
            if d in wanted_days and t in wanted_types and self.inside(p, zone):
                v[i] = 1.0
        return v


def place_of(alert: Mapping[str, Any]) -> str:
    geocode = {g["valueName"]: g["value"] for g in alert["info"][0]["area"][0].get("geocode", [])}
    if "vigia:block" in geocode:
        return geocode["vigia:block"]
    return f"{geocode['vigia:quadrant']}#" if "vigia:quadrant" in geocode else NONE


def exact(item: Mapping[str, Any], column: str) -> int | None:
    if column == "false_alarms":
        share, count = item["false_alarm_share"], item["count"]
        return round(share * count) if share is not None and isinstance(count, int) else None
    value = item[column]
    return value if isinstance(value, int) else None


def determined_cells(
    frame: CityFrame, tables: list[dict], feeds: list[dict], days: Iterable[date] = ()
) -> list[str]:
    """Every held-back count the published equations pin down (empty when rule 4 holds)."""
    atoms = Atoms(frame, [d.isoformat() for d in (days or days_between(FIRST, LAST))])
    listed = {
        (f["date"], place_of(a), a["info"][0]["eventCode"][0]["value"]) for f in feeds for a in f["alerts"]
    }
    public = [k for k in atoms.keys if k[2] not in atoms.silent]
    found: list[str] = []
    for column in COLUMNS:
        # The attacker's free knowledge: the feed's counts; no listed alert means no outcome either.
        known = {atoms.index[k] for k in public if column == "count" or k not in listed}
        if column in ("sirens_sounded", "neighbour_messages"):
            known |= {atoms.index[k] for k in atoms.keys if k[2] in atoms.silent}
        rows: list[np.ndarray] = []
        targets: list[tuple[str, np.ndarray, list[np.ndarray]]] = []
        for table in tables:
            types = [i["type"] for i in table["items"] if i["type"] != "all"]
            for item in table["items"]:
                covers = types if item["type"] == "all" else [item["type"]]
                v = atoms.vector(table["days"], table["zone"], covers)
                value = exact(item, column)
                if value is not None:
                    rows.append(v)
                elif column != "false_alarms" or item["count"] != 0:
                    label = f"{column} of {item['type']} in {table['zone']} on {','.join(table['days'])}"
                    targets.append((label + f" (shown {item.get(column)!r})", v, [v]))
        # The sealed counts themselves, published or not: per day and per week/month, every zone
        # (not their sirens and neighbour messages: none, by design, which every reader knows).
        if column in ("sirens_sounded", "neighbour_messages"):
            found += unknown_determined(rows, targets, known, len(atoms.keys))
            continue
        periods = [[d] for d in sorted({k[0] for k in atoms.keys})] + [t["days"] for t in tables]
        for days in {tuple(p) for p in periods}:
            for zone in ["city", *frame.quadrants, *frame.blocks]:
                for covers in [[t] for t in sorted(atoms.silent)] + [sorted(atoms.silent)]:
                    label = f"{column} of sealed {'+'.join(covers)} in {zone} over {days[0]}..{days[-1]}"
                    parts = [atoms.vector(days, zone, [t]) for t in covers]
                    targets.append((label, atoms.vector(days, zone, covers), parts))
        found += unknown_determined(rows, targets, known, len(atoms.keys))
    return found


def unknown_determined(
    rows: list[np.ndarray],
    targets: list[tuple[str, np.ndarray, list[np.ndarray]]],
    known: set[int],
    width: int,
) -> list[str]:
    """Targets in the row space of the published rows, once the known atoms are substituted."""
    free = [i for i in range(width) if i not in known]
    a = np.array([r[free] for r in rows]) if rows else np.zeros((0, len(free)))
    published = {r[free].tobytes() for r in rows}
    rank = np.linalg.matrix_rank(a) if len(a) else 0
    if rank:
        _, _, vt = np.linalg.svd(a, full_matrices=False)
        basis = vt[:rank]
    else:
        basis = np.zeros((0, len(free)))
    found = []
    for label, vector, parts in targets:
        e = vector[free]
        if all(p[free].tobytes() in published for p in parts):
            continue  # published exactly (or each of its parts is): nothing held back
        residual = e - basis.T @ (basis @ e)
        if np.linalg.norm(residual) < 1e-7:  # rank(A) == rank([A; e]): e is fixed by what is published
            found.append(label)
    return found


# ---------------------------------------------------------------- the tests
def test_the_issue_example_a_silent_alert_changes_no_byte_of_the_day_it_happened():
    # Given a day with 10 public alerts (4 of them in Q-1), and the same day with one
    # gender-violence alert more in Q-1 (the issue: city all 11 - feed 10, Q-1 all 5 - feed 4 = 1)
    frame = tiny_frame()
    noon = utc("2026-03-10T15:00:00")
    public = [
        AlertFacts(f"P{n}", "robbery" if n % 2 else "medical_emergency", False, noon + timedelta(minutes=n),
                   "resolved", *(("B-1", "Q-1") if n < 4 else ("B-3", "Q-2")), False, False, 60, 300, True)
        for n in range(10)
    ]  # fmt: skip
    silent = AlertFacts("S1", "domestic_violence", True, noon, "received", "B-2", "Q-1",
                        False, False, None, None, None)  # fmt: skip
    without = render(compute_day(date(2026, 3, 10), public, frame), frame)
    with_one = render(compute_day(date(2026, 3, 10), [*public, silent], frame), frame)
    # Then the attacker's subtraction has nothing to work on: the files are the same bytes
    assert with_one == without
    # And the attacker's linear system over the day agrees
    assert determined_cells(frame, *one_day_publication(frame, [*public, silent]), days=[DAY]) == []


def one_day_publication(frame: CityFrame, alerts: list[AlertFacts]) -> tuple[list[dict], list[dict]]:
    files = render(compute_day(DAY, alerts, frame), frame)
    document = json.loads(files["indicators.json"][0])
    zones = {i["zone"] for i in document["items"]}
    tables = [
        {"days": [DAY.isoformat()], "zone": z, "items": [i for i in document["items"] if i["zone"] == z]}
        for z in zones
    ]
    return tables, [json.loads(files["feed.json"][0])]


@settings(max_examples=60, deadline=None)
@given(day_alerts(), st.integers(2, 6))
def test_no_day_of_any_alerts_pins_down_a_held_back_count(alerts: list[AlertFacts], threshold: int):
    # Given any day of alerts (hypothesis), when its files and feed are published,
    # then none of its held-back counts is fixed by them
    frame = tiny_frame(threshold=threshold)
    assert determined_cells(frame, *one_day_publication(frame, alerts), days=[DAY]) == []


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_nothing_published_over_six_weeks_pins_down_a_held_back_count(seed: int):
    # Given a generated city and six weeks of generated alerts of every type, silent ones included
    rng = random.Random(seed)
    frame = tiny_frame(threshold=rng.choice([3, 5])) if seed % 2 else generated_frame(rng)
    by_day = generated_alerts(frame, rng, busy=rng.choice([0.5, 1.0, 2.0]))
    # When an attacker collects every day's files, the feed and every summary, at every night and after
    tables, feeds = publish(frame, by_day)
    # Then no count that was held back lies in the span of what was published
    determined = determined_cells(frame, tables, feeds)
    assert determined == [], f"{len(determined)} held-back counts are determined, e.g. {determined[:5]}"
    # And there was something to protect: held-back outcomes, and March's silent alerts, which are
    # published as the city's whole month (and only there) when there are at least the threshold of them
    held_back = [
        i for t in tables for i in t["items"] if i["cancellations"] in ("x", f"<{frame.small_cell_threshold}")
    ]
    assert held_back
    silent = {c for c, t in frame.types.items() if t.silent}
    march = [a for d, day in by_day.items() if d.month == 3 for a in day if a.type in silent]
    listed = [
        (t["zone"], t["days"][0], t["days"][-1], i["type"])
        for t in tables
        for i in t["items"]
        if i["type"] in silent
    ]
    assert all(zone == "city" for zone, *_ in listed)
    by_type = {c: sum(1 for a in march if a.type == c) for c in silent}
    expected = {c for c, n in by_type.items() if n >= frame.small_cell_threshold}
    assert {t for _, a, b, t in listed if (a, b) == ("2026-03-01", "2026-03-31")} == expected
    assert all((a, b) == ("2026-03-01", "2026-03-31") for _, a, b, _ in listed)  # Feb and Apr: in part
