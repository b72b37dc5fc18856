"""Plane geometry for the city-pack builder: simple rings, overlapping blocks, hulls and clipping.

The builder checks a city's own block polygons before they become a pack. The loader's geometry
(vigia.city.geo) only answers "which block holds this point"; whether a ring crosses itself or two
blocks overlap is asked once, here, on positions projected to metres around the city (a local
equirectangular plane: at city scale its error is far below a centimetre per hundred metres).
Shapely would do it too, but it is not a dependency of the project, and these few checks are small.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

Point = tuple[float, float]  # (x, y): metres on the local plane, or (lon, lat) where so named
Ring = list[Point]  # closed: the last point is the first

M_PER_DEG_LAT = 111_132.954
M_PER_DEG_LON_EQUATOR = 111_319.491

# Two blocks that share a street edge meet on it; one that reaches more than this into another overlaps.
OVERLAP_TOLERANCE_M = 0.01
# A block's corner may lie this far outside its quadrant: police lines and cadastres are drawn apart.
CORNER_OUTSIDE_TOLERANCE_M = 1.0
# A ring whose edges come closer than this (other than at their shared corner) crosses or touches itself.
SELF_TOUCH_TOLERANCE_M = 0.001


class LocalPlane:
    """(lon, lat) degrees to metres east and north of an origin near the city."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.kx = M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))

    def to_m(self, lon: float, lat: float) -> Point:
        return ((lon - self.lon0) * self.kx, (lat - self.lat0) * M_PER_DEG_LAT)

    def to_deg(self, x: float, y: float) -> Point:
        return (self.lon0 + x / self.kx, self.lat0 + y / M_PER_DEG_LAT)


def signed_area(ring: Sequence[Point]) -> float:
    """Shoelace area of a closed ring; positive when counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def without_repeats(ring: Sequence[Point]) -> Ring:
    """The closed ring with consecutive repeated positions dropped (GIS exports often repeat a corner)."""
    out: Ring = []
    for point in ring:
        if not out or point != out[-1]:
            out.append(point)
    return out


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def point_segment_distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy))


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    return ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4)


def segment_distance(a: Point, b: Point, c: Point, d: Point) -> float:
    if _segments_cross(a, b, c, d):
        return 0.0
    return min(
        point_segment_distance(a, c, d),
        point_segment_distance(b, c, d),
        point_segment_distance(c, a, b),
        point_segment_distance(d, a, b),
    )


def _box(points: Sequence[Point]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _boxes_near(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float], pad: float
) -> bool:
    return a[0] <= b[2] + pad and b[0] <= a[2] + pad and a[1] <= b[3] + pad and b[1] <= a[3] + pad


def ring_self_crossing(ring: Ring, tolerance: float = SELF_TOUCH_TOLERANCE_M) -> tuple[int, int] | None:
    """The first two edges (by index) of a closed ring that cross or touch, else None.

    Edges that follow each other share a corner and may only meet there: one that folds back
    along the other (a spike) counts as touching.
    """
    edges = list(itertools.pairwise(ring))
    count = len(edges)
    boxes = [_box(edge) for edge in edges]
    for i in range(count):
        a, b = edges[i]
        for j in range(i + 1, count):
            c, d = edges[j]
            if j == i + 1:  # b == c
                if point_segment_distance(d, a, b) < tolerance or point_segment_distance(a, c, d) < tolerance:
                    return i, j
            elif i == 0 and j == count - 1:  # d == a
                if point_segment_distance(c, a, b) < tolerance or point_segment_distance(b, c, d) < tolerance:
                    return i, j
            elif _boxes_near(boxes[i], boxes[j], tolerance) and segment_distance(a, b, c, d) < tolerance:
                return i, j
    return None


def _edges(rings: Sequence[Ring]) -> Iterator[tuple[Point, Point]]:
    for ring in rings:
        yield from itertools.pairwise(ring)


def _inside(p: Point, rings: Sequence[Ring]) -> bool:
    """Even-odd rule over every ring: inside the exterior and in no hole."""
    inside = False
    x, y = p
    for (x0, y0), (x1, y1) in _edges(rings):
        if (y1 > y) != (y0 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _strictly_inside(p: Point, rings: Sequence[Ring], tolerance: float) -> bool:
    return _inside(p, rings) and all(point_segment_distance(p, a, b) > tolerance for a, b in _edges(rings))


def _split_points(p: Point, q: Point, rings: Sequence[Ring], tolerance: float) -> list[float]:
    """Where along p→q (0..1) the boundary of `rings` meets it: the edge's pieces between them lie
    each wholly inside, outside or on that boundary."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    length2 = dx * dx + dy * dy
    params = [0.0, 1.0]
    if length2 == 0:
        return params
    for r, s in _edges(rings):
        for end in (r, s):  # corners on (or within the tolerance of) the edge
            if point_segment_distance(end, p, q) < tolerance:
                params.append(((end[0] - p[0]) * dx + (end[1] - p[1]) * dy) / length2)
        ex, ey = s[0] - r[0], s[1] - r[1]
        den = dx * ey - dy * ex
        if den != 0:
            t = ((r[0] - p[0]) * ey - (r[1] - p[1]) * ex) / den
            u = ((r[0] - p[0]) * dy - (r[1] - p[1]) * dx) / den
            if 0 <= t <= 1 and 0 <= u <= 1:
                params.append(t)
    return sorted(min(1.0, max(0.0, t)) for t in params)


