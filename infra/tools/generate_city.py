"""Writes a demo city pack (city.json + geography.geojson) from a seed: the same seed gives the same bytes.

Usage: python infra/tools/generate_city.py --city godoy-cruz --seed 42 [--out DIR] [--no-check]

The configuration (alert types, protocols, settings, dispatch) is authored below; the geography is
synthetic: a jittered street grid of ~115 m blocks on the city's real coordinates, with an uneven
outline, ten quadrants, block populations that add up to the city's, and siren units on blocks.
Every phone number is synthetic (local part 555...): a real city replaces them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
M_PER_DEG_LAT = 110_950.0  # at ~33° S
M_PER_DEG_LON_EQUATOR = 111_320.0

Vertex = tuple[float, float]  # (lon, lat), GeoJSON order


@dataclass(frozen=True)
class GridProfile:
    centre_lat: float
    centre_lon: float
    rows: int
    cols: int
    block_m: tuple[float, float]  # street spacing range
    jitter_m: float
    max_indent: int  # how many blocks the outline may step in from the bounding rectangle
    ns_streets: tuple[str, ...]  # west to east
    ew_streets: tuple[str, ...]  # north to south
    quadrant_names: tuple[str, ...]  # north row west to east, then south row
    population: int
    sirens: int


# Street and district names are Godoy Cruz's and Mendoza's, written without the accents that would
# push an SMS from GSM-7 (160 characters a part) to UCS-2 (70): ñ and ü are GSM-7, á í ó ú are not.
GODOY_CRUZ_GRID = GridProfile(
    centre_lat=-32.9290,
    centre_lon=-68.8450,
    rows=30,
    cols=34,
    block_m=(102.0, 128.0),
    jitter_m=9.0,
    max_indent=4,
    ns_streets=(
        "San Martin",
        "Tomba",
        "Perito Moreno",
        "Joaquin V. Gonzalez",
        "Lavalle",
        "Beltran",
        "Sarmiento",
        "Balcarce",
        "Rodriguez Peña",
        "Paso de los Andes",
        "Cervantes",
        "Urquiza",
        "Italia",
        "España",
        "Talcahuano",
        "Vergara",
        "Sargento Cabral",
        "Azcuenaga",
        "Castellanos",
        "Colon",
        "Mitre",
        "Belgrano",
        "Moreno",
        "Pueyrredon",
        "Las Heras",
        "Güemes",
        "Dorrego",
        "Castelli",
        "Laprida",
        "Maipu",
        "Chacabuco",
        "Tucuman",
        "Salta",
        "Jujuy",
        "Corrientes",
    ),
    ew_streets=(
        "Rivadavia",
        "Godoy Cruz",
        "Montecaseros",
        "Alem",
        "Juan B. Justo",
        "Lencinas",
        "Bolivar",
        "Independencia",
        "Libertad",
        "Patricias Mendocinas",
        "Aristides Villanueva",
        "Pedro Molina",
        "Carola Lorenzini",
        "Antartida Argentina",
        "Chile",
        "Peru",
        "Uruguay",
        "Paraguay",
        "Bolivia",
        "Brasil",
        "Ecuador",
        "Colombia",
        "Venezuela",
        "Mexico",
        "Panama",
        "Costa Rica",
        "Cuba",
        "Honduras",
        "Nicaragua",
        "Guatemala",
        "El Salvador",
    ),
    quadrant_names=(
        "Villa Hipodromo",
        "Centro",
        "Villa Marini",
        "Villa del Parque",
        "Palmares",
        "Trapiche",
        "Las Tortugas",
        "Presidente Sarmiento",
        "San Francisco del Monte",
        "Gobernador Benegas",
    ),
    population=220_000,
    sirens=662,
)


# --- authored configuration -----------------------------------------------------------------------


def _text(es: str, en: str) -> dict[str, str]:
    return {"es-AR": es, "en": en}


def _step(
    target: str,
    es: str | None = None,
    en: str | None = None,
    *,
    disclose: bool,
    delay_s: int = 0,
    channel: str | None = None,
) -> dict[str, Any]:
    step: dict[str, Any] = {"target": target}
    if channel:
        step["channel"] = channel
    if es is not None and en is not None:
        step["template"] = _text(es, en)
    step["disclose_sender"] = disclose
    step["delay_s"] = delay_s
    return step


def godoy_cruz_alert_types() -> dict[str, Any]:
    """The SAC's alert types. SMS templates stay under 160 GSM-7 characters once filled in."""
    # Every text names where the alert is ({place}: its block, plus the sender's home only when it was
    # raised there) and ends with {map}, a link to the reported point (docs/dispatch.md).
    police = "VIGIA {alert_id} {kind} {time} en {place}, {zone}. Aviso: {sender_name}. {action} {map}"
    police_en = "VIGIA {alert_id} {kind} {time} at {place}, {zone}. From {sender_name}. {action} {map}"

    def to_police(kind: str, action: str, kind_en: str, action_en: str) -> tuple[str, str]:
        # Keep {alert_id} etc. as placeholders while filling the kind and the action.
        es = police.replace("{kind}", kind).replace("{action}", action)
        en = police_en.replace("{kind}", kind_en).replace("{action}", action_en)
        return es, en

    # The CAP headline is cut at 160 characters: the place and the map come first.
    cad_es = "{type_label} en {place}. {map} Zona {zone}, {time}. Alerta {alert_id} del SAC Godoy Cruz."
    cad_en = "{type_label} at {place}. {map} Zone {zone}, {time}. Alert {alert_id}, Godoy Cruz SAC."
    return {
        "robbery": {
            "labels": _text("Robo", "Robbery"),
            "silent": False,
            "priority": 2,
            "severity_weight": 3.0,
            "iccs": "0401",
            "cap": {
                "category": "Security",
                "urgency": "Immediate",
                "severity": "Severe",
                "certainty": "Observed",
            },
            "siren": {"pattern": "intermittent", "duration_s": 90},
            "protocol": [
                _step(
                    "community_police",
                    *to_police("ROBO", "Acudir ya.", "ROBBERY", "Respond now."),
                    disclose=True,
                ),
                _step("provincial_police", cad_es, cad_en, disclose=True),
                _step(
                    "neighbours",
                    "VIGIA: ROBO en {place}, {time}. Aviso de {sender_name}. Policia en camino. "
                    "No salga. {map}",
                    "VIGIA: ROBBERY at {place}, {time}. Reported by {sender_name}. Police on the way. "
                    "Stay in. {map}",
                    disclose=True,
                ),
                _step("sirens", disclose=False),
                _step("sender_confirmation", disclose=False),
            ],
        },
        "suspicious_activity": {
            "labels": _text("Actividad sospechosa", "Suspicious activity"),
            "silent": False,
            "priority": 3,
            "severity_weight": 1.0,
            # No ICCS code for "suspicious"; most such alerts are feared burglaries.
            "iccs": "0501",
            "cap": {
                "category": "Security",
                "urgency": "Expected",
                "severity": "Moderate",
                "certainty": "Possible",
            },
            "siren": None,
            "protocol": [
                _step(
                    "community_police",
                    *to_police("SOSPECHOSO", "Verificar.", "SUSPICIOUS", "Check it."),
                    disclose=True,
                ),
                # Neighbours are not told who reported: the suspect may be someone's visitor.
                _step(
                    "neighbours",
                    "VIGIA: actividad sospechosa cerca de {place}, {time}. Policia avisada. "
                    "No se exponga. {map}",
                    "VIGIA: suspicious activity near {place}, {time}. Police notified. Keep safe. {map}",
                    disclose=False,
                ),
                _step("sender_confirmation", disclose=False),
            ],
        },
        "medical_emergency": {
            "labels": _text("Emergencia médica", "Medical emergency"),
            "silent": False,
            "priority": 2,
            "severity_weight": 0.0,  # not a crime: stays out of hot spots
            "iccs": None,
            "cap": {
                "category": "Health",
                "urgency": "Immediate",
                "severity": "Severe",
                "certainty": "Observed",
            },
            "siren": None,
            "protocol": [
                _step(
                    "medical",
                    "VIGIA {alert_id} EMERGENCIA MEDICA {time} en {place}, {zone}. "
                    "Pide ayuda: {sender_name}. {map}",
                    "VIGIA {alert_id} MEDICAL EMERGENCY {time} at {place}, {zone}. "
                    "Caller: {sender_name}. {map}",
                    disclose=True,
                ),
                _step(
                    "neighbours",
                    "VIGIA: emergencia medica en {place}, {time}. {sender_name} necesita ayuda. "
                    "Emergencias avisadas. {map}",
                    "VIGIA: medical emergency at {place}, {time}. {sender_name} needs help. "
                    "Ambulance notified. {map}",
                    disclose=True,
                ),
                _step(
                    "sender_confirmation",
                    "Vigia: avisamos a emergencias medicas: {place}, {time}. "
                    "Mantené el telefono cerca. {map}",
                    "Vigia: medical services notified: {place}, {time}. Keep your phone close. {map}",
                    disclose=False,
                ),
            ],
        },
        "fire": {
            "labels": _text("Incendio", "Fire"),
            "silent": False,
            "priority": 2,
            "severity_weight": 1.5,
            "iccs": "0504",  # property damage, where arson is counted
            "cap": {
                "category": "Fire",
                "urgency": "Immediate",
                "severity": "Severe",
                "certainty": "Observed",
            },
            "siren": {"pattern": "continuous", "duration_s": 120},
            "protocol": [
                _step("fire", *to_police("INCENDIO", "Acudir ya.", "FIRE", "Respond now."), disclose=True),
                _step(
                    "community_police",
                    *to_police(
                        "INCENDIO",
                        "Bomberos avisados. Cortar transito.",
                        "FIRE",
                        "Fire brigade notified. Close the street.",
                    ),
                    disclose=True,
                ),
                _step(
                    "neighbours",
                    "VIGIA: INCENDIO en {place}, {time}. Aviso de {sender_name}. Bomberos avisados. "
                    "Aléjese del humo. {map}",
                    "VIGIA: FIRE at {place}, {time}. Reported by {sender_name}. Fire brigade notified. "
                    "Keep away. {map}",
                    disclose=True,
                ),
                _step("sirens", disclose=False),
            ],
        },
        "panic": {
            "labels": _text("Pánico", "Panic"),
            "silent": False,
            "priority": 1,
            "severity_weight": 2.0,
            "iccs": "0201",  # assaults and threats
            "cap": {
                "category": "Security",
                "urgency": "Immediate",
                "severity": "Extreme",
                "certainty": "Likely",
            },
            "siren": {"pattern": "pulse", "duration_s": 90},
            "protocol": [
                _step(
                    "community_police",
                    *to_police("PANICO", "Acudir ya.", "PANIC", "Respond now."),
                    disclose=True,
                ),
                _step("provincial_police", cad_es, cad_en, disclose=True),
                _step(
                    "neighbours",
                    "VIGIA: PANICO en {place}, {time}. Aviso de {sender_name}. Policia en camino. "
                    "No salga. {map}",
                    "VIGIA: PANIC at {place}, {time}. Raised by {sender_name}. Police on the way. "
                    "Stay in. {map}",
                    disclose=True,
                ),
                _step("sirens", disclose=False),
            ],
        },
        "domestic_violence": {
            "labels": _text("Violencia de género o familiar", "Gender or family violence"),
            "silent": True,
            "priority": 1,
            # Kept out of hot spots: patrols do not help indoors and a map could point at a victim.
            "severity_weight": 0.0,
            "iccs": "02011",  # assault; the victim-perpetrator relationship is recorded apart
            "cap": {
                "category": "Security",
                "urgency": "Immediate",
                "severity": "Severe",
                "certainty": "Observed",
            },
            "siren": None,
            "protocol": [
                # The response team may know who asked for help, but an SMS is plain text on a phone:
                # the identity and the exact place are read in the console, where every read is audited.
                _step(
                    "response_team",
                    "VIGIA alerta silenciosa {alert_id}, zona {zone}, {time}. "
                    "Datos de la persona en la consola.",
                    "VIGIA silent alert {alert_id}, zone {zone}, {time}. "
                    "Details of the person in the console.",
                    disclose=True,
                ),
            ],
        },
    }


