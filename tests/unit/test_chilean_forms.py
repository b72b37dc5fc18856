"""Names and addresses of Chilean form, with the Peñalolén pack, in every text a person or a CAD reads:
SMS (GSM-7 after folding, within the part budget), CAP 1.2, CSV and iCalendar."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia.alerts.submission import Alert
from vigia.cells import spreadsheet_safe
from vigia.city import CityPack, load_city_pack
from vigia.dispatch import cap, protocol, sms_text
from vigia.dispatch.protocol import Neighbour, Sender, Told
from vigia.hotspots import AlertSample, score_for_date
from vigia.indicators.exports import render
from vigia.indicators.frame import frame_from_pack
from vigia.indicators.table import COLUMNS, compute_day
from vigia.patrol.exports import UTF8_BOM, Names, escape_text, fold, to_csv, to_ics
from vigia.patrol.planning import plan_day
from vigia.patrol.schedule import Schedule

ROOT = Path(__file__).resolve().parents[2]
PACK: CityPack = load_city_pack(ROOT / "infra/cities/penalolen", ROOT / "schemas/city.schema.json")
CAP_XSD = xmlschema.XMLSchema(str(ROOT / "schemas/cap/CAP-v1.2.xsd"))
NS = {"c": cap.CAP_NS}

NAME = "María José Ñancupil O'Higgins"
NAME_IN_SMS = "Maria José Ñancupil O'Higgins"  # í folds to i; é, Ñ and ' are GSM-7 and stay
HOMES = (
    "Pasaje Los Aromos 1234, depto. 23-B, Villa Las Araucarias",
    "Avda. José Arrieta 8401 #12",
    "Villa O'Higgins, Block 5 & 6 <depto. 23-B> #12",  # what XML and SMS must carry, not interpret
    "Pasaje Río Claro 1234",  # an SMS folds í to i; the CAD's CAP (UTF-8 XML, no parts) keeps it
)
QUADRANT = PACK.quadrants["C-184"]  # Peñalolén Alto
# The worst place in it: the longest block name, so the budget is checked where it is tightest.
BLOCK = max(
    (b for b in PACK.blocks.values() if b.quadrant_id == QUADRANT.quadrant_id), key=lambda b: len(b.name)
)
FOLDED_AWAY = set("áíóúÁÍÓÚ")  # not in GSM-7: folded to a i o u


def sender(home: str) -> Sender:
    lat, lon = BLOCK.centroid
    return Sender("u-maria", NAME, "+56987654321", home, "es-CL", lat, lon)  # she lives on the block


def alert_at_home(type_: str) -> Alert:
    lat, lon = BLOCK.centroid
    return Alert(
        "01JQ8Z6V4M3K2N1P0R9S8T7V6W",
        type_,
        PACK.alert_types[type_].silent,
        2,
        "u-maria",
        lat,
        lon,
        10.0,
        None,
        BLOCK.block_id,
        BLOCK.quadrant_id,
        "home",
        "received",
        "2026-03-14T21:07:12.345Z",
        "2026-03-14",
    )


NEIGHBOURS = [Neighbour("n-cl", "+56911111111", "es-CL"), Neighbour("n-en", "+56911111112", "en")]


def plan(type_: str, home: str) -> protocol.Plan:
    return protocol.plan_alert(
        alert_at_home(type_), PACK.alert_types[type_], PACK, sender=sender(home), neighbours=NEIGHBOURS
    )


# ------------------------------------------------------------------ SMS
@pytest.mark.parametrize("home", HOMES)
@pytest.mark.parametrize("type_", sorted(PACK.alert_types))
def test_every_protocol_sms_stays_gsm7_within_two_parts_and_names_her_readably(type_: str, home: str):
    # Given María José raises an alert at her home in Peñalolén Alto, on the block with the longest name
    deliveries = [d for d in plan(type_, home).deliveries if d.channel == protocol.SMS]
    assert deliveries or PACK.alert_types[type_].silent

    for d in deliveries:
        size = sms_text.measure(d.body)
        # Then every text is GSM-7 (160 a part, not UCS-2's 70) and within the two parts the pack promises
        assert size.encoding == "GSM-7", (type_, d.target, d.body)
        assert size.parts <= 2, (type_, d.target, size, d.body)
        assert not FOLDED_AWAY & set(d.body), d.body
        # and a name or an address, when the step gives it, is there whole and still readable
        if "Ñancupil" in d.body:
            assert NAME_IN_SMS in d.body
        if "8401" in d.body or "Aromos" in d.body or "Block 5" in d.body:
            assert sms_text.fold_to_gsm7(home) in d.body


def test_the_steps_that_name_her_do_name_her_and_her_home():
    home = HOMES[0]
    bodies = {(d.target, d.locale): d.body for d in plan("robbery", home).deliveries if d.channel == "sms"}
    for key in (("neighbours", "es-CL"), ("neighbours", "en"), ("community_police", "es-CL")):
        assert NAME_IN_SMS in bodies[key]
        assert home in bodies[key]  # all GSM-7 already: nothing folded
        assert QUADRANT.name in bodies[("community_police", "es-CL")]  # "Peñalolén Alto": ñ and é are GSM-7
    assert "Ñancupil" not in bodies[("sender_confirmation", "es-CL")]  # she knows who she is
    assert bodies[("neighbours", "es-CL")].startswith("VIGIA: ROBO en " + BLOCK.name)


@pytest.mark.parametrize("home", HOMES)
def test_cancellations_stay_gsm7_within_two_parts(home: str):
    alert, robbery = alert_at_home("robbery"), PACK.alert_types["robbery"]
    told = [Told(d.channel, d.target, d.recipient, d.locale) for d in plan("robbery", home).deliveries]
    cancelled = protocol.plan_cancel(
        alert, robbery, PACK, told, cancelled_at=datetime(2026, 3, 14, 21, 8, tzinfo=UTC)
    )
    texts = [d.body for d in cancelled.deliveries if d.channel == "sms"]
    assert texts
    for text in texts:
        assert sms_text.measure(text).encoding == "GSM-7"
        assert sms_text.measure(text).parts <= 2


# ------------------------------------------------------------------ CAP 1.2
CAD_TYPES = [t for t, at in PACK.alert_types.items() if at.targets & {"provincial_police"}]


@pytest.mark.parametrize("home", HOMES)
@pytest.mark.parametrize("type_", CAD_TYPES)
def test_the_cap_with_her_name_and_address_is_valid_and_reads_back_exactly(type_: str, home: str):
    bodies = [d.body for d in plan(type_, home).deliveries if d.channel == protocol.WEBHOOK]
    assert bodies
    for body in bodies:
        # Then the XSD accepts it, & < ' # and all
        CAP_XSD.validate(body)
        root = cap.parse(body.encode("utf-8"))
        assert cap.rule_problems(root) == []
        info = root.find("c:info", NS)
        assert info is not None
        assert info.findtext("c:area/c:areaDesc", namespaces=NS) == f"{BLOCK.name}, Peñalolén Alto, Peñalolén"
        step = next(s for s in PACK.alert_types[type_].steps_for("provincial_police"))
        if step.disclose_sender:
            # and parsing it back gives her name exactly as she wrote it, accents included
            assert info.findtext("c:contact", namespaces=NS) == f"{NAME}, +56987654321"
            assert home in (info.findtext("c:description", namespaces=NS) or "")
        else:  # a reporter kept anonymous (drug dealing to the PDI): neither her name nor her home
            assert "Ñancupil" not in body
            assert not [part for part in ("8401", "Aromos", "Block 5") if part in body]


# ------------------------------------------------------------------ patrol schedule: CSV and iCalendar
DAY = date(2026, 3, 2)  # a Monday away from Santiago's clock changes
SANTIAGO = ZoneInfo("America/Santiago")


def no_alerts(_local_date: str) -> list[AlertSample]:
    return []


def schedule() -> Schedule:
    """Peñalolén's day as the planner makes it from the pack's roster (every unit, every shift)."""
    return plan_day(
        DAY,
        PACK,
        score_for_date(DAY, PACK, no_alerts),
        seed=2026,
        units=None,
        generated_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def read_csv(text: str) -> list[dict[str, str]]:
    """The rows as a spreadsheet reads the download: UTF-8, its byte order mark taken as such."""
    return list(csv.DictReader(io.StringIO(text.encode("utf-8").decode("utf-8-sig"), newline="")))


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def events(text: str) -> list[dict[str, str]]:
    found, current = [], None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return found


def test_the_csv_names_each_unit_and_quadrant_as_the_pack_does():
    rows = read_csv(to_csv(schedule(), names=Names.of(PACK)))
    car = [r for r in rows if r["unit_id"] == "SP-04"]
    assert car
    assert {r["unit_name"] for r in car} == {"Patrulla 04 - Peñalolén Alto"}
    assert {r["quadrant_name"] for r in car} == {"Peñalolén Alto"}
    assert {r["quadrant_id"] for r in car} == {"C-184"}


def test_the_csv_download_starts_with_a_byte_order_mark_so_a_spreadsheet_reads_utf8():
    # Excel in Chile opens a CSV without one as Windows-1252: "PeÃ±alolÃ©n Alto"
    text = to_csv(schedule(), names=Names.of(PACK))
    assert text.startswith(UTF8_BOM)
    assert text.count(UTF8_BOM) == 1
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbfdate,unit_id,")
    assert "Peñalolén Alto" in text.encode("utf-8").decode("utf-8-sig")


@pytest.mark.parametrize(
    "odd",
    [
        'Patrulla 04, "La Loma" - Peñalolén Alto',
        '=HYPERLINK("http://x","Ñuñoa")',
        "+56 9 5550 1004 Carro",
        "-Radiopatrulla Ñ",
        "@Macul",
        "Cañada\r\nLas Perdices; O'Higgins",
    ],
)
def test_names_with_commas_quotes_accents_or_a_formula_start_round_trip_as_text(odd: str):
    names = Names(units={"SP-04": odd}, quadrants={"C-184": odd})
    rows = [r for r in read_csv(to_csv(schedule(), names=names)) if r["unit_id"] == "SP-04"]
    assert rows
    for row in rows:
        # a spreadsheet shows the name, never computes it
        assert row["unit_name"] == row["quadrant_name"] == spreadsheet_safe(odd)
        assert row["unit_name"].removeprefix("'") == odd


def test_the_calendar_speaks_chilean_and_names_the_car_and_the_quadrant():
    day = schedule().only("SP-04")
    text = to_ics(day, city_id=PACK.city_id, locale=PACK.locale, names=Names.of(PACK))
    found = events(text)
    stops = day.units[0].stops
    assert len(found) == len(stops)
    first = found[0]
    assert unescape(first["SUMMARY"]) == "Punto fijo 1 - Patrulla 04 - Peñalolén Alto"
    by_start = {e["DTSTART"]: e for e in found}
    three_pm = next(s for s in stops if s.start.astimezone(SANTIAGO).hour == 15)
    event = by_start[three_pm.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")]
    assert (
        unescape(event["DESCRIPTION"]) == "Luego patrulla el cuadrante C-184 Peñalolén Alto hasta las 16:00."
    )
    assert "Móvil" not in text  # Argentine; Peñalolén's staff say carro or radiopatrulla


def test_a_car_the_pack_does_not_name_is_a_carro_in_chile_and_a_movil_in_argentina():
    day = schedule().only("SP-04")
    chile = events(to_ics(day, city_id="penalolen", locale="es-CL"))
    argentina = events(to_ics(day, city_id="godoy-cruz", locale="es-AR"))
    english = events(to_ics(day, city_id="demo", locale="en-GB"))
    assert unescape(chile[0]["SUMMARY"]) == "Punto fijo 1 - Carro SP-04"
    assert unescape(argentina[0]["SUMMARY"]) == "Punto fijo 1 - Móvil SP-04"
    assert unescape(english[0]["SUMMARY"]) == "Fixed point 1 - Unit SP-04"
    assert unescape(chile[0]["DESCRIPTION"]).startswith("Luego patrulla el cuadrante C-184 hasta las ")
    assert unescape(argentina[0]["DESCRIPTION"]).startswith("Luego patrullaje del cuadrante C-184 hasta las ")


def test_the_words_follow_the_full_locale_then_its_language():
    day = schedule().only("SP-04")
    names = Names.of(PACK)
    argentina = events(to_ics(day, city_id="godoy-cruz", locale="es-AR", names=names))
    other_spanish = events(to_ics(day, city_id="x", locale="es-MX", names=names))
    english = events(to_ics(day, city_id="x", locale="en", names=names))
    assert unescape(argentina[0]["DESCRIPTION"]).startswith(
        "Luego patrullaje del cuadrante C-184 Peñalolén Alto"
    )
    assert unescape(other_spanish[0]["SUMMARY"]) == "Punto fijo 1 - Patrulla 04 - Peñalolén Alto"
    assert unescape(english[0]["DESCRIPTION"]).startswith("Then patrol quadrant C-184 Peñalolén Alto until ")


def test_naming_changes_no_uid_time_place_or_category():
    day = schedule().only("SP-04")
    named = events(to_ics(day, city_id=PACK.city_id, locale=PACK.locale, names=Names.of(PACK)))
    bare = events(to_ics(day, city_id=PACK.city_id, locale=PACK.locale))
    keep = ("UID", "DTSTAMP", "DTSTART", "DTEND", "LOCATION", "GEO", "CATEGORIES", "TRANSP")
    assert [{k: e[k] for k in keep} for e in named] == [{k: e[k] for k in keep} for e in bare]
    assert named[0]["UID"] == "2026-03-02-SP-04-01@penalolen.vigia"


@pytest.mark.parametrize("pad", range(0, 12))
def test_folding_at_75_octets_never_splits_a_character_and_gives_the_names_back(pad: int):
    # Given names whose ñ, é and á fall on the 75-octet boundary, one pad character at a time
    odd = "x" * pad + "Patrulla 04 - Peñalolén Alto, Cañada Ñuñoa; Pasaje María Ángela\\Ñ"
    names = Names(units={"SP-04": odd}, quadrants={"C-184": "Peñalolén Alto " + "ñá" * 40})
    text = to_ics(schedule().only("SP-04"), city_id="penalolen", locale="es-CL", names=names)
    raw = text.encode("utf-8")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # each physical line is whole UTF-8: no character cut in two
    first = events(text)[0]
    assert unescape(first["SUMMARY"]) == f"Punto fijo 1 - {odd}"
    assert unescape(first["DESCRIPTION"]).startswith(
        "Luego patrulla el cuadrante C-184 Peñalolén Alto " + "ñá" * 40
    )


def test_fold_keeps_a_multi_octet_character_whole_at_the_boundary():
    for prefix in range(70, 76):
        line = "a" * prefix + "ñá€😀" * 30
        folded = fold(line)
        parts = folded.encode("utf-8").split(b"\r\n ")
        assert all(len(p) <= (75 if i == 0 else 74) for i, p in enumerate(parts))
        assert all(p.decode("utf-8") for p in parts)
        assert folded.replace("\r\n ", "") == line
    assert escape_text("Ñuñoa, O'Higgins; a\\b") == "Ñuñoa\\, O'Higgins\\; a\\\\b"


# ------------------------------------------------------------------ indicators CSV
def test_the_indicators_csv_carries_codes_not_names_so_it_stays_ascii_and_bom_less():
    # The published file is compared by checksum and read by programs; it names zones by their codes
    frame = frame_from_pack(PACK)
    files = render(compute_day(DAY, [], frame), frame)
    body = files["indicators.csv"][0]
    assert not body.startswith(b"\xef\xbb\xbf")
    body.decode("ascii")  # nothing Excel's Windows-1252 guess could mangle
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == list(COLUMNS)
    assert {"city", "C-184"} <= {r[COLUMNS.index("zone")] for r in rows[1:]}


# ------------------------------------------------------------------ SMS: what a phone's keyboard types
@pytest.mark.parametrize(
    ("name", "home", "read_as"),
    [
        # iOS and macOS type a curly apostrophe by default (smart punctuation): O’Higgins, not O'Higgins
        ("María José Ñancupil O’Higgins", HOMES[0], ("Maria José Ñancupil O'Higgins", HOMES[0])),
        # Chilean addresses write the number as N° or Nº, a dash as – and quote a villa «so»
        (
            "María José Ñancupil",
            "Pasaje Los Aromos N° 1234 – depto. Nº 23-B, Villa «Las Araucarias»",
            ("Maria José Ñancupil", 'Pasaje Los Aromos No 1234 - depto. No 23-B, Villa "Las Araucarias"'),
        ),
        # a name stored decomposed (NFD: n + combining tilde), as some keyboards and copies give it
        (
            "Mari\u0301a Jose\u0301 N\u0303ancupil",
            "Avda. Jose\u0301 Arrieta 8401 #12",
            ("Maria José Ñancupil", "Avda. José Arrieta 8401 #12"),
        ),
    ],
)
def test_typographic_punctuation_and_decomposed_accents_fold_so_the_sms_stays_in_budget(
    name: str, home: str, read_as: tuple[str, str]
):
    her = dataclasses.replace(sender(home), full_name=name)
    robbery = PACK.alert_types["robbery"]
    deliveries = protocol.plan_alert(
        alert_at_home("robbery"), robbery, PACK, sender=her, neighbours=NEIGHBOURS
    ).deliveries
    told = [
        d for d in deliveries if d.channel == protocol.SMS and d.target in ("neighbours", "community_police")
    ]
    assert told
    for d in told:
        size = sms_text.measure(d.body)
        assert size.encoding == "GSM-7", d.body
        assert size.parts <= 2, (size, d.body)
        assert read_as[0] in d.body
        assert read_as[1] in d.body


def test_a_control_character_in_a_name_never_breaks_a_calendar_line():
    # Given pack names with a lone carriage return and a NUL (a bad copy-paste into city.json)
    names = Names(
        units={"SP-04": "Patrulla 04\rPeñalolén\x00 Alto"}, quadrants={"C-184": "Peñalolén\r\nAlto"}
    )
    text = to_ics(schedule().only("SP-04"), city_id="penalolen", locale="es-CL", names=names)
    # Then every physical line ends in CRLF, none holds a bare CR or another control character
    assert text.endswith("\r\n")
    for line in text[:-2].split("\r\n"):
        assert not [ch for ch in line if ord(ch) < 0x20 or ord(ch) == 0x7F], repr(line)
    first = events(text)[0]
    assert unescape(first["SUMMARY"]) == "Punto fijo 1 - Patrulla 04\nPeñalolén\ufffd Alto"
    assert unescape(first["DESCRIPTION"]).startswith(
        "Luego patrulla el cuadrante C-184 Peñalolén\nAlto hasta"
    )


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzñÑáéíóúÁÉÍÓÚüÜ '’‘“”«»–—°ºª…\u00a0.,-#&<>0123456789", max_size=120
    )
)
def test_folding_a_spanish_name_or_address_always_gives_gsm7(text: str):
    assert sms_text.is_gsm7(sms_text.fold_to_gsm7(text))
