"""`make city`: a new city pack's skeleton from the city's own block polygons (GeoJSON, WGS84).

    make city NAME=mi-ciudad BLOCKS=manzanas.geojson [QUADRANTS=cuadrantes.geojson] [LOCALE=es-CL]
              [TIME_ZONE=America/Santiago] [POPULATION=241599] [GRID=3x2] [FORCE=1]

It checks every block (a Feature with an id and one Polygon of closed, simple rings in WGS84
longitude/latitude; no two blocks overlapping; each inside a quadrant when QUADRANTS are given),
assigns the blocks to quadrants (without QUADRANTS it draws them as a grid over the blocks, and
says so), derives the service area (the blocks' convex hull), and writes infra/cities/<NAME>/
geography.geojson and city.json. Every field of city.json only the city can decide is written as a
text starting with "TODO:" that says what to decide; the pack loader refuses the pack, naming each
such field, until it is replaced. Bad input is refused with every problem at once, each naming the
feature (its index and id) and what is wrong; nothing is written then. An existing pack is never
overwritten without FORCE=1.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.tools import block_geometry as geom
from infra.tools.generate_city import render
from vigia.city.geo import Polygon, polygon_centroid
from vigia.city.undecided import UNDECIDED_MARK, undecided_fields

ROOT = Path(__file__).resolve().parents[2]
CITIES_DIR = ROOT / "infra" / "cities"
CITY_ID = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$")
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2}|-[0-9]{3})?$")
# BCP 47's "undetermined": the texts' key while the city has not said its language (LOCALE=).
UNDETERMINED_LOCALE = "und"
# GeoJSON before RFC 7946 could name a CRS; these names are WGS84 longitude/latitude.
WGS84_NAMES = ("CRS84", "EPSG:4326", "EPSG::4326", "4326")
BLOCKS_PER_DERIVED_QUADRANT = 100
MAX_PROBLEMS = 60
DECIMALS = 7  # about a centimetre


class InputError(Exception):
    """Input the builder refuses: every problem found, each naming the file, the feature and what is wrong."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def undecided(what: str) -> str:
    return f"{UNDECIDED_MARK} {what}"


# --- reading a FeatureCollection of polygons ------------------------------------------------------


@dataclass
class Shape:
    """One input feature that passed its own checks: id, rings (lon, lat; exterior counter-clockwise)."""

    index: int
    feature_id: str
    rings: list[geom.Ring]
    properties: dict[str, Any]
    rewound: bool = False
    plane_rings: list[geom.Ring] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"feature {self.index} (id {self.feature_id})"

    def polygon(self) -> Polygon:
        return Polygon.from_rings(self.rings)


def _label(index: int, feature_id: Any) -> str:
    return f"feature {index} (id {feature_id})" if feature_id is not None else f"feature {index} (no id)"