def godoy_cruz_config(seed: int) -> dict[str, Any]:
    """Everything in city.json but the generated geography (service area, quadrants, units)."""
    del seed  # the authored part does not vary
    return {
        "city_id": "godoy-cruz",
        "name": "Godoy Cruz",
        "time_zone": "America/Argentina/Mendoza",
        "locale": "es-AR",
        "locales": ["es-AR", "en"],
        "country_code": "AR",
        "population": GODOY_CRUZ_GRID.population,
        "settings": {
            "alert_rate_limit": {"max_alerts": 3, "window_s": 600},
            "silent_alert_rate_limit": {"max_alerts": 10, "window_s": 3600},
            "silent_ack_target_s": 120,
            "cancel_window_s": 120,
            "response_target_s": 420,
            "false_alarm_policy": {"strikes": 3, "window_days": 90},
            "small_cell_threshold": 5,
            "hotspots": {"h3_resolution": 9, "lookback_days": 28},
            "patrol": {"fixed_point_min": 14, "patrol_min": 46, "no_return_hours": 3},
            "helpline": "+542615550800",
        },
        "alert_types": godoy_cruz_alert_types(),
        "dispatch": {
            "community_police": ["+5492615550101", "+5492615550102"],
            "medical": ["+5492615550107"],
            "fire": ["+5492615550100"],
            "response_team": ["+5492615550301", "+5492615550302", "+5492615550303"],
            "provincial_cad": {
                "url": "https://cad.seguridad.mendoza.example/cap/v1/alerts",
                "sender": "observatorio@godoycruz.example",
                # the provincial gender-violence unit: a silent alert's request_police (CAP Private)
                "gender_violence_addresses": ["violencia-genero@seguridad.mendoza.example"],
            },
        },
        "perception_questions": [
            {
                "question_id": "safe_at_night",
                "text": _text(
                    "¿Se siente seguro/a en su barrio de noche?",
                    "Do you feel safe in your neighbourhood at night?",
                ),
                "scale": [1, 5],
            },
            {
                "question_id": "trust_police",
                "text": _text(
                    "¿Cuánto confía en la policía de su cuadrante?",
                    "How much do you trust the police of your quadrant?",
                ),
                "scale": [1, 5],
            },
            {
                "question_id": "street_lighting",
                "text": _text(
                    "¿Funciona bien el alumbrado de su cuadra?",
                    "Does the street lighting on your block work well?",
                ),
                "scale": [1, 5],
            },
            {
                "question_id": "trash_pickup",
                "text": _text(
                    "¿Funciona bien la recolección de residuos?", "Is the rubbish collection working well?"
                ),
                "scale": [1, 5],
            },
        ],
        "referral_directory": [
            {
                "referral_id": "linea-144",
                "name": "Línea 144 — atención a víctimas de violencia de género",
                "kind": "hotline",
                "scope": "national",
                "phone": "144",
                "hours": "24/7",
                "notes": _text(
                    "Gratuita y confidencial. También por WhatsApp.",
                    "Free and confidential national gender-violence helpline.",
                ),
            },
            {
                "referral_id": "emergencias-911",
                "name": "Emergencias 911 Mendoza",
                "kind": "police",
                "scope": "provincial",
                "phone": "911",
                "hours": "24/7",
            },
            {
                "referral_id": "area-genero-gc",
                "name": "Área de Género y Diversidad, Municipalidad de Godoy Cruz",
                "kind": "social_services",
                "scope": "local",
                "phone": "+542615550410",
                "hours": "Lun a vie 8 a 20",
                "address": "Perito Moreno 72, Godoy Cruz",
            },
            {
                "referral_id": "hogar-proteccion",
                "name": "Hogar de protección integral (refugio)",
                "kind": "shelter",
                "scope": "provincial",
                "phone": "+542615550420",
                "hours": "24/7",
                "notes": _text(
                    "Ingreso por derivación del equipo de respuesta.",
                    "Admission on referral by the response team.",
                ),
            },
            {
                "referral_id": "asesoria-legal",
                "name": "Asesoría jurídica gratuita para víctimas",
                "kind": "legal",
                "scope": "local",
                "phone": "+542615550430",
                "hours": "Lun a vie 8 a 14",
            },
            {
                "referral_id": "salud-mental",
                "name": "Centro de Salud — atención psicológica",
                "kind": "health",
                "scope": "local",
                "phone": "+542615550440",
                "hours": "Lun a sab 8 a 20",
            },
        ],
        "sender_sms": _text(
            "Vigia: recibimos tu alerta de {type_label} en {place} a las {time}. "
            "Ya la estamos atendiendo. {map}",
            "Vigia: we received your {type_label} alert at {place} at {time}. We are on it. {map}",
        ),
        "texts": godoy_cruz_texts(),
    }


