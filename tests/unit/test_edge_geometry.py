"""A point is in a zone's shape by the even-odd rule (holes included), with edges decided one
way everywhere, across the antimeridian and around the poles; circles by great-circle distance;
and the grid cells ``cover`` calls full hold nothing but inside points."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from circles import EARTH_RADIUS_M
from geometry import prepare
from hypothesis import given, settings
from hypothesis import strategies as st
from latlon import normalize
from zones import Circle, Polygon, Position, Ring


def ring(*positions: Position) -> Ring:
    return (*positions, positions[0])


def box(west: float, south: float, east: float, north: float) -> Ring:
    return ring((west, south), (east, south), (east, north), (west, north))


def square(west: float, south: float, east: float, north: float) -> tuple[Polygon, ...]:
    return (Polygon((box(west, south, east, north),)),)


def destination(lat: float, lon: float, metres: float, bearing: float) -> tuple[float, float]:
    """The point ``metres`` from (lat, lon) along ``bearing`` degrees, on the sphere."""
    d, b = metres / EARTH_RADIUS_M, math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


# Polygons


def test_a_polygon_holds_its_inside_and_not_its_outside():
    shape = prepare(square(10, 20, 11, 21))
    assert shape.contains(20.5, 10.5)
    assert not shape.contains(21.5, 10.5)
    assert not shape.contains(20.5, 9.5)


def test_a_hole_is_outside_whichever_way_it_winds():
    for hole in (box(2, 2, 4, 4), box(2, 2, 4, 4)[::-1]):
        shape = prepare((Polygon((box(0, 0, 6, 6), hole)),))
        assert not shape.contains(3, 3)
        assert shape.contains(1, 1)
        assert shape.contains(5, 3)


def test_a_multipolygon_holds_the_inside_of_each_polygon():
    shape = prepare((Polygon((box(0, 0, 1, 1),)), Polygon((box(5, 5, 6, 6),))))
    assert shape.contains(0.5, 0.5)
    assert shape.contains(5.5, 5.5)
    assert not shape.contains(3, 3)


def test_a_concave_polygon_leaves_out_its_notch():
    u_shape = ring((0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3))
    shape = prepare((Polygon((u_shape,)),))
    assert shape.contains(2, 0.5)
    assert not shape.contains(2, 1.5)
    assert shape.contains(2, 2.5)


def test_a_polygon_of_a_thousand_vertices_matches_plain_ray_casting():
    rng = random.Random(7)
    angles = sorted(rng.uniform(0, math.tau) for _ in range(1000))
    points = tuple(
        (math.cos(a) * rng.uniform(1, 2), math.sin(a) * rng.uniform(1, 2)) for a in angles
    )
    shape = prepare((Polygon((ring(*points),)),))
    edges = list(itertools.pairwise(ring(*points)))
    for _ in range(2000):
        x, y = rng.uniform(-2.1, 2.1), rng.uniform(-2.1, 2.1)
        inside = False
        for (xa, ya), (xb, yb) in edges:
            if (ya > y) != (yb > y) and x < xa + (y - ya) * (xb - xa) / (yb - ya):
                inside = not inside
        assert shape.contains(y, x) == inside


# The edge rule: south and west edges in, north and east edges out


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (0.0, 0.5, True),  # south edge
        (0.5, 0.0, True),  # west edge
        (0.0, 0.0, True),  # south-west corner
        (1.0, 0.5, False),  # north edge
        (0.5, 1.0, False),  # east edge
        (1.0, 1.0, False),  # north-east corner
        (0.0, 1.0, False),  # south-east corner
        (1.0, 0.0, False),  # north-west corner
    ],
)
def test_a_point_on_the_boundary_is_inside_on_the_south_and_west_only(lat, lon, inside):
    assert prepare(square(0, 0, 1, 1)).contains(lat, lon) is inside


def test_adjacent_squares_share_their_edges_and_vertices_without_overlap_or_gap():
    tiles = [prepare(square(x, y, x + 1, y + 1)) for x in range(3) for y in range(3)]
    # Every point of the shared edges and vertices inside the 3x3 tiling.
    steps = [i / 4 for i in range(1, 12)]
    points = [(y, x) for x in (1.0, 2.0) for y in steps] + [
        (y, x) for y in (1.0, 2.0) for x in steps
    ]
    for lat, lon in points:
        assert sum(tile.contains(lat, lon) for tile in tiles) == 1, (lat, lon)


@settings(max_examples=60, deadline=None)
@given(
    centre=st.tuples(st.floats(-170, 170), st.floats(-80, 80)),
    weights=st.lists(st.floats(1, 2), min_size=4, max_size=8),
    start=st.floats(0, 1),
    reach=st.floats(0.001, 5),
    along=st.lists(st.just(0.0) | st.floats(1e-6, 0.999), min_size=1, max_size=6),
)
def test_a_fan_of_triangles_puts_each_point_of_its_shared_edges_in_exactly_one(
    centre, weights, start, reach, along
):
    """Triangles around a shared vertex, their shared edges at any slope: every point drawn on
    a shared edge (the shared vertex too) is in exactly one triangle."""
    turns = list(itertools.accumulate(weight / sum(weights) for weight in weights))
    angles = [math.tau * (start + turn) for turn in turns]  # each gap under half a turn
    cx, cy = centre
    rim = [(cx + reach * math.cos(a), cy + reach * math.sin(a)) for a in angles]
    fan = [
        prepare((Polygon((ring((cx, cy), rim[i], rim[(i + 1) % len(rim)]),)),))
        for i in range(len(rim))
    ]
    for x, y in rim:
        for t in along:
            lon, lat = cx + t * (x - cx), cy + t * (y - cy)
            assert sum(triangle.contains(lat, lon) for triangle in fan) == 1, (lat, lon)


# The antimeridian

ACROSS = (Polygon((ring((170, -10), (-170, -10), (-170, 10), (170, 10)),)),)
SPLIT = (
    Polygon((ring((170, -10), (180, -10), (180, 10), (170, 10)),)),
    Polygon((ring((-180, -10), (-170, -10), (-170, 10), (-180, 10)),)),
)


@pytest.mark.parametrize("shape", [ACROSS, SPLIT], ids=["unwrapped", "split per rfc 7946"])
@pytest.mark.parametrize(
    ("lon", "inside"),
    [(175.0, True), (-175.0, True), (180.0, True), (-180.0, True), (0.0, False), (165.0, False)],
)
def test_a_polygon_across_the_antimeridian_holds_both_sides(shape, lon, inside):
    assert prepare(shape).contains(0.0, lon) is inside


def test_a_hole_across_the_antimeridian_is_outside():
    hole = ring((175, -5), (175, 5), (-175, 5), (-175, -5))
    shape = prepare((Polygon((ACROSS[0].rings[0], hole)),))
    assert not shape.contains(0, 179.9)
    assert not shape.contains(0, -179.9)
    assert shape.contains(0, 172)
    assert shape.contains(0, -172)


def test_longitude_180_and_minus_180_are_one_meridian():
    for shape in (prepare(ACROSS), prepare(SPLIT), prepare(Circle((180.0, 0.0), 1000))):
        assert shape.contains(0.001, 180.0) == shape.contains(0.001, -180.0)


def test_the_bbox_of_a_polygon_across_the_antimeridian_runs_east_past_180():
    for shape in (ACROSS, SPLIT):
        south, west, north, east = prepare(shape).bbox
        assert (south, west, north, east) == pytest.approx((-10, 170, 10, 190))


# The poles

AROUND_NORTH = tuple((lon, 80.0) for lon in range(-180, 180, 30))  # winds once, eastwards


@pytest.mark.parametrize(
    "positions",
    [
        ring(*AROUND_NORTH),
        ring(*AROUND_NORTH[::-1]),
        ring(*AROUND_NORTH[4:], *AROUND_NORTH[:4]),  # starting elsewhere
    ],
    ids=["east", "west", "from -60"],
)
@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [(85, 0, True), (85, 179.9, True), (85, -179.9, True), (90, 123, True), (75, 0, False)],
)
def test_a_ring_around_a_pole_holds_the_cap_up_to_the_pole(positions, lat, lon, inside):
    assert prepare((Polygon((positions,)),)).contains(lat, lon) is inside


def test_a_ring_around_the_south_pole_holds_the_south_pole():
    shape = prepare((Polygon((ring(*((lon, -70.0) for lon in range(180, -180, -45))),)),))
    assert shape.contains(-90, 0)
    assert shape.contains(-80, 100)
    assert not shape.contains(-60, 100)
    assert not shape.contains(80, 100)


def test_a_cap_drawn_along_the_antimeridian_per_rfc_7946_holds_the_pole():
    cap = ring((-180, 80), (-90, 80), (0, 80), (90, 80), (180, 80), (180, 90), (-180, 90))
    shape = prepare((Polygon((cap,)),))
    assert shape.contains(85, 0)
    assert shape.contains(85, -179.9)
    assert shape.contains(85, 179.9)
    assert shape.contains(90, 0)
    assert not shape.contains(75, 0)


def test_a_cap_drawn_as_one_box_per_rfc_7946_holds_the_cap():
    shape = prepare((Polygon((box(-180, 80, 180, 90),)),))
    assert shape.contains(85, 179.9)
    assert shape.contains(85, -179.9)
    assert not shape.contains(79, 0)


@pytest.mark.parametrize("middle", [0, 180], ids=["inside the ring's frame", "across its seam"])
def test_a_hole_in_a_polar_cap_is_outside(middle):
    """The cap's ring starts at -180, so a hole around 180 straddles the seam of its frame."""
    hole = ring((middle - 10, 84), (middle + 10, 84), (middle + 10, 86), (middle - 10, 86))
    hole = tuple(((lon + 180) % 360 - 180, lat) for lon, lat in hole)
    shape = prepare((Polygon((ring(*AROUND_NORTH), hole)),))
    for offset in (-5, 5):
        assert not shape.contains(85, (middle + offset + 180) % 360 - 180)
    for offset in (-20, 20):
        assert shape.contains(85, (middle + offset + 180) % 360 - 180)


