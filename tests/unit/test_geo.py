"""Geometry of the city pack: distances, points in polygons, centroids, and block lookup on the demo city."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia.city import CityPack
from vigia.city.geo import GridIndex, LatLon, Polygon, haversine_m, point_in_ring, polygon_centroid


def square(west: float, south: float, size: float) -> Polygon:
    east, north = west + size, south + size
    return Polygon.from_rings([[(west, south), (east, south), (east, north), (west, north), (west, south)]])


# --- distances -----------------------------------------------------------------------------------


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert haversine_m((-33.0, -68.8), (-32.0, -68.8)) == pytest.approx(111_195, rel=1e-3)


def test_godoy_cruz_is_about_4_km_south_of_mendoza_plaza_independencia() -> None:
    # Given the two squares' coordinates
    plaza_independencia = LatLon(-32.8895, -68.8458)
    plaza_godoy_cruz = LatLon(-32.9253, -68.8447)
    # When / Then
    assert haversine_m(plaza_independencia, plaza_godoy_cruz) == pytest.approx(3_983, abs=30)


def test_distance_is_symmetric_and_zero_to_itself() -> None:
    a, b = LatLon(-32.93, -68.84), LatLon(-32.91, -68.86)
    assert haversine_m(a, a) == 0
    assert haversine_m(a, b) == pytest.approx(haversine_m(b, a))


# --- points in polygons --------------------------------------------------------------------------


def test_point_in_square_and_outside_it() -> None:
    cell = square(-68.85, -32.94, 0.01)
    assert cell.contains(-32.935, -68.845)
    assert not cell.contains(-32.925, -68.845)
    assert not cell.contains(-32.935, -68.835)


def test_concave_polygon_excludes_its_notch() -> None:
    # Given an L-shaped block: a 2x2 square missing its north-east quarter
    ring = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0), (0.0, 0.0)]
    shape = Polygon.from_rings([ring])
    # Then the notch is outside, the arms inside
    assert not shape.contains(1.5, 1.5)
    assert shape.contains(0.5, 1.5)
    assert shape.contains(1.5, 0.5)


def test_a_hole_is_outside_the_polygon() -> None:
    outer = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]
    hole = [(1.0, 1.0), (1.0, 3.0), (3.0, 3.0), (3.0, 1.0), (1.0, 1.0)]
    courtyard = Polygon.from_rings([outer, hole])
    assert not courtyard.contains(2.0, 2.0)
    assert courtyard.contains(0.5, 0.5)


def test_a_point_on_a_shared_edge_belongs_to_exactly_one_of_two_neighbouring_blocks() -> None:
    # Given two blocks sharing a slanted edge with coordinates that are inexact in binary
    shared_south, shared_north = (-68.8431, -32.9301), (-68.8429, -32.9287)
    west = Polygon.from_rings(
        [[(-68.8445, -32.9302), shared_south, shared_north, (-68.8444, -32.9288), (-68.8445, -32.9302)]]
    )
    east = Polygon.from_rings(
        [[shared_south, (-68.8416, -32.9300), (-68.8415, -32.9286), shared_north, shared_south]]
    )
    # When points lie on the shared edge (as computed in floating point)
    for t in (0.1, 0.25, 0.5, 0.7, 0.9):
        lat = shared_south[1] + t * (shared_north[1] - shared_south[1])
        lon = shared_south[0] + t * (shared_north[0] - shared_south[0])
        # Then exactly one block claims each of them
        assert west.contains(lat, lon) != east.contains(lat, lon)


def test_point_in_ring_uses_geojson_lon_lat_order() -> None:
    ring = [(10.0, 0.0), (11.0, 0.0), (11.0, 1.0), (10.0, 1.0), (10.0, 0.0)]
    assert point_in_ring(10.5, 0.5, ring)  # lon, lat
    assert not point_in_ring(0.5, 10.5, ring)


# --- centroids -----------------------------------------------------------------------------------


def test_centroid_of_a_square_is_its_centre_whatever_its_winding() -> None:
    ccw = square(0.0, 0.0, 2.0)
    cw = Polygon.from_rings([list(reversed(ccw.rings[0]))])
    assert polygon_centroid(ccw) == pytest.approx((1.0, 1.0))
    assert polygon_centroid(cw) == pytest.approx((1.0, 1.0))


def test_centroid_of_an_l_shape_lies_towards_its_heavy_corner() -> None:
    ring = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0), (0.0, 0.0)]
    # Three unit squares centred at (0.5,0.5), (1.5,0.5), (0.5,1.5): centroid (5/6, 5/6)
    assert polygon_centroid(Polygon.from_rings([ring])) == pytest.approx((5 / 6, 5 / 6))


def test_a_hole_pulls_the_centroid_away() -> None:
    outer = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]
    hole = [(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 4.0), (2.0, 2.0)]
    # 16 - 4 = 12: centroid (16*2 - 4*3) / 12 = 5/3 on both axes
    assert polygon_centroid(Polygon.from_rings([outer, hole])) == pytest.approx((5 / 3, 5 / 3))


# --- the grid index ------------------------------------------------------------------------------


def test_grid_index_finds_the_polygon_under_a_point_and_nothing_elsewhere() -> None:
    # Given a 3x3 checkerboard of small cells
    cells = [(square(lon * 0.01, lat * 0.01, 0.01), f"{lat}-{lon}") for lat in range(3) for lon in range(3)]
    index = GridIndex(cells)
    # Then each cell's middle finds that cell, and points off the board find nothing
    for polygon, name in cells:
        assert index.find(*polygon.centroid()) == name
    assert index.find(0.05, 0.015) is None
    assert index.find(-0.001, 0.015) is None
    assert GridIndex([]).find(0.0, 0.0) is None


# --- the demo city -------------------------------------------------------------------------------


def test_block_at_finds_every_block_from_its_centroid(city_pack: CityPack) -> None:
    for block in city_pack.blocks.values():
        found = city_pack.block_at(*block.centroid)
        assert found is not None
        assert found.block_id == block.block_id


def test_block_at_finds_nothing_outside_the_service_area(city_pack: CityPack) -> None:
    # Given points far away, and points inside the city's bounding box but outside its uneven outline
    box = city_pack.service_area.bbox
    far = [LatLon(-34.6, -58.4), LatLon(-32.93, -68.0), LatLon(box.max_lat + 0.001, box.min_lon)]
    steps = 60
    in_box_outside = [
        LatLon(
            box.min_lat + (box.max_lat - box.min_lat) * i / steps,
            box.min_lon + (box.max_lon - box.min_lon) * j / steps,
        )
        for i in range(steps + 1)
        for j in range(steps + 1)
    ]
    in_box_outside = [p for p in in_box_outside if not city_pack.service_area.contains(*p)]
    assert len(in_box_outside) > 20, "the demo outline should step in from its bounding box"
    # Then no block, no quadrant, not in the service area
    for point in far + in_box_outside:
        assert city_pack.block_at(*point) is None
        assert city_pack.quadrant_at(*point) is None
        assert not city_pack.in_service_area(*point)


@settings(max_examples=300, deadline=None)
@given(u=st.floats(0, 1), v=st.floats(0, 1))
def test_every_point_of_the_service_area_is_on_exactly_one_block(
    city_pack: CityPack, u: float, v: float
) -> None:
    box = city_pack.service_area.bbox
    lat = box.min_lat + u * (box.max_lat - box.min_lat)
    lon = box.min_lon + v * (box.max_lon - box.min_lon)
    claimed = [b.block_id for b in city_pack.blocks.values() if b.polygon.contains(lat, lon)]
    inside = city_pack.service_area.contains(lat, lon)
    assert len(claimed) == (1 if inside else 0)
    assert city_pack.in_service_area(lat, lon) == inside
    found = city_pack.block_at(lat, lon)
    assert (found.block_id if found else None) == (claimed[0] if claimed else None)


def test_each_block_lies_in_the_quadrant_it_names(city_pack: CityPack) -> None:
    for block in city_pack.blocks.values():
        assert city_pack.quadrants[block.quadrant_id].polygon.contains(*block.centroid)
        quadrant = city_pack.quadrant_at(*block.centroid)
        assert quadrant is not None
        assert quadrant.quadrant_id == block.quadrant_id


def test_demo_blocks_are_street_blocks_of_about_100_to_130_metres(city_pack: CityPack) -> None:
    for block in city_pack.blocks.values():
        sw, se, ne, _nw = (LatLon(lat, lon) for lon, lat in block.polygon.rings[0][:4])
        assert 75 < haversine_m(sw, se) < 155, block.block_id
        assert 75 < haversine_m(se, ne) < 155, block.block_id


def test_demo_city_sits_on_godoy_cruz(city_pack: CityPack) -> None:
    centre = city_pack.service_area.centroid()
    assert haversine_m(centre, LatLon(-32.93, -68.845)) < 1_500