def godoy_cruz_texts() -> dict[str, Any]:
    """Vigía's own messages (not a protocol step's) in the city's languages; GSM-7, no accents GSM-7 lacks."""
    return {
        # OpenStreetMap by its short name, a marker at the point (zoom 12, about 26 m a pixel). Without
        # "https://" it is 8 characters shorter and phones still make it a link (osm.org is a known domain).
        "map_link": _text("osm.org/?mlat={lat}&mlon={lon}", "osm.org/?mlat={lat}&mlon={lon}"),
        "place_at_home": _text("{place} ({home_address})", "{place} ({home_address})"),
        "cancellation": _text(
            "Vigia: la alerta de {type_label} en {place} de las {time} fue cancelada. "
            "No hace falta ir. {map}",
            "Vigia: the {type_label} alert at {place} sent at {time} was cancelled. No action needed. {map}",
        ),
        "unit_assignment": _text(
            "VIGIA {alert_id} asignada a {unit_id}: {type_label} {time} en {place} ({zone}). Ir: {map}",
            "VIGIA {alert_id} for {unit_id}: {type_label} {time} at {place} ({zone}). Go: {map}",
        ),
        "escalation": _text(
            "Derivada por el observatorio: {type_label} en {place}. {map} Zona {zone}, {time}. "
            "Alerta {alert_id}.",
            "Handed over by the observatory: {type_label} at {place}. {map} Zone {zone}, {time}. "
            "Alert {alert_id}.",
        ),
        "cap_restriction": _text(
            "Solo policia y servicios de emergencia", "Police and emergency services only"
        ),
        "cap_cancel_note": _text(
            "Cancelada por quien la envio, dentro del plazo de cancelacion de la ciudad.",
            "Cancelled by the resident who sent it, within the city's cancel window.",
        ),
        "resident_suspended": _text(
            "Vigia: tu cuenta fue suspendida ({reason}). No podes enviar alertas. Consultas: {helpline}",
            "Vigia: your account is suspended ({reason}). You cannot send alerts. Questions: {helpline}",
        ),
        "resident_approved": _text(
            "Vigia: tu cuenta esta activa otra vez. Usala con responsabilidad. Consultas: {helpline}",
            "Vigia: your account is active again. Please use it responsibly. Questions: {helpline}",
        ),
        "resident_rejected": _text(
            "Vigia: tu registro no fue aprobado ({reason}). Consultas: {helpline}",
            "Vigia: your registration was not approved ({reason}). Questions: {helpline}",
        ),
        "automatic_suspension_reason": _text(
            "{count} falsas alarmas en {days} dias (automatica)",
            "{count} false alarms in {days} days (automatic)",
        ),
    }


