"""Draws a demo city's geography from a seed (geography.geojson, and the parts of city.json drawn with it).

Usage: python infra/tools/generate_city.py --city godoy-cruz|penalolen --seed 42 [--out DIR] [--no-check]

The geography is synthetic: a jittered street grid of ~115 m blocks on the city's real coordinates,
with an uneven outline, ten quadrants, block populations that add up to the city's, and siren units
on blocks. It writes geography.geojson, and in city.json only what is drawn with the blocks: the
`service_area`, each quadrant's `polygon` and `population`, and the city's `population`. Everything
else in city.json (alert types, protocols, settings, texts, dispatch, units, quadrant names) is the
city's own, edited by hand, and kept as it is; city.json is written back in the layout of the
committed packs (2-space indent, one line per polygon). The same seed gives the same bytes.
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
    population: int
    sirens: int
    # The quadrants' ids: north row west to east, then south row west to east; empty: Q-01…Q-10
    quadrant_ids: tuple[str, ...] = ()


# Street names are Godoy Cruz's and Mendoza's, written without the accents that would
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
    population=220_000,
    sirens=662,
)


# Peñalolén (Santiago, Chile; CUT 13122): the urban comuna between Américo Vespucio and the Andes
# foothills, around -33.483, -70.540. The grid is synthetic: a mix of the comuna's avenues and of
# street names common in its villas, not its real street plan; the quadrant ids are modelled on
# Carabineros' Plan Cuadrante numbering but are not Carabineros' own. Names are written without
# á í ó ú (GSM-7), as Godoy Cruz's are; ñ and é are GSM-7 and kept.
PENALOLEN_GRID = GridProfile(
    centre_lat=-33.4830,
    centre_lon=-70.5400,
    rows=32,
    cols=38,
    block_m=(100.0, 140.0),
    jitter_m=10.0,
    max_indent=5,
    ns_streets=(
        "Americo Vespucio",
        "Los Cerezos",
        "Tobalaba",
        "Los Aromos",
        "Los Boldos",
        "Consistorial",
        "Los Quillayes",
        "Los Espinos",
        "Las Torres",
        "Los Peumos",
        "Los Maitenes",
        "Sanchez Fontecilla",
        "Las Acacias",
        "El Litre",
        "Los Molles",
        "Diagonal Las Torres",
        "Los Canelos",
        "Los Alerces",
        "Los Coigues",
        "Los Ulmos",
        "Oriental",
        "Las Araucarias",
        "Lautaro",
        "Caupolican",
        "Galvarino",
        "Colo Colo",
        "Tucapel",
        "Lincoyan",
        "Rengo",
        "Millaray",
        "Tegualda",
        "Fresia",
        "Janequeo",
        "Guacolda",
        "Los Orientales",
        "Valle Hermoso",
        "El Tranque",
        "Las Perdices",
    ),
    ew_streets=(
        "Alvaro Casanova",
        "Larrain",
        "José Arrieta",
        "Talinay",
        "Lo Hermida",
        "Grecia",
        "Peñalolén",
        "Los Presidentes",
        "Mar Tirreno",
        "Mar Egeo",
        "Mar Jonico",
        "Quilin",
        "Las Parcelas",
        "Departamental",
        "Antupiren",
        "La Quebrada",
        "Arica",
        "Iquique",
        "Antofagasta",
        "Atacama",
        "Coquimbo",
        "Valparaiso",
        "Rancagua",
        "Talca",
        "Chillan",
        "Concepcion",
        "Temuco",
        "Valdivia",
        "Osorno",
        "Llanquihue",
        "Chiloe",
        "Aysen",
    ),
    population=241_599,  # Censo 2017 (INE)
    sirens=540,
    quadrant_ids=("C-181", "C-182", "C-183", "C-184", "C-185", "C-186", "C-187", "C-188", "C-189", "C-190"),
)


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
    """Returns (the parts of city.json drawn with the blocks, the geography FeatureCollection)."""
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

    quadrant_ids = list(grid.quadrant_ids) or [f"Q-{q + 1:02d}" for q in range(2 * bands)]
    if len(quadrant_ids) != 2 * bands:
        raise ValueError(f"the grid draws {2 * bands} quadrants; the profile names {len(quadrant_ids)}")
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
    quadrants = {
        quadrant_ids[q]: {
            "polygon": _polygon(_trace(vertices, quadrant_spans[q])),
            "population": quadrant_population[q],
        }
        for q in range(len(quadrant_ids))
    }
    drawn = {
        "population": grid.population,
        "service_area": _polygon(_trace(vertices, spans)),
        "quadrants": quadrants,
    }
    return drawn, {"type": "FeatureCollection", "features": features}


# --- writing --------------------------------------------------------------------------------------

CITIES = {"godoy-cruz": GODOY_CRUZ_GRID, "penalolen": PENALOLEN_GRID}


def redraw(city_json: dict[str, Any], grid: GridProfile, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """city.json with the parts drawn with the blocks replaced (everything else kept), and the geography.

    The quadrants keep their names and order as the city wrote them; ValueError when city.json does not
    list exactly the quadrants the blocks are drawn in.
    """
    drawn, geography = generate_geography(grid, seed)
    listed = [q.get("quadrant_id") for q in city_json.get("quadrants", [])]
    if sorted(listed) != sorted(drawn["quadrants"]):
        raise ValueError(
            f"city.json lists quadrants {listed}; the blocks are drawn in {sorted(drawn['quadrants'])}: "
            "list each of those (quadrant_id, name) by hand"
        )
    out = dict(city_json)
    out["population"] = drawn["population"]
    out["service_area"] = drawn["service_area"]
    out["quadrants"] = [{**q, **drawn["quadrants"][q["quadrant_id"]]} for q in city_json["quadrants"]]
    return out, geography


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
    """Redraws the geography into `out`; city.json is read from `out`, else from the committed pack."""
    city_path, geo_path = out / "city.json", out / "geography.geojson"
    source = city_path if city_path.exists() else ROOT / "infra" / "cities" / city / "city.json"
    city_json = json.loads(source.read_text(encoding="utf-8"))
    city_text, geo_text = render(*redraw(city_json, CITIES[city], seed))
    out.mkdir(parents=True, exist_ok=True)
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