def read_collection(path: Path, what: str) -> dict[str, Any]:
    """The file as a FeatureCollection in WGS84, or InputError naming why it is not one."""
    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([f"{name}: no such file ({path})"]) from None
    except OSError as exc:  # a folder, no permission
        raise InputError([f"{name}: cannot be read ({exc.strerror or exc})"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise InputError([f"{name}: not a GeoJSON file: not valid UTF-8 JSON{where}"]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise InputError(
            [
                f"{name}: not a FeatureCollection (its type is {kind!r}): give the {what} as a GeoJSON "
                "FeatureCollection, one Feature each"
            ]
        )
    crs = data.get("crs")
    if crs is not None:
        crs_name = str((crs.get("properties") or {}).get("name", crs)) if isinstance(crs, dict) else str(crs)
        if not any(crs_name.upper().replace("URN:OGC:DEF:CRS:", "").endswith(n) for n in WGS84_NAMES):
            raise InputError(
                [
                    f"{name}: not WGS84: its crs is {crs_name!r}; GeoJSON (RFC 7946) is WGS84 "
                    "longitude/latitude in degrees: reproject it, e.g. "
                    f"ogr2ogr -t_srs EPSG:4326 out.geojson {name}"
                ]
            )
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise InputError([f"{name}: has no features (its 'features' must list the {what})"])
    return data


def feature_id(feature: Mapping[str, Any], id_property: str) -> Any:
    """A feature's id: GeoJSON's own `id`, else the `block_id`/`quadrant_id` or `id` property."""
    if feature.get("id") is not None:
        return feature["id"]
    props = feature.get("properties")
    if isinstance(props, dict):
        for key in (id_property, "id"):
            if props.get(key) is not None:
                return props[key]
    return None


def _position_problem(position: Any) -> str | None:
    if (
        not isinstance(position, list)
        or not 2 <= len(position) <= 3
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
    ):
        return f"{json.dumps(position)[:60]} is not a [longitude, latitude] position"
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return (
            f"position [{lon}, {lat}] is not WGS84 longitude/latitude in degrees (projected coordinates? "
            "reproject to EPSG:4326)"
        )
    return None


def _geometry_rings(geometry: Any) -> tuple[list[list[Any]] | None, str | None]:
    """The polygon's rings, or why the geometry is not one Polygon."""
    if not isinstance(geometry, dict):
        return None, "has no geometry"
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "MultiPolygon" and isinstance(coordinates, list) and len(coordinates) == 1:
        kind, coordinates = "Polygon", coordinates[0]  # one part, as GIS tools often export a Polygon
    if kind != "Polygon":
        return None, f"is a {kind}, not a Polygon (a MultiPolygon of several parts is several blocks)"
    if not isinstance(coordinates, list) or not coordinates:
        return None, "has a Polygon without rings"
    return coordinates, None


def read_shapes(
    data: Mapping[str, Any], name: str, id_property: str, plane: geom.LocalPlane | None
) -> tuple[list[Shape], list[str], geom.LocalPlane | None]:
    """Checks every feature by itself: Feature, id, Polygon, WGS84 positions, closed and simple rings."""
    problems: list[str] = []
    shapes: list[Shape] = []
    seen: dict[str, int] = {}

    def problem(label: str, message: str) -> None:
        problems.append(f"{name} {label}: {message}")

    for index, feature in enumerate(data["features"]):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problem(f"feature {index}", "is not a GeoJSON Feature")
            continue
        raw_id = feature_id(feature, id_property)
        label = _label(index, raw_id)
        if raw_id is None:
            problem(label, f"missing id: give each feature an 'id' (or a '{id_property}' property)")
            continue
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
            problem(label, "its id must be a text or a whole number")
            continue
        fid = str(raw_id)
        if not ID.match(fid):
            problem(
                label,
                f"id {fid!r} is not an id: 1 to 31 letters, digits, - or _, starting with a letter or digit",
            )
            continue
        if fid in seen:
            problem(label, f"duplicate id {fid} (also feature {seen[fid]})")
            continue
        seen[fid] = index
        props = feature.get("properties")
        if props is not None and not isinstance(props, dict):
            problem(label, "its properties must be an object")
            continue
        coordinates, why = _geometry_rings(feature.get("geometry"))
        if coordinates is None:
            problem(label, why or "is not a Polygon")
            continue
        rings: list[geom.Ring] = []
        bad = False
        for r, ring in enumerate(coordinates):
            where = "exterior ring" if r == 0 else f"hole {r}"
            if not isinstance(ring, list) or len(ring) < 4:
                problem(label, f"{where} needs at least 4 positions (a closed triangle)")
                bad = True
                break
            position_problem = next((p for p in map(_position_problem, ring) if p), None)
            if position_problem:
                problem(label, position_problem)
                bad = True
                break
            if ring[0][:2] != ring[-1][:2]:
                problem(
                    label, f"{where} is not closed: it starts at {ring[0][:2]} and ends at {ring[-1][:2]}"
                )
                bad = True
                break
            clean = geom.without_repeats([(float(p[0]), float(p[1])) for p in ring])
            if len(clean) < 4:
                problem(label, f"{where} has fewer than 3 distinct corners")
                bad = True
                break
            rings.append(clean)
        if bad:
            continue
        if plane is None:
            plane = geom.LocalPlane(*rings[0][0])
        plane_rings = [[plane.to_m(*p) for p in ring] for ring in rings]
        for r, ring_m in enumerate(plane_rings):
            where = "exterior ring" if r == 0 else f"hole {r}"
            crossing = geom.ring_self_crossing(ring_m)
            if crossing:
                i, j = crossing
                corner = rings[r][i]
                problem(
                    label,
                    f"{where} intersects itself (its edges {i} and {j} cross or touch; edge {i} starts at "
                    f"[{corner[0]}, {corner[1]}]): an outline must be a simple polygon",
                )
                bad = True
                break
            if abs(geom.signed_area(ring_m)) < 1e-6:
                problem(label, f"{where} has no area")
                bad = True
                break
        if bad:
            continue
        for r in range(1, len(plane_rings)):
            if not geom._inside(plane_rings[r][0], [plane_rings[0]]):
                problem(label, f"hole {r} lies outside the exterior ring")
                bad = True
        if bad:
            continue
        # RFC 7946: exterior counter-clockwise, holes clockwise.
        rewound = False
        for r, ring_m in enumerate(plane_rings):
            counter_clockwise = geom.signed_area(ring_m) > 0
            if counter_clockwise != (r == 0):
                rings[r] = rings[r][::-1]
                plane_rings[r] = ring_m[::-1]
                rewound = True
        shapes.append(Shape(index, fid, rings, dict(props or {}), rewound, plane_rings))
    return shapes, problems, plane


def overlap_problems(shapes: Sequence[Shape], name: str, what: str) -> list[str]:
    """Every pair of shapes that share area, each named by index and id (a grid keeps it near-linear)."""
    cell = 200.0  # metres: a few blocks
    grid: dict[tuple[int, int], list[int]] = {}
    for k, shape in enumerate(shapes):
        xs = [p[0] for p in shape.plane_rings[0]]
        ys = [p[1] for p in shape.plane_rings[0]]
        for cx in range(math.floor(min(xs) / cell), math.floor(max(xs) / cell) + 1):
            for cy in range(math.floor(min(ys) / cell), math.floor(max(ys) / cell) + 1):
                grid.setdefault((cx, cy), []).append(k)
    checked: set[tuple[int, int]] = set()
    problems: list[str] = []
    for members in grid.values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                if (a, b) in checked:
                    continue
                checked.add((a, b))
                if geom.interiors_overlap(shapes[a].plane_rings, shapes[b].plane_rings):
                    problems.append(
                        f"{name} {shapes[b].label}: overlaps {shapes[a].label}: {what} must not overlap "
                        f"(sharing an edge is fine; more than {geom.OVERLAP_TOLERANCE_M * 100:.0f} cm is not)"
                    )
    return sorted(problems, key=lambda p: int(p.split("feature ")[1].split(" ")[0]))


# --- blocks' own properties ----------------------------------------------------------------------


def _block_property_problems(shapes: Sequence[Shape], name: str) -> list[str]:
    problems: list[str] = []
    siren_ids: dict[str, str] = {}
    for shape in shapes:
        props = shape.properties
        label = f"{name} {shape.label}"
        block_name = props.get("name")
        if block_name is not None and (not isinstance(block_name, str) or not 1 <= len(block_name) <= 80):
            problems.append(f"{label}: its name must be a text of 1 to 80 characters")
        population = props.get("population")
        if population is not None and (
            isinstance(population, bool) or not isinstance(population, int) or population < 0
        ):
            problems.append(f"{label}: its population must be a whole number, 0 or more (got {population!r})")
        sirens = props.get("sirens", [])
        if not isinstance(sirens, list):
            problems.append(f"{label}: its sirens must be a list of {{siren_id, lat, lon}}")
            continue
        exterior = shape.polygon()
        for j, siren in enumerate(sirens):
            if not isinstance(siren, dict) or set(siren) != {"siren_id", "lat", "lon"}:
                problems.append(f"{label}: sirens[{j}] must be an object with exactly siren_id, lat and lon")
                continue
            siren_id = siren["siren_id"]
            if not isinstance(siren_id, str) or not ID.match(siren_id):
                problems.append(f"{label}: sirens[{j}] siren_id {siren_id!r} is not an id")
            elif siren_id in siren_ids:
                problems.append(
                    f"{label}: sirens[{j}] duplicate siren_id {siren_id} (also on {siren_ids[siren_id]})"
                )
            else:
                siren_ids[siren_id] = shape.feature_id
            lat, lon = siren["lat"], siren["lon"]
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
                problems.append(f"{label}: sirens[{j}] lat and lon must be numbers")
            elif not exterior.contains(lat, lon):
                problems.append(f"{label}: sirens[{j}] ({siren_id}) at [{lon}, {lat}] lies outside the block")
    with_population = [s for s in shapes if s.properties.get("population") is not None]
    if with_population and len(with_population) != len(shapes):
        missing = [s for s in shapes if s.properties.get("population") is None]
        problems += [
            f"{name} {s.label}: no population, while other blocks have one: give every block its population"
            for s in missing
        ]
    return problems


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Whole numbers proportional to the weights adding up to total exactly (largest remainder)."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


# --- quadrants -----------------------------------------------------------------------------------


@dataclass
class QuadrantDraft:
    quadrant_id: str
    name: str
    polygon: Polygon
    ring: geom.Ring  # (lon, lat), closed, counter-clockwise


def _rounded(ring: Sequence[geom.Point]) -> geom.Ring:
    return [(round(x, DECIMALS), round(y, DECIMALS)) for x, y in ring]


def derive_quadrants(
    blocks: Sequence[Shape], hull: geom.Ring, grid: tuple[int, int] | None
) -> tuple[list[QuadrantDraft], str]:
    """Quadrants drawn as a grid of cells over the blocks' centres, each clipped to the service area.

    Only cells that hold a block become quadrants; a block belongs to the cell of its centre.
    """
    centres = [polygon_centroid(b.polygon()) for b in blocks]
    lons = [c.lon for c in centres]
    lats = [c.lat for c in centres]
    width = max(lons) - min(lons)
    height = max(lats) - min(lats)
    if grid is None:
        wanted = max(1, round(len(blocks) / BLOCKS_PER_DERIVED_QUADRANT))
        aspect = (width * math.cos(math.radians(sum(lats) / len(lats)))) / height if height else 1.0
        cols = max(1, round(math.sqrt(wanted * aspect))) if width else 1
        rows = max(1, math.ceil(wanted / cols)) if height else 1
    else:
        cols, rows = grid
    hull_lons = [p[0] for p in hull]
    hull_lats = [p[1] for p in hull]
    # Inner grid lines split the centres' extent evenly; the outer cells reach the hull's edge.
    xs = [
        min(hull_lons) - 1e-4,
        *(min(lons) + width * k / cols for k in range(1, cols)),
        max(hull_lons) + 1e-4,
    ]
    ys = [
        max(hull_lats) + 1e-4,
        *(max(lats) - height * k / rows for k in range(1, rows)),
        min(hull_lats) - 1e-4,
    ]
    drafts: list[QuadrantDraft] = []
    for row in range(rows):  # north to south, west to east
        for col in range(cols):
            ring = geom.clip_to_box(hull, xs[col], ys[row + 1], xs[col + 1], ys[row])
            if not ring:
                continue
            ring = geom.without_repeats(_rounded(ring))
            if len(ring) < 4:
                continue
            polygon = Polygon.from_rings([ring])
            if not any(polygon.contains(c.lat, c.lon) for c in centres):
                continue
            quadrant_id = f"Q-{len(drafts) + 1:02d}"
            cell = f"row {row + 1}, column {col + 1} of a {cols}x{rows} grid"
            what = f"the name of quadrant {quadrant_id} (drawn by the builder: {cell})"
            drafts.append(QuadrantDraft(quadrant_id, undecided(what), polygon, ring))
    note = (
        f"no QUADRANTS given: drew {len(drafts)} quadrant(s) "
        f"{drafts[0].quadrant_id}..{drafts[-1].quadrant_id} "
        f"as a {cols}x{rows} grid over the blocks (GRID=COLSxROWS to choose); "
        "replace them with your police's "
        "quadrants (QUADRANTS=) when you have them"
    )
    return drafts, note


def read_quadrants(path: Path, plane: geom.LocalPlane) -> list[tuple[Shape, QuadrantDraft]]:
    data = read_collection(path, "quadrants")
    shapes, problems, _ = read_shapes(data, path.name, "quadrant_id", plane)
    if not problems:
        problems = overlap_problems(shapes, path.name, "quadrants")
    out = []
    for shape in shapes:
        qname = shape.properties.get("name")
        if qname is not None and (not isinstance(qname, str) or not 1 <= len(qname) <= 60):
            problems.append(f"{path.name} {shape.label}: its name must be a text of 1 to 60 characters")
        if len(shape.rings) > 1:
            problems.append(f"{path.name} {shape.label}: a quadrant has no holes (give its outline only)")
        name = qname if isinstance(qname, str) else undecided(f"the name of quadrant {shape.feature_id}")
        out.append((shape, QuadrantDraft(shape.feature_id, name, shape.polygon(), shape.rings[0])))
    if problems:
        raise InputError(problems)
    return out


def assign_blocks(
    blocks: Sequence[Shape], quadrants: Sequence[QuadrantDraft], blocks_name: str
) -> tuple[dict[str, str], list[str]]:
    """Each block's quadrant: the one holding its centre (the loader's and the pack test's rule)."""
    assigned: dict[str, str] = {}
    problems: list[str] = []
    for block in blocks:
        centre = polygon_centroid(block.polygon())
        holding = [q.quadrant_id for q in quadrants if q.polygon.contains(centre.lat, centre.lon)]
        if not holding:
            problems.append(
                f"{blocks_name} {block.label}: outside every quadrant (its centre "
                f"[{centre.lon:.6f}, {centre.lat:.6f}] is in none of "
                f"{', '.join(q.quadrant_id for q in quadrants)})"
            )
        else:
            assigned[block.feature_id] = holding[0]
    return assigned, problems


# --- the skeleton --------------------------------------------------------------------------------


def _polygon_json(ring: Sequence[geom.Point]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x, y] for x, y in ring]]}