def test_a_polar_cap_bbox_spans_every_longitude():
    assert prepare((Polygon((ring(*AROUND_NORTH),)),)).bbox == (80.0, -180.0, 90.0, 180.0)


# Circles


def test_a_circle_holds_points_by_great_circle_distance():
    shape = prepare(Circle((-122.4187, 37.7567), 1000))
    for bearing in range(0, 360, 15):
        assert shape.contains(*destination(37.7567, -122.4187, 999, bearing))
        assert not shape.contains(*destination(37.7567, -122.4187, 1001, bearing))


def test_a_circle_across_the_antimeridian_holds_both_sides():
    shape = prepare(Circle((179.99, -16.85), 5000))
    assert shape.contains(-16.85, -179.98)
    assert shape.contains(-16.85, 179.96)
    _, west, _, east = shape.bbox
    assert west < 180 < east


def test_a_circle_over_a_pole_holds_it_and_spans_every_longitude():
    shape = prepare(Circle((40.0, 89.9), 50_000))
    assert shape.contains(90, 0)
    assert shape.contains(89.9, -140)
    assert shape.bbox[1:] == (-180.0, 90.0, 180.0)


def test_a_circle_bbox_holds_the_circle():
    rng = random.Random(3)
    for _ in range(50):
        lat, lon, radius = rng.uniform(-85, 85), rng.uniform(-180, 180), rng.uniform(1, 500_000)
        south, west, north, east = prepare(Circle((lon, lat), radius)).bbox
        for bearing in range(0, 360, 5):
            y, x = destination(lat, lon, radius, bearing)
            x = x if x >= west else x + 360
            assert south <= y <= north
            assert west <= x <= east