# --- synthetic geography --------------------------------------------------------------------------


def _walk(rng: random.Random, count: int, low: int, high: int) -> list[int]:
    """A slow random walk clamped to [low, high]: an outline that steps in and out a block at a time."""
    value = rng.randint(low, high)
    out = []
    for _ in range(count):
        out.append(value)
        value = min(high, max(low, value + rng.choice((-1, 0, 0, 1))))
    return out


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that add up to total exactly (largest remainder)."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    out = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in by_remainder[: total - sum(out)]:
        out[i] += 1
    return out


def _trace(vertices: list[list[Vertex]], spans: dict[int, tuple[int, int]]) -> list[Vertex]:
    """The outline of a set of cells given as one column span [a, b) per consecutive row.

    Adjacent rows must overlap. Every grid vertex on the outline is kept, so the outline's edges are
    exactly the blocks' edges and the blocks tile the polygon without gaps.
    """
    rows = sorted(spans)
    top, bottom = rows[0], rows[-1]
    ring: list[Vertex] = []
    a0, b0 = spans[top]
    ring.extend(vertices[top][j] for j in range(a0, b0 + 1))
    for r in rows:  # right side, downwards
        b = spans[r][1]
        ring.append(vertices[r + 1][b])
        if r < bottom:
            nb = spans[r + 1][1]
            step = 1 if nb > b else -1
            ring.extend(vertices[r + 1][j] for j in range(b + step, nb + step, step) if nb != b)
    a, b = spans[bottom]
    ring.extend(vertices[bottom + 1][j] for j in range(b - 1, a - 1, -1))
    for r in reversed(rows):  # left side, upwards
        a = spans[r][0]
        ring.append(vertices[r][a])
        if r > top:
            pa = spans[r - 1][0]
            step = 1 if pa > a else -1
            ring.extend(vertices[r][j] for j in range(a + step, pa + step, step) if pa != a)
    if ring[0] != ring[-1]:
        raise ValueError("outline did not close")
    return _counter_clockwise(ring)