def _example(path: str) -> str:
    return f"see infra/cities/godoy-cruz/city.json {path} for an example"


def _alert_types(text: Any, sms: Any, has_sirens: bool) -> dict[str, Any]:
    """A starting protocol: which services each type reaches, to review with them; words are the city's."""

    def step(target: str, template: dict[str, str] | None, disclose: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"target": target}
        if template is not None:
            out["template"] = template
        return {**out, "disclose_sender": disclose, "delay_s": 0}

    def alert_type(
        code: str, label: str, silent: bool, priority: int, weight: float, iccs: str | None, cap: str
    ) -> dict[str, Any]:
        category, urgency, severity, certainty = cap.split()
        return {
            "labels": text(f"the label residents see for {label}, in every language the city speaks"),
            "silent": silent,
            "priority": priority,
            "severity_weight": weight,
            "iccs": iccs,
            "cap": {"category": category, "urgency": urgency, "severity": severity, "certainty": certainty},
            "siren": None,
            "protocol": [],
        }

    def to(target: str, who: str, code: str, disclose: bool = True) -> dict[str, Any]:
        return step(target, sms(f"SMS to {who}", f"alert_types.{code}.protocol"), disclose)

    types = {
        "robbery": alert_type(
            "robbery", "a robbery", False, 2, 3.0, "0401", "Security Immediate Severe Observed"
        ),
        "fire": alert_type("fire", "a fire", False, 2, 1.5, "0504", "Fire Immediate Severe Observed"),
        "medical_emergency": alert_type(
            "medical_emergency",
            "a medical emergency",
            False,
            2,
            0.0,
            None,
            "Health Immediate Severe Observed",
        ),
        "domestic_violence": alert_type(
            "domestic_violence",
            "gender or family violence (silent)",
            True,
            1,
            0.0,
            "02011",
            "Security Immediate Severe Observed",
        ),
    }
    types["robbery"]["protocol"] = [
        to("community_police", "the community-police desk", "robbery"),
        to("neighbours", "the block's neighbours", "robbery"),
        step("sender_confirmation", None, False),
    ]
    types["fire"]["protocol"] = [
        to("fire", "the fire brigade", "fire"),
        to("neighbours", "the block's neighbours", "fire", disclose=False),
    ]
    types["medical_emergency"]["protocol"] = [
        to("medical", "the medical service", "medical_emergency"),
        step("sender_confirmation", None, False),
    ]
    # The silent path: the response team only, and its SMS names no one (the console does, audited).
    types["domestic_violence"]["protocol"] = [
        to("response_team", "the response team: only the alert id, zone and time", "domestic_violence")
    ]
    if has_sirens:
        for code, signal in (("robbery", "intermittent"), ("fire", "continuous")):
            types[code]["siren"] = {"pattern": signal, "duration_s": 90}
            types[code]["protocol"].append(step("sirens", None, False))
    return types


