"""Schedule exports: CSV for spreadsheets and iCalendar (RFC 5545) with one VEVENT per stop."""

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from vigia.patrol.exports import CSV_COLUMNS, UTF8_BOM, escape_text, fold, to_csv, to_ics
from vigia.patrol.schedule import Duty, FixedPoint, PatrolRules, Window, generate

MENDOZA = ZoneInfo("America/Argentina/Mendoza")


def schedule():
    duties = [
        Duty(
            "GC-01",
            "Q-01",
            (Window(datetime(2026, 3, 2, 8, tzinfo=MENDOZA), datetime(2026, 3, 2, 11, tzinfo=MENDOZA)),),
        ),
        Duty(
            "GC-02",
            "Q-02",
            (Window(datetime(2026, 3, 2, 20, tzinfo=MENDOZA), datetime(2026, 3, 2, 22, tzinfo=MENDOZA)),),
        ),
    ]
    points = {
        q: [FixedPoint(f"89b2eeaf{q[-1]}{i}3ffff", -32.93 + i / 1000, -68.84, 1.0) for i in range(4)]
        for q in ("Q-01", "Q-02")
    }
    return generate(
        "2026-03-02",
        duties,
        points,
        seed=42,
        rules=PatrolRules(),
        time_zone=MENDOZA.key,
        generated_at=datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
    )


def unfold(text):
    return text.replace("\r\n ", "")


def test_csv_has_one_row_per_stop_with_local_times():
    text = to_csv(schedule())
    assert text.startswith(UTF8_BOM + "date,unit_id,")  # one mark, then the header, so Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(text.removeprefix(UTF8_BOM))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 5  # 3 hours for GC-01, 2 for GC-02
    first = rows[0]
    assert first["unit_id"] == "GC-01"
    assert first["start"] == "2026-03-02T08:00:00-03:00"
    assert first["end"] == "2026-03-02T08:14:00-03:00"
    assert first["unit_name"] == first["quadrant_name"] == ""  # no names given: empty, never a guess
    assert [r["stop"] for r in rows] == ["1", "2", "3", "1", "2"]


def test_ics_has_one_vevent_per_stop_in_utc_with_crlf_lines():
    text = to_ics(schedule(), city_id="godoy-cruz", locale="es-AR")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends in CRLF
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") == 5
    lines = unfold(text).split("\r\n")
    assert "DTSTART:20260302T110000Z" in lines  # 08:00 in Mendoza (UTC-3)
    assert "DTEND:20260302T111400Z" in lines
    uids = [line for line in lines if line.startswith("UID:")]
    assert len(set(uids)) == 5
    assert "UID:2026-03-02-GC-01-01@godoy-cruz.vigia" in uids
    assert any(line.startswith("GEO:-32.930000;-68.840000") for line in lines)
    assert any(line.startswith("SUMMARY:Punto fijo 1 - Móvil GC-01") for line in lines)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    for line in lines:  # every content line is NAME:value (RFC 5545 §3.1)
        assert line == "" or ":" in line


def test_ics_text_is_escaped_and_long_lines_folded():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    long = "DESCRIPTION:" + "ñ" * 60
    folded = fold(long)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert unfold(folded) == long


def test_ics_speaks_english_for_an_english_city():
    text = to_ics(schedule(), city_id="demo", locale="en")
    assert "SUMMARY:Fixed point 1 - Unit GC-01" in unfold(text)