def interior_point(rings: Sequence[Ring]) -> Point:
    """A point inside the polygon (not on its edge): the middle of the widest span of a scanline."""
    _, y_min, _, y_max = _box(rings[0])
    y = y_min + (y_max - y_min) * 0.5173  # off-centre: a scanline through a corner is ambiguous
    xs = sorted(
        x0 + (y - y0) * (x1 - x0) / (y1 - y0) for (x0, y0), (x1, y1) in _edges(rings) if (y1 > y) != (y0 > y)
    )
    spans = [(xs[k], xs[k + 1]) for k in range(0, len(xs) - 1, 2)]
    left, right = max(spans, key=lambda span: span[1] - span[0]) if spans else (rings[0][0][0],) * 2
    return ((left + right) / 2, y)


def interiors_overlap(a: Sequence[Ring], b: Sequence[Ring], tolerance: float = OVERLAP_TOLERANCE_M) -> bool:
    """Whether two simple polygons share area (more than `tolerance` deep); sharing an edge is not.

    Either one's boundary passes through the other's inside — some piece of an edge, between the
    points where the other's boundary meets it, lies inside the other — or, if neither does, they
    are the same polygon (an interior point of one lies inside the other).
    """
    if not _boxes_near(_box(a[0]), _box(b[0]), -tolerance):
        return False
    for this, other in ((a, b), (b, a)):
        box = _box(other[0])
        for p, q in _edges(this):
            if not _boxes_near(_box((p, q)), box, 0.0):
                continue
            params = _split_points(p, q, other, tolerance)
            for t0, t1 in itertools.pairwise(params):
                if t1 - t0 <= 0:
                    continue
                mid = (t0 + t1) / 2
                m = (p[0] + mid * (q[0] - p[0]), p[1] + mid * (q[1] - p[1]))
                if _strictly_inside(m, other, tolerance):
                    return True
    return _strictly_inside(interior_point(a), b, tolerance) or _strictly_inside(
        interior_point(b), a, tolerance
    )


def corner_outside(
    ring: Ring, container: Sequence[Ring], tolerance: float = CORNER_OUTSIDE_TOLERANCE_M
) -> tuple[int, float] | None:
    """The first corner of `ring` more than `tolerance` outside `container`, and how far, or None."""
    for k, p in enumerate(ring[:-1]):
        if not _inside(p, container):
            distance = min(point_segment_distance(p, a, b) for a, b in _edges(container))
            if distance > tolerance:
                return k, distance
    return None


def convex_hull(points: Sequence[Point]) -> Ring:
    """Andrew's monotone chain: the counter-clockwise hull, closed."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return [*pts, pts[0]]

    def half(sequence: Sequence[Point]) -> list[Point]:
        chain: list[Point] = []
        for p in sequence:
            while len(chain) >= 2 and _cross(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
        return chain

    lower, upper = half(pts), half(pts[::-1])
    hull = lower[:-1] + upper[:-1]
    return [*hull, hull[0]]


def clip_to_box(ring: Ring, x_min: float, y_min: float, x_max: float, y_max: float) -> Ring:
    """Sutherland-Hodgman: the part of a convex closed ring inside an axis-aligned box ([] if none)."""
    points = ring[:-1]
    for axis, bound, keep_low in ((0, x_min, False), (0, x_max, True), (1, y_min, False), (1, y_max, True)):
        if not points:
            return []

        def inside(p: Point, axis: int = axis, bound: float = bound, keep_low: bool = keep_low) -> bool:
            return p[axis] <= bound if keep_low else p[axis] >= bound

        out: list[Point] = []
        for k, current in enumerate(points):
            previous = points[k - 1]
            if inside(current):
                if not inside(previous):
                    out.append(_cut(previous, current, axis, bound))
                out.append(current)
            elif inside(previous):
                out.append(_cut(previous, current, axis, bound))
        points = out
    return [*points, points[0]] if len(points) >= 3 else []


def _cut(p: Point, q: Point, axis: int, bound: float) -> Point:
    t = (bound - p[axis]) / (q[axis] - p[axis])
    other = 1 - axis
    value = p[other] + t * (q[other] - p[other])
    return (bound, value) if axis == 0 else (value, bound)
