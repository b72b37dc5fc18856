"""The places hot spots are scored on: the H3 cells covering the city, each in one quadrant.

A place is an H3 cell at the city pack's resolution (9 by default: hexagons of about 0.1 km²,
174 m edge, a few blocks each). The grid covers every quadrant: the cells whose centre lies in the
quadrant's polygon, plus the cell of every block centroid, so a small or oddly shaped quadrant is
never left without places. A cell belongs to the quadrant its centre falls in (or, for a centre
outside every quadrant, to the quadrant most of its blocks belong to).

Neighbours are the cells one H3 step away (`grid_disk(cell, ring)`), kept only when they are
places themselves: the study area ends at the city limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import h3


@dataclass(frozen=True)
class Place:
    place_id: str  # the H3 cell, hex string
    lat: float  # the cell centre: where a fixed point stands
    lon: float
    quadrant_id: str


@dataclass(frozen=True, eq=False)
class PlaceGrid:
    resolution: int
    ring: int
    places: tuple[Place, ...]
    index: Mapping[str, int] = field(repr=False)
    neighbours: tuple[tuple[int, ...], ...] = field(repr=False)
    by_quadrant: Mapping[str, tuple[int, ...]] = field(repr=False)

    @classmethod
    def of_cells(cls, cells: Mapping[str, str], resolution: int, ring: int = 1) -> PlaceGrid:
        """A grid from {cell: quadrant_id}; places are ordered by cell id, so every run agrees."""
        ordered = sorted(cells)
        places = []
        for cell in ordered:
            lat, lon = h3.cell_to_latlng(cell)
            places.append(Place(cell, round(lat, 6), round(lon, 6), cells[cell]))
        index = {cell: i for i, cell in enumerate(ordered)}
        neighbours = tuple(
            tuple(sorted(index[n] for n in h3.grid_disk(cell, ring) if n != cell and n in index))
            for cell in ordered
        )
        by_quadrant: dict[str, list[int]] = {}
        for i, place in enumerate(places):
            by_quadrant.setdefault(place.quadrant_id, []).append(i)
        return cls(
            resolution=resolution,
            ring=ring,
            places=tuple(places),
            index=index,
            neighbours=neighbours,
            by_quadrant={q: tuple(ix) for q, ix in by_quadrant.items()},
        )

    def cell_of(self, lat: float, lon: float) -> int | None:
        """The index of the place containing (lat, lon), or None outside the grid."""
        try:
            cell = h3.latlng_to_cell(lat, lon, self.resolution)
        except (h3.H3BaseException, ValueError, TypeError):
            return None
        return self.index.get(cell)

    def quadrant_places(self, quadrant_id: str) -> tuple[int, ...]:
        return self.by_quadrant.get(quadrant_id, ())

    def __len__(self) -> int:
        return len(self.places)


def cells_from_geography(
    quadrant_rings: Mapping[str, Sequence[Sequence[tuple[float, float]]]],
    block_centroids: Iterable[tuple[str, float, float]],
    resolution: int,
    quadrant_at: Callable[[float, float], str | None] | None = None,
) -> dict[str, str]:
    """{cell: quadrant_id} covering the quadrants' polygons ((lon, lat) rings) and every block centroid.

    `block_centroids` yields (quadrant_id, lat, lon). `quadrant_at(lat, lon)` (optional) names the
    quadrant of a point; without it, or where it answers None, a cell goes to its blocks' majority.
    """
    cells: dict[str, str] = {}
    for quadrant_id, rings in quadrant_rings.items():
        shape = h3.LatLngPoly(
            [(lat, lon) for lon, lat in rings[0]], *[[(lat, lon) for lon, lat in hole] for hole in rings[1:]]
        )
        for cell in h3.polygon_to_cells(shape, resolution):
            cells.setdefault(cell, quadrant_id)
    votes: dict[str, Counter[str]] = {}
    for quadrant_id, lat, lon in block_centroids:
        cell = h3.latlng_to_cell(lat, lon, resolution)
        votes.setdefault(cell, Counter())[quadrant_id] += 1
    for cell, counter in votes.items():
        if cell in cells:
            continue
        owner = quadrant_at(*h3.cell_to_latlng(cell)) if quadrant_at else None
        cells[cell] = owner or min(counter, key=lambda q: (-counter[q], q))
    return cells