# The official coding of places in the countries Vigía knows (vigia.city.model.OFFICIAL_CODE_SCHEMES).
_OFFICIAL_CODE_TODO = {
    "CL": ("CUT", "the comuna's CUT (Código Único Territorial, 5 digits: Peñalolén 13122)"),
    "AR": ("INDEC", "the department's INDEC code (5 digits, province and department: Godoy Cruz 50021)"),
}


def _official_code(region: str) -> dict[str, str]:
    if region in _OFFICIAL_CODE_TODO:
        scheme, what = _OFFICIAL_CODE_TODO[region]
        return {"scheme": scheme, "value": undecided(what)}
    return {
        "scheme": undecided("the country's official coding of places (CL: CUT, AR: INDEC, or its own)"),
        "value": undecided("the city's code in it"),
    }


def skeleton(
    city_id: str,
    locale: str | None,
    time_zone: str | None,
    population: int,
    service_area: geom.Ring,
    quadrants: Sequence[QuadrantDraft],
    quadrant_population: Mapping[str, int],
    has_sirens: bool,
) -> dict[str, Any]:
    """city.json with what the blocks say filled in and every decision of the city marked TODO."""
    key = locale or UNDETERMINED_LOCALE

    def text(what: str) -> dict[str, str]:
        return {key: undecided(what)}

    def sms(what: str, example: str) -> dict[str, str]:
        return text(f"{what}; GSM-7, one part if it can ({_example(example)})")

    def number(what: str) -> str:
        return undecided(f"{what}, in E.164 (+ country code, number)")

    def setting(what: str, godoy_cruz: int) -> str:
        return undecided(f"{what} (Godoy Cruz: {godoy_cruz})")

    region = locale.partition("-")[2] if locale else ""
    return {
        "$schema": "../../../schemas/city.schema.json",
        "city_id": city_id,
        "name": undecided("the city's name as residents and operators read it"),
        "time_zone": time_zone or undecided("the IANA time zone, e.g. America/Santiago"),
        "locale": locale
        or undecided("the default language, e.g. es-CL; then key every text by it, not 'und'"),
        "locales": [locale] if locale else [undecided("every language the city speaks, the default first")],
        "country_code": region
        if region.isalpha()
        else undecided("the ISO 3166-1 country, e.g. CL: how residents' local numbers are read"),
        "population": population,
        "official_code": _official_code(region),
        "population_source": {
            "name": undecided(
                "where population comes from: the census and its office (Censo 2017, INE), or say 'estimate'"
            ),
            "year": undecided("the year the population counts, e.g. 2017"),
        },
        "sms_channel": undecided(
            "how SMS leave: end_user_messaging (the city's own short or long code; Argentina: short codes"
            " only) or sns (docs/deploy.md section 8)"
        ),
        "service_area": _polygon_json(service_area),
        "quadrants": [
            {
                "quadrant_id": q.quadrant_id,
                "name": q.name,
                "polygon": _polygon_json(q.ring),
                "population": quadrant_population[q.quadrant_id],
            }
            for q in quadrants
        ],
        "settings": {
            "alert_rate_limit": {
                "max_alerts": setting("most alerts a resident may send in window_s", 3),
                "window_s": setting("that window in seconds", 600),
            },
            "silent_alert_rate_limit": {
                "max_alerts": setting("most silent alerts a resident may send in window_s", 10),
                "window_s": setting("that window in seconds", 3600),
            },
            "silent_ack_target_s": setting("seconds for the response team to take a silent alert", 120),
            "cancel_window_s": setting("seconds a sender may cancel an alert sent by mistake", 120),
            "response_target_s": setting("target seconds from alert to a unit on site", 420),
            "false_alarm_policy": {
                "strikes": setting("false alarms that suspend a resident", 3),
                "window_days": setting("within how many days", 90),
            },
            "small_cell_threshold": setting("published figures under this count are suppressed", 5),
            "hotspots": {
                "h3_resolution": setting("H3 resolution of hot-spot cells", 9),
                "lookback_days": setting("days of alerts a hot spot looks back on", 28),
            },
            "patrol": {
                "fixed_point_min": setting("minutes a unit stands at a fixed point each hour", 14),
                "patrol_min": setting("minutes it patrols each hour", 46),
                "no_return_hours": setting("hours before it returns to a fixed point", 3),
            },
            "helpline": number("the number a suspended resident is told to call"),
        },
        "alert_types": _alert_types(text, sms, has_sirens),
        "dispatch": {
            "community_police": [number("the community-police desk's number(s)")],
            "medical": [number("the medical service's number(s)")],
            "fire": [number("the fire brigade's number(s)")],
            "response_team": [number("the on-duty response team's number(s)")],
        },
        "units": [
            {
                "unit_id": f"U-{k + 1:02d}",
                "name": undecided(f"the name of the community-police car patrolling {q.quadrant_id}"),
                "phone": number(f"the phone of the car patrolling {q.quadrant_id}"),
                "quadrant_id": q.quadrant_id,
                "shifts": [{"start": undecided("HH:MM local time"), "end": undecided("HH:MM local time")}],
            }
            for k, q in enumerate(quadrants)
        ],
        "perception_questions": [
            {
                "question_id": "safe_at_night",
                "text": text("the survey question 'do you feel safe in your neighbourhood at night?'"),
                "scale": [1, 5],
            }
        ],
        "referral_directory": [
            {
                "referral_id": "gender-violence-line",
                "name": text("the gender-violence helpline's name (Argentina: Linea 144, Chile: Fono 1455)"),
                "kind": "hotline",
                "scope": "national",
                "phone": undecided("its number: E.164 or a short code such as 1455"),
            }
        ],
        "sender_sms": sms("SMS confirming receipt to the sender", "sender_sms"),
        "texts": {
            "map_link": text(f"the link {{map}} stands for, with {{lat}} and {{lon}} ({_example('texts')})"),
            "place_at_home": text(
                f"{{place}} of an alert raised at home: {{place}} {{home_address}} ({_example('texts')})"
            ),
            "cancellation": sms("SMS to everyone told when the sender cancels", "texts.cancellation"),
            "unit_assignment": sms("SMS to the car an operator assigns", "texts.unit_assignment"),
            "escalation": text(
                f"the CAP headline when an operator hands an alert to the CAD ({_example('texts')})"
            ),
            "cap_restriction": text(f"the CAP <restriction> ({_example('texts')})"),
            "cap_cancel_note": text(f"the CAP note of a cancellation ({_example('texts')})"),
            "resident_suspended": sms("SMS to a suspended resident: {reason} {helpline}", "texts"),
            "resident_approved": sms("SMS when a resident is reinstated: {helpline}", "texts"),
            "resident_rejected": sms("SMS when a registration is rejected: {reason} {helpline}", "texts"),
            "automatic_suspension_reason": text(
                "why the false-alarm policy suspended someone: {count} {days}"
            ),
        },
    }