def _counter_clockwise(ring: list[Vertex]) -> list[Vertex]:
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    return ring if area > 0 else ring[::-1]


def _polygon(ring: list[Vertex]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x, y] for x, y in ring]]}


def _check_spans(spans: dict[int, tuple[int, int]], what: str) -> None:
    """Refuses a layout whose outline could not be traced as one simple polygon."""
    rows = sorted(spans)
    if rows != list(range(rows[0], rows[-1] + 1)):
        raise ValueError(f"{what}: rows are not consecutive")
    for r in rows:
        a, b = spans[r]
        if a >= b:
            raise ValueError(f"{what}: row {r} is empty")
        if r + 1 in spans and not (a < spans[r + 1][1] and spans[r + 1][0] < b):
            raise ValueError(f"{what}: rows {r} and {r + 1} do not overlap")


def generate_geography(grid: GridProfile, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Returns (the generated part of city.json, the geography FeatureCollection)."""
    rng = random.Random(seed)
    m_per_deg_lon = M_PER_DEG_LON_EQUATOR * math.cos(math.radians(grid.centre_lat))
    widths = [rng.uniform(*grid.block_m) for _ in range(grid.cols)]
    heights = [rng.uniform(*grid.block_m) for _ in range(grid.rows)]
    west = grid.centre_lon - sum(widths) / 2 / m_per_deg_lon
    north = grid.centre_lat + sum(heights) / 2 / M_PER_DEG_LAT

    # Corner (i, j) is where east-west street i meets north-south street j; jittered so the grid is
    # not perfect, by less than a tenth of a block so blocks stay convex and never overlap.
    vertices: list[list[Vertex]] = []
    y = 0.0
    for i in range(grid.rows + 1):
        row: list[Vertex] = []
        x = 0.0
        for j in range(grid.cols + 1):
            dx = rng.uniform(-grid.jitter_m, grid.jitter_m)
            dy = rng.uniform(-grid.jitter_m, grid.jitter_m)
            lon = round(west + (x + dx) / m_per_deg_lon, 6)
            lat = round(north - (y + dy) / M_PER_DEG_LAT, 6)
            row.append((lon, lat))
            x += widths[j] if j < grid.cols else 0.0
        vertices.append(row)
        y += heights[i] if i < grid.rows else 0.0

    # The city's outline: each row of blocks spans [a, b) columns.
    left = _walk(rng, grid.rows, 0, grid.max_indent)
    right = _walk(rng, grid.rows, grid.cols - grid.max_indent, grid.cols)
    spans = {r: (left[r], right[r]) for r in range(grid.rows)}
    _check_spans(spans, "city")
    cells = [(r, c) for r in range(grid.rows) for c in range(left[r], right[r])]

    # Ten quadrants: five bands of columns with about as many blocks each, each cut north/south.
    per_col = [sum(1 for r, c in cells if c == col) for col in range(grid.cols)]
    bands = 5
    edges = [0]
    running = 0
    for col, count in enumerate(per_col):
        running += count
        if len(edges) < bands and running >= len(cells) * len(edges) / bands:
            edges.append(col + 1)
    edges.append(grid.cols)
    quadrant_spans: list[dict[int, tuple[int, int]]] = [{} for _ in range(2 * bands)]
    cell_quadrant: dict[tuple[int, int], int] = {}
    for band in range(bands):
        lo, hi = edges[band], edges[band + 1]
        band_rows = {r: (max(lo, left[r]), min(hi, right[r])) for r in range(grid.rows)}
        band_cells = [(r, c) for r, c in cells if lo <= c < hi]
        split = band_cells[len(band_cells) // 2][0]  # first row of the southern half
        for r, span in band_rows.items():
            q = band if r < split else bands + band
            quadrant_spans[q][r] = span
        for r, c in band_cells:
            cell_quadrant[(r, c)] = band if r < split else bands + band
    for q, q_spans in enumerate(quadrant_spans):
        _check_spans(q_spans, f"quadrant {q + 1}")

    quadrant_ids = [f"Q-{q + 1:02d}" for q in range(2 * bands)]
    weights = [rng.lognormvariate(0.0, 0.45) for _ in cells]
    block_population = _allocate(grid.population, weights)
    siren_blocks = rng.choices(range(len(cells)), weights=block_population, k=grid.sirens)
    sirens_per_block = [0] * len(cells)
    for index in siren_blocks:
        sirens_per_block[index] += 1

    features = []
    siren_number = 0
    for index, (r, c) in enumerate(cells):
        nw, ne = vertices[r][c], vertices[r][c + 1]
        sw, se = vertices[r + 1][c], vertices[r + 1][c + 1]
        sirens = []
        for _ in range(sirens_per_block[index]):
            siren_number += 1
            u, v = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)  # bilinear: inside a convex block
            lon = (1 - v) * ((1 - u) * nw[0] + u * ne[0]) + v * ((1 - u) * sw[0] + u * se[0])
            lat = (1 - v) * ((1 - u) * nw[1] + u * ne[1]) + v * ((1 - u) * sw[1] + u * se[1])
            sirens.append({"siren_id": f"S-{siren_number:04d}", "lat": round(lat, 6), "lon": round(lon, 6)})
        features.append(
            {
                "type": "Feature",
                "geometry": _polygon([sw, se, ne, nw, sw]),  # counter-clockwise, RFC 7946
                "properties": {
                    "block_id": f"B-{index + 1:04d}",
                    "name": f"{grid.ns_streets[c]} y {grid.ew_streets[r]}",
                    "quadrant_id": quadrant_ids[cell_quadrant[(r, c)]],
                    "population": block_population[index],
                    "sirens": sirens,
                },
            }
        )

    quadrant_population = [0] * len(quadrant_ids)
    for index, cell in enumerate(cells):
        quadrant_population[cell_quadrant[cell]] += block_population[index]
    quadrants = [
        {
            "quadrant_id": quadrant_ids[q],
            "name": grid.quadrant_names[q],
            "polygon": _polygon(_trace(vertices, quadrant_spans[q])),
            "population": quadrant_population[q],
        }
        for q in range(len(quadrant_ids))
    ]
    units = [
        {
            "unit_id": f"GC-{q + 1:02d}",
            "name": f"Movil {q + 1:02d} - {grid.quadrant_names[q]}",
            "phone": f"+549261555{1000 + q + 1}",
            "quadrant_id": quadrant_ids[q],
            # Officers work part time (~20 h a week); each car covers two shifts a day.
            "shifts": (
                [{"start": "08:00", "end": "14:00"}, {"start": "14:00", "end": "20:00"}]
                if q % 2 == 0
                else [{"start": "14:00", "end": "20:00"}, {"start": "20:00", "end": "02:00"}]
            ),
        }
        for q in range(len(quadrant_ids))
    ]
    generated = {"service_area": _polygon(_trace(vertices, spans)), "quadrants": quadrants, "units": units}
    return generated, {"type": "FeatureCollection", "features": features}


# --- writing --------------------------------------------------------------------------------------

CITIES = {"godoy-cruz": (GODOY_CRUZ_GRID, godoy_cruz_config)}

CITY_KEY_ORDER = (
    "$schema",
    "city_id",
    "name",
    "time_zone",
    "locale",
    "locales",
    "country_code",
    "population",
    "settings",
    "alert_types",
    "dispatch",
    "units",
    "perception_questions",
    "referral_directory",
    "sender_sms",
    "texts",
    "quadrants",
    "service_area",
)


def build(city: str, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    grid, config = CITIES[city]
    city_json = config(seed)
    generated, geography = generate_geography(grid, seed)
    city_json.update(generated)
    city_json["$schema"] = "../../../schemas/city.schema.json"
    return {key: city_json[key] for key in CITY_KEY_ORDER}, geography


def _compact_polygons(text: str) -> str:
    """Puts each polygon's coordinates on one line: city.json stays readable where it matters."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith('"coordinates": ['):
            depth = line.count("[") - line.count("]")
            chunk = [line.rstrip()]
            while depth > 0:
                i += 1
                chunk.append(lines[i].strip())
                depth += lines[i].count("[") - lines[i].count("]")
            joined = "".join(chunk).replace(",", ", ").replace(",  ", ", ")
            out.append(joined.replace("[ ", "[").replace(", ]", "]"))
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


def render(city_json: dict[str, Any], geography: dict[str, Any]) -> tuple[str, str]:
    city_text = _compact_polygons(json.dumps(city_json, ensure_ascii=False, indent=2)) + "\n"
    # One feature per line: small diffs when a block changes, and a file that stays small.
    features = ",\n".join(
        json.dumps(feature, ensure_ascii=False, separators=(",", ":")) for feature in geography["features"]
    )
    geo_text = '{"type":"FeatureCollection","features":[\n' + features + "\n]}\n"
    return city_text, geo_text


def write(city: str, seed: int, out: Path) -> tuple[Path, Path]:
    city_text, geo_text = render(*build(city, seed))
    out.mkdir(parents=True, exist_ok=True)
    city_path, geo_path = out / "city.json", out / "geography.geojson"
    city_path.write_text(city_text, encoding="utf-8")
    geo_path.write_text(geo_text, encoding="utf-8")
    return city_path, geo_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--city", choices=sorted(CITIES), required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="folder to write to (default: infra/cities/<city>)")
    parser.add_argument("--no-check", action="store_true", help="skip loading the written pack")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "infra" / "cities" / args.city
    city_path, geo_path = write(args.city, args.seed, out)
    print(f"wrote {city_path} and {geo_path}")
    if not args.no_check:
        sys.path.insert(0, str(ROOT / "functions"))
        from vigia.city import load_city_pack

        pack = load_city_pack(out, ROOT / "schemas" / "city.schema.json")
        print(
            f"{pack.name}: {len(pack.blocks)} blocks, {len(pack.quadrants)} quadrants, "
            f"{len(pack.sirens)} sirens, {len(pack.units)} units, population {pack.population}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
