"""geometry's point-in-zone agrees with an independent oracle away from the boundary: shapely for
polygons (holes, the antimeridian, the poles) and a second great-circle formula for circles.

CPython only (shapely is native): the file name does not start with ``test_edge_``, so the
Pyodide leg of the suite leaves it out.
"""

from __future__ import annotations

import math
import random

import shapely
from circles import EARTH_RADIUS_M
from geometry import prepare
from hypothesis import given, settings
from hypothesis import strategies as st
from zones import Circle, Polygon, Position, Ring

NEAR = 1e-9  # degrees: points this close to a boundary are not compared
POINTS = 300


def star(
    rng: random.Random, lon: float, lat: float, low: float, high: float, vertices: int
) -> list[Position]:
    """A simple ring around (lon, lat): one vertex per angle step, at radii in [low, high]
    degrees, counter-clockwise and not closed."""
    points = []
    for i in range(vertices):
        angle = math.tau * (i + rng.uniform(-0.3, 0.3)) / vertices
        radius = rng.uniform(low, high)
        points.append((lon + radius * math.cos(angle), lat + radius * math.sin(angle)))
    return points


def closed(points: list[Position]) -> Ring:
    return (*points, points[0])


def wrapped(points: list[Position]) -> list[Position]:
    """Longitudes into [-180, 180), as a GeoJSON file writes them."""
    return [((lon + 180.0) % 360.0 - 180.0, lat) for lon, lat in points]


def agree(zone_shape: tuple[Polygon, ...], oracle: shapely.Geometry, points: list[Position]) -> int:
    """Compare on ``points`` (oracle coordinates, unwrapped) given to geometry wrapped; return
    how many were compared."""
    prepared = prepare(zone_shape)
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    inside = shapely.contains_xy(oracle, xs, ys)
    near = shapely.distance(oracle.boundary, shapely.points(xs, ys)) < NEAR
    compared = 0
    for (x, y), expected, skip in zip(points, inside, near, strict=True):
        if skip:
            continue
        lon = (x + 180.0) % 360.0 - 180.0
        assert prepared.contains(y, lon) == bool(expected), (y, lon)
        compared += 1
    return compared


def around(rng: random.Random, lon: float, lat: float, reach: float) -> list[Position]:
    """Points around (lon, lat): a box of ``reach`` degrees, lat kept within the poles."""
    points = []
    for _ in range(POINTS):
        y = max(-89.999, min(89.999, lat + rng.uniform(-reach, reach)))
        points.append((lon + rng.uniform(-reach, reach), y))
    return points


STARS = st.tuples(
    st.integers(0, 2**32),  # seed
    st.floats(-170, 170),  # lon
    st.floats(-80, 80),  # lat
    st.floats(0.0005, 5),  # reach in degrees
    st.integers(3, 200),  # vertices
)


@settings(max_examples=60, deadline=None)
@given(STARS)
def test_simple_polygons_agree_with_shapely(star_args):
    seed, lon, lat, reach, vertices = star_args
    rng = random.Random(seed)
    points = star(rng, lon, lat, reach * 0.2, reach, vertices)
    agree(
        (Polygon((closed(points),)),), shapely.Polygon(points), around(rng, lon, lat, reach * 1.1)
    )


@settings(max_examples=60, deadline=None)
@given(STARS, st.integers(1, 3))
def test_polygons_with_holes_agree_with_shapely(star_args, holes):
    seed, lon, lat, reach, vertices = star_args
    rng = random.Random(seed)
    outer = star(rng, lon, lat, reach * 0.8, reach, max(vertices, 8))
    # Holes side by side within the disc the exterior surely holds (radius 0.8 cos 22.5°).
    inner = []
    for i in range(holes):
        angle = math.tau * i / holes
        hx = lon + (0.35 * reach if holes > 1 else 0.0) * math.cos(angle)
        hy = lat + (0.35 * reach if holes > 1 else 0.0) * math.sin(angle)
        inner.append(star(rng, hx, hy, reach * 0.05, reach * (0.3 if holes > 1 else 0.6), 12))
    shape = (Polygon((closed(outer), *(closed(hole[::-1]) for hole in inner))),)
    oracle = shapely.Polygon(outer, inner)
    assert oracle.is_valid
    agree(shape, oracle, around(rng, lon, lat, reach * 1.1))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.floats(-3, 3), st.floats(-60, 60), st.floats(0.01, 5))