# --- building -----------------------------------------------------------------------------------


@dataclass
class Built:
    city_json: dict[str, Any]
    geography: dict[str, Any]
    notes: list[str]


def build(
    city_id: str,
    blocks_path: Path,
    quadrants_path: Path | None = None,
    *,
    locale: str | None = None,
    time_zone: str | None = None,
    population: int | None = None,
    grid: tuple[int, int] | None = None,
) -> Built:
    """The pack's two documents from the input files, or InputError listing every problem."""
    if str(blocks_path) in ("", "."):
        raise InputError(["BLOCKS=<the blocks' GeoJSON file> is missing: make city NAME=<id> BLOCKS=<file>"])
    if not CITY_ID.match(city_id):
        raise InputError(
            [f"NAME {city_id!r} is not a city id: lower-case letters, digits and -, 2 to 41, e.g. mi-ciudad"]
        )
    if locale is not None and not LOCALE.match(locale):
        raise InputError([f"LOCALE {locale!r} is not a language tag such as es-CL"])
    if time_zone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(
                [f"TIME_ZONE {time_zone!r} is not an IANA time zone such as America/Santiago"]
            ) from None
    name = blocks_path.name
    data = read_collection(blocks_path, "blocks")
    blocks, problems, plane = read_shapes(data, name, "block_id", None)
    problems += _block_property_problems(blocks, name)
    if problems or plane is None:  # what follows needs every block's own geometry sound
        raise InputError(problems)
    # From here every problem is gathered before refusing: overlaps, quadrants, blocks outside them.
    problems = overlap_problems(blocks, name, "blocks")
    notes: list[str] = []
    rewound = [b for b in blocks if b.rewound]
    if rewound:
        notes.append(f"rewound {len(rewound)} block(s) to RFC 7946's winding (exterior counter-clockwise)")
    hull = _rounded(geom.convex_hull([p for b in blocks for p in b.rings[0]]))
    notes.append(
        "service_area: the convex hull of the blocks; draw the city's own outline there if alerts "
        "beyond the blocks should be refused"
    )
    quadrant_shapes: dict[str, Shape] = {}
    if quadrants_path is not None:
        try:
            given = read_quadrants(quadrants_path, plane)
        except InputError as exc:
            raise InputError([*problems, *exc.problems]) from None
        drafts = [draft for _, draft in given]
        quadrant_shapes = {shape.feature_id: shape for shape, _ in given}
    else:
        drafts, note = derive_quadrants(blocks, hull, grid)
        notes.append(note)
    assigned, unplaced = assign_blocks(blocks, drafts, name)
    problems += unplaced
    # The police's quadrants follow streets: a block reaching across a quadrant line is a mistake in one file
    # or the other. (Drawn quadrants cut blocks by design; a block is then its centre's.)
    for block in blocks if quadrant_shapes else ():
        own = assigned.get(block.feature_id)
        outside = own and geom.corner_outside(block.plane_rings[0], quadrant_shapes[own].plane_rings)
        if own and outside:
            corner, metres = outside
            lon, lat = (round(v, DECIMALS) for v in block.rings[0][corner])
            problems.append(
                f"{name} {block.label}: reaches outside its quadrant {own} (its corner [{lon}, {lat}] lies "
                f"{metres:.0f} m outside it; its centre is in it): a block must lie within one quadrant"
            )
    if not unplaced:
        quadrants_name = quadrants_path.name if quadrants_path else "quadrants"
        problems += [
            f"{quadrants_name} quadrant {q.quadrant_id}: holds no block "
            "(every quadrant needs blocks to patrol): leave it out or check the blocks"
            for q in drafts
            if q.quadrant_id not in assigned.values()
        ]
    if problems:
        raise InputError(problems)

    if blocks[0].properties.get("population") is not None:
        populations = [int(b.properties["population"]) for b in blocks]
        if population is not None and population != sum(populations):
            raise InputError(
                [
                    f"POPULATION {population} differs from the blocks' populations, "
                    f"which add up to {sum(populations)}"
                ]
            )
    elif population is not None:
        areas = [abs(geom.signed_area(b.plane_rings[0])) for b in blocks]
        populations = _allocate(population, areas)
        notes.append(
            f"spread POPULATION {population} over the blocks by their area: give each block its "
            "census population ('population' property) for better figures"
        )
    else:
        raise InputError(
            [
                f"{name}: the blocks have no population: give each feature a 'population' property, or "
                "POPULATION=<the city's census population> to spread it over the blocks by area"
            ]
        )
    unnamed = [b for b in blocks if not b.properties.get("name")]
    if unnamed:
        notes.append(
            f"{len(unnamed)} block(s) have no 'name': named by their id; residents read a block's name "
            "in every SMS ({place}), so name them as residents do (a corner)"
        )

    quadrant_population = dict.fromkeys((q.quadrant_id for q in drafts), 0)
    features: list[dict[str, Any]] = []
    for block, block_population in zip(blocks, populations, strict=True):
        quadrant_id = assigned[block.feature_id]
        quadrant_population[quadrant_id] += block_population
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x, y] for x, y in ring] for ring in block.rings],
                },
                "properties": {
                    "block_id": block.feature_id,
                    "name": block.properties.get("name") or block.feature_id,
                    "quadrant_id": quadrant_id,
                    "population": block_population,
                    "sirens": block.properties.get("sirens", []),
                },
            }
        )
    has_sirens = any(block.properties.get("sirens") for block in blocks)
    city_json = skeleton(
        city_id, locale, time_zone, sum(populations), hull, drafts, quadrant_population, has_sirens
    )
    return Built(city_json, {"type": "FeatureCollection", "features": features}, notes)