# Points that are no points


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (10.0, 20.0, (10.0, 20.0)),
        (10.0, 180.0, (10.0, -180.0)),
        (10.0, 200.0, (10.0, -160.0)),
        (90.0, 20.0, (90.0 - 1e-9, 0.0)),
        (-90.0, 20.0, (-90.0 + 1e-9, 0.0)),
        (90.5, 0.0, None),
        (math.nan, 0.0, None),
        (0.0, math.inf, None),
    ],
)
def test_normalize_puts_the_poles_at_longitude_0_and_refuses_non_points(lat, lon, expected):
    assert normalize(lat, lon) == expected


def test_a_point_that_is_no_point_is_in_no_shape():
    for shape in (prepare(square(-180, -90, 180, 90)), prepare(Circle((0, 0), 500_000))):
        assert not shape.contains(math.nan, 0)
        assert not shape.contains(91, 0)


# Grid cells


def star(rng: random.Random, lon: float, lat: float, reach: float, vertices: int) -> Ring:
    angles = sorted(rng.uniform(0, math.tau) for _ in range(vertices))
    return ring(
        *(
            (
                lon + reach * rng.uniform(0.3, 1) * math.cos(a),
                lat + reach * rng.uniform(0.3, 1) * math.sin(a),
            )
            for a in angles
        )
    )


def star_polygon(seed: int, lon: float, lat: float, reach: float, vertices: int) -> tuple[Polygon]:
    return (Polygon((star(random.Random(seed), lon, lat, reach, vertices),)),)


SHAPES = st.one_of(
    st.builds(
        star_polygon,
        st.integers(0, 10**6),
        st.floats(-179, 179),
        st.floats(-85, 85),
        st.floats(0.001, 3),
        st.integers(3, 40),
    ),
    st.builds(
        lambda lon, lat, radius: Circle((lon, lat), radius),
        st.floats(-180, 180),
        st.floats(-89, 89),
        st.floats(10, 300_000),
    ),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(shape=SHAPES, finer=st.integers(0, 3), seed=st.integers(0, 10**6))
def test_cover_calls_a_cell_full_only_when_all_of_it_is_inside_and_leaves_out_only_outside(
    shape, finer, seed
):
    prepared = prepare(shape)
    south, west, north, east = prepared.bbox
    extent = max(north - south, east - west)
    level = max(0, math.floor(math.log2(90 * 3 / extent)) + finer)
    size = 90.0 / 2**level
    columns = round(360 / size)
    cells = prepared.cover(size)
    rng = random.Random(seed)
    row0, row1 = math.floor((south + 90) / size) - 1, math.floor((north + 90) / size) + 1
    col0, col1 = math.floor((west + 180) / size) - 1, math.floor((east + 180) / size) + 1
    for _ in range(400):
        row, column = (
            rng.randint(max(row0, 0), min(row1, round(180 / size) - 1)),
            rng.randint(col0, col1),
        )
        lat = -90 + (row + rng.random()) * size
        lon = -180 + (column + rng.random()) * size
        key = row * columns + column % columns
        if prepared.contains(lat, lon):
            assert key in cells, (lat, lon)
        elif key in cells:
            assert not cells[key], (lat, lon)