def test_polygons_across_the_antimeridian_agree_with_shapely_unwrapped(seed, offset, lat, reach):
    rng = random.Random(seed)
    lon = 180.0 + offset  # the centre, east of 180 when offset > 0
    points = star(rng, lon, lat, reach * 0.3, reach, rng.randint(3, 60))
    shape = (Polygon((closed(wrapped(points)),)),)
    oracle = shapely.Polygon(points)
    assert agree(shape, oracle, around(rng, lon, lat, reach * 1.1)) > 0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.floats(-3, 3), st.floats(-60, 60), st.floats(0.5, 5))
def test_polygons_cut_at_the_antimeridian_agree_with_shapely_unwrapped(seed, offset, lat, reach):
    """RFC 7946 §3.1.9: a polygon across the antimeridian cut into a MultiPolygon."""
    rng = random.Random(seed)
    lon = 180.0 + offset
    points = star(rng, lon, lat, reach * 0.3, reach, rng.randint(3, 60))
    oracle = shapely.Polygon(points)
    east = shapely.box(180.0, -90.0, 540.0, 90.0)
    pieces = [oracle.difference(east), oracle.intersection(east)]
    polygons = []
    for piece, shift in zip(pieces, (0.0, -360.0), strict=True):
        for part in getattr(piece, "geoms", [piece]):
            if isinstance(part, shapely.Polygon) and not part.is_empty:
                coordinates = [(x + shift, y) for x, y in part.exterior.coords]
                polygons.append(Polygon((tuple(coordinates),)))
    agree(tuple(polygons), oracle, around(rng, lon, lat, reach * 1.1))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32), st.sampled_from([1.0, -1.0]), st.floats(-180, 180), st.integers(4, 90)
)
def test_rings_around_a_pole_agree_with_shapely_on_the_closed_cap(seed, side, start, vertices):
    """A ring winding once around a pole, its longitudes given wrapped; the oracle is the cap
    unwrapped from ``start`` and closed along the pole's parallel."""
    rng = random.Random(seed)
    # Spread so that no two neighbours are 180° apart or more: the ring's way is unambiguous.
    lons = [start + 360.0 * (i + rng.uniform(0, 0.5)) / vertices for i in range(vertices)]
    ring = [(x, side * rng.uniform(60, 88)) for x in lons]
    if side < 0:
        ring = ring[::-1]  # winds the other way too
    shape = (Polygon((closed(wrapped(ring)),)),)
    first, last = min(lons), max(lons)
    pole = side * 90.0
    cap = sorted(ring)
    oracle = shapely.Polygon(
        [*cap, (first + 360.0, cap[0][1]), (first + 360.0, pole), (first, pole)]
    )
    # The cap's points in its frame [first, first + 360): shifted out of wrapped longitudes.
    points = [
        (rng.uniform(first, first + 360.0), side * rng.uniform(55, 89.99)) for _ in range(POINTS)
    ]
    assert last < first + 360.0
    agree(shape, oracle, points)


@settings(max_examples=40, deadline=None)
@given(STARS)
def test_polygons_near_a_pole_agree_with_shapely(star_args):
    seed, lon, lat, reach, vertices = star_args
    rng = random.Random(seed)
    lat = math.copysign(89.0 - min(reach, 4.0), lat)  # close to the pole, not over it
    points = star(rng, lon, lat, reach * 0.2, min(reach, 4.0), vertices)
    agree((Polygon((closed(points),)),), shapely.Polygon(points), around(rng, lon, lat, 5))


# Circles: an independent great-circle distance (Vincenty's formula on the sphere)


def vincenty_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.hypot(
        math.cos(p2) * math.sin(dl),
        math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl),
    )
    x = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_M * math.atan2(y, x)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 2**32),
    st.floats(-180, 180),
    st.floats(-90, 90),
    st.floats(1, 500_000),
)
def test_circles_agree_with_another_great_circle_formula(seed, lon, lat, radius):
    rng = random.Random(seed)
    prepared = prepare(Circle((lon, lat), radius))
    reach = math.degrees(radius / EARTH_RADIUS_M) * 1.5
    compared = 0
    for _ in range(POINTS):
        y = max(-90.0, min(90.0, lat + rng.uniform(-reach, reach)))
        x = (
            lon + rng.uniform(-reach, reach) / max(math.cos(math.radians(y)), 0.01) + 180
        ) % 360 - 180
        distance = vincenty_m(lat, lon, y, x)
        if abs(distance - radius) < 1e-6 * radius + 1e-3:
            continue
        assert prepared.contains(y, x) == (distance < radius), (y, x, distance)
        compared += 1
    assert compared > POINTS // 2
