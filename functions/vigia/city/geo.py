"""Geometry on WGS-84 coordinates at city scale: points in polygons, distances, centroids, a lookup index."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius

T = TypeVar("T")

# GeoJSON order, (lon, lat), as stored in the city pack; the public API speaks (lat, lon).
Position = tuple[float, float]
Ring = tuple[Position, ...]


class LatLon(NamedTuple):
    lat: float
    lon: float


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def point_in_ring(lon: float, lat: float, ring: Sequence[Position]) -> bool:
    """Ray casting (even-odd rule) on a closed ring of (lon, lat) positions.

    Each edge is evaluated from its southern to its northern end, so an edge shared by two
    polygons gives bit-identical arithmetic in both: a point on a shared edge belongs to exactly
    one of them, and blocks that tile a service area leave neither gaps nor double counts.
    """
    inside = False
    x0, y0 = ring[-1]
    for x1, y1 in ring:
        if (y1 > lat) != (y0 > lat):
            if y0 < y1:
                xs, ys, xn, yn = x0, y0, x1, y1
            else:
                xs, ys, xn, yn = x1, y1, x0, y0
            if lon < xs + (lat - ys) * (xn - xs) / (yn - ys):
                inside = not inside
        x0, y0 = x1, y1
    return inside


def ring_signed_area(ring: Sequence[Position]) -> float:
    """Shoelace area in square degrees; positive when counter-clockwise (RFC 7946 exterior rings)."""
    total = 0.0
    x0, y0 = ring[-1]
    for x1, y1 in ring:
        total += x0 * y1 - x1 * y0
        x0, y0 = x1, y1
    return total / 2


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def of(cls, positions: Sequence[Position]) -> BBox:
        lons = [p[0] for p in positions]
        lats = [p[1] for p in positions]
        return cls(min(lons), min(lats), max(lons), max(lats))

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True)
class Polygon:
    """A GeoJSON Polygon: the first ring is the exterior, any others are holes."""

    rings: tuple[Ring, ...]
    bbox: BBox

    @classmethod
    def from_rings(cls, rings: Sequence[Sequence[Sequence[float]]]) -> Polygon:
        converted = tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in rings)
        return cls(converted, BBox.of(converted[0]))

    @classmethod
    def from_geojson(cls, geometry: Mapping[str, Any]) -> Polygon:
        if geometry.get("type") != "Polygon":
            raise ValueError(f"expected a GeoJSON Polygon, got {geometry.get('type')!r}")
        return cls.from_rings(geometry["coordinates"])

    def contains(self, lat: float, lon: float) -> bool:
        if not self.bbox.contains(lat, lon):
            return False
        if not point_in_ring(lon, lat, self.rings[0]):
            return False
        return not any(point_in_ring(lon, lat, hole) for hole in self.rings[1:])

    def centroid(self) -> LatLon:
        return polygon_centroid(self)

    def to_geojson(self) -> dict[str, Any]:
        return {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in self.rings]}


def polygon_centroid(polygon: Polygon) -> LatLon:
    """Area-weighted centroid (holes subtract), planar in degrees: exact enough at city scale."""
    area_sum = cx_sum = cy_sum = 0.0
    for index, ring in enumerate(polygon.rings):
        # The exterior counts positive, holes negative, whatever their winding.
        sign = 1.0 if index == 0 else -1.0
        ring_area = ring_signed_area(ring)
        if ring_area == 0:
            continue
        cx = cy = 0.0
        x0, y0 = ring[-1]
        for x1, y1 in ring:
            cross = x0 * y1 - x1 * y0
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
            x0, y0 = x1, y1
        # cx / (6 * signed area) is the ring centroid whatever its winding; weight it by |area|.
        weight = sign * abs(ring_area)
        area_sum += weight
        cx_sum += weight * cx / (6 * ring_area)
        cy_sum += weight * cy / (6 * ring_area)
    if area_sum == 0:
        exterior = polygon.rings[0]
        points = exterior[:-1] if len(exterior) > 1 and exterior[0] == exterior[-1] else exterior
        return LatLon(sum(p[1] for p in points) / len(points), sum(p[0] for p in points) / len(points))
    return LatLon(cy_sum / area_sum, cx_sum / area_sum)


class GridIndex(Generic[T]):
    """Uniform grid of buckets over polygons' bounding boxes: a point lookup tests only nearby polygons.

    Built once when the city pack loads; a lookup costs a few microseconds for block-sized polygons.
    When polygons overlap, the first one given that contains the point wins.
    """

    def __init__(self, items: Sequence[tuple[Polygon, T]], cell_deg: float | None = None) -> None:
        self._items = list(items)
        if not self._items:
            self._min_lon = self._min_lat = 0.0
            self._cell = 1.0
            self._cols = self._rows = 0
            self._buckets: list[list[int]] = []
            return
        boxes = [polygon.bbox for polygon, _ in self._items]
        self._min_lon = min(b.min_lon for b in boxes)
        self._min_lat = min(b.min_lat for b in boxes)
        max_lon = max(b.max_lon for b in boxes)
        max_lat = max(b.max_lat for b in boxes)
        if cell_deg is None:
            # About one polygon per bucket: the median polygon extent.
            extents = sorted(max(b.max_lon - b.min_lon, b.max_lat - b.min_lat) for b in boxes)
            cell_deg = extents[len(extents) // 2] or 1e-3
        self._cell = cell_deg
        self._cols = int((max_lon - self._min_lon) / cell_deg) + 1
        self._rows = int((max_lat - self._min_lat) / cell_deg) + 1
        self._buckets = [[] for _ in range(self._cols * self._rows)]
        for index, box in enumerate(boxes):
            c0, r0 = self._cell_of(box.min_lat, box.min_lon)
            c1, r1 = self._cell_of(box.max_lat, box.max_lon)
            for row in range(r0, r1 + 1):
                for col in range(c0, c1 + 1):
                    self._buckets[row * self._cols + col].append(index)

    def _cell_of(self, lat: float, lon: float) -> tuple[int, int]:
        return int((lon - self._min_lon) / self._cell), int((lat - self._min_lat) / self._cell)

    def find(self, lat: float, lon: float) -> T | None:
        if not self._buckets or lon < self._min_lon or lat < self._min_lat:
            return None
        col, row = self._cell_of(lat, lon)
        if col >= self._cols or row >= self._rows:
            return None
        for index in self._buckets[row * self._cols + col]:
            polygon, value = self._items[index]
            if polygon.contains(lat, lon):
                return value
        return None

    def __len__(self) -> int:
        return len(self._items)