def write_pack(built: Built, out: Path, force: bool) -> None:
    existing = [p.name for p in (out / "city.json", out / "geography.geojson") if p.exists()]
    if existing and not force:
        raise InputError([f"{out} already holds a pack ({', '.join(existing)}): FORCE=1 to overwrite it"])
    city_text, geo_text = render(built.city_json, built.geography)
    out.mkdir(parents=True, exist_ok=True)
    (out / "city.json").write_text(city_text, encoding="utf-8")
    (out / "geography.geojson").write_text(geo_text, encoding="utf-8")


def _grid(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"([1-9][0-9]?)x([1-9][0-9]?)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"GRID {text!r} is not COLSxROWS, e.g. 3x2")
    return int(match.group(1)), int(match.group(2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--name", required=True, help="the city id: the pack's folder under infra/cities/")
    parser.add_argument(
        "--blocks", required=True, type=Path, help="the blocks: GeoJSON FeatureCollection of Polygons"
    )
    parser.add_argument("--quadrants", type=Path, help="the quadrants: GeoJSON FeatureCollection of Polygons")
    parser.add_argument("--locale", help="the default language, e.g. es-CL (texts are keyed by it)")
    parser.add_argument("--time-zone", help="IANA time zone, e.g. America/Santiago")
    parser.add_argument(
        "--population", type=int, help="census population, spread by area over blocks without one"
    )
    parser.add_argument("--grid", type=_grid, help="COLSxROWS of the quadrants drawn without --quadrants")
    parser.add_argument("--out", type=Path, help="folder to write (default infra/cities/<name>)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing pack")
    args = parser.parse_args(argv)
    out = args.out or CITIES_DIR / args.name
    try:
        built = build(
            args.name,
            args.blocks,
            args.quadrants,
            locale=args.locale,
            time_zone=args.time_zone,
            population=args.population,
            grid=args.grid,
        )
        write_pack(built, out, args.force)
    except InputError as exc:
        shown = exc.problems[:MAX_PROBLEMS]
        more = len(exc.problems) - len(shown)
        print(f"city pack not built: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in shown:
            print(f"- {problem}", file=sys.stderr)
        if more:
            print(f"- (and {more} more)", file=sys.stderr)
        return 2
    decisions = undecided_fields(built.city_json, built.geography)
    features = built.geography["features"]
    quadrants = built.city_json["quadrants"]
    print(f"wrote {out / 'city.json'} and {out / 'geography.geojson'}")
    print(f"{len(features)} blocks, {len(quadrants)} quadrants, population {built.city_json['population']}")
    for note in built.notes:
        print(f"note: {note}")
    print(
        f"{len(decisions)} field(s) of city.json are yours to decide (their value starts with "
        f"{UNDECIDED_MARK!r}); the pack loader refuses the pack, naming each, until you replace them:"
    )
    for path, _ in decisions:
        print(f"  {path}")
    print("then check it: see docs/city-pack.md, 'From your GeoJSON to a running stack'")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
