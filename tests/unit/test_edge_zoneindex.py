"""A point resolves to its best open zone and city through a prebuilt index: the same answer as
trying every zone, ranked by priority then id, with windows opening and closing on the clock."""

from __future__ import annotations

import math
import random

import pytest
from geometry import prepare
from hypothesis import given, settings
from hypothesis import strategies as st
from zoneindex import Located, ZoneIndex
from zones import Circle, Polygon, Ring, Zone

MISSION = (37.7596, -122.4260)  # lat, lon


def ring(*positions: tuple[float, float]) -> Ring:
    return (*positions, positions[0])


def square(lon: float, lat: float, half: float) -> tuple[Polygon, ...]:
    return (
        Polygon(
            (
                ring(
                    (lon - half, lat - half),
                    (lon + half, lat - half),
                    (lon + half, lat + half),
                    (lon - half, lat + half),
                ),
            )
        ),
    )


CITY = Zone("sf", "city", square(-122.44, 37.76, 0.08))
STORE = Zone("sf-mission", "store", Circle((-122.4187, 37.7567), 3000), priority=10)
NEIGHBOUR = Zone("sf-noe", "store", Circle((-122.4330, 37.7502), 2500), priority=5)
POPUP = Zone(
    "dolores-popup",
    "popup",
    Circle((-122.4260, 37.7596), 300),
    50,
    starts_at=1000.0,
    ends_at=2000.0,
)
ALL = (CITY, STORE, NEIGHBOUR, POPUP)


def test_an_empty_index_finds_nothing():
    index = ZoneIndex.build(())
    assert index.locate(*MISSION, 0.0) == Located(None, None)
    assert index.containing(*MISSION) == ()
    assert index.next_change(0.0) is None


def test_a_point_resolves_to_its_best_zone_and_its_city():
    assert ZoneIndex.build(ALL).locate(*MISSION, 0.0) == Located(STORE, CITY)


def test_the_higher_priority_wins_among_overlapping_zones():
    assert ZoneIndex.build(ALL).locate(*MISSION, 1500.0).zone == POPUP


def test_a_tie_in_priority_goes_to_the_smaller_id():
    a = Zone("a", "store", Circle((-122.4187, 37.7567), 3000))
    b = Zone("b", "store", Circle((-122.4187, 37.7567), 3000))
    assert ZoneIndex.build((b, a)).locate(37.7567, -122.4187, 0.0).zone == a


def test_a_zone_opens_at_starts_at_and_closes_at_ends_at():
    index = ZoneIndex.build(ALL)
    assert index.locate(*MISSION, 999.999).zone == STORE
    assert index.locate(*MISSION, 1000.0).zone == POPUP
    assert index.locate(*MISSION, 1999.999).zone == POPUP
    assert index.locate(*MISSION, 2000.0).zone == STORE


def test_a_city_is_found_apart_from_the_zones():
    city_only = (37.70, -122.50)
    assert ZoneIndex.build(ALL).locate(*city_only, 0.0) == Located(None, CITY)


def test_a_point_outside_every_zone_finds_none():
    assert ZoneIndex.build(ALL).locate(0.0, 0.0, 0.0) == Located(None, None)


def test_containing_lists_every_zone_holding_the_point_open_or_not_by_rank():
    assert ZoneIndex.build(ALL).containing(*MISSION) == (POPUP, STORE, NEIGHBOUR, CITY)


def test_zones_are_kept_best_ranked_first():
    assert ZoneIndex.build(ALL).zones == (POPUP, STORE, NEIGHBOUR, CITY)


def test_next_change_is_the_first_window_edge_after_now():
    index = ZoneIndex.build(ALL)
    assert index.next_change(0.0) == 1000.0
    assert index.next_change(1000.0) == 2000.0
    assert index.next_change(2000.0) is None


def test_two_zones_with_one_id_are_refused():
    with pytest.raises(ValueError, match="zone id 'sf' appears twice"):
        ZoneIndex.build((CITY, Zone("sf", "store", Circle((0, 0), 10))))


@pytest.mark.parametrize(
    ("lat", "lon"), [(math.nan, 0.0), (0.0, math.nan), (91.0, 0.0), (0.0, math.inf)]
)
def test_a_point_that_is_no_point_finds_nothing(lat, lon):
    index = ZoneIndex.build((Zone("world", "city", square(0, 0, 80)),))
    assert index.locate(lat, lon, 0.0) == Located(None, None)
    assert index.containing(lat, lon) == ()


def test_zones_across_the_antimeridian_and_over_a_pole_are_found():
    taveuni = Zone("taveuni", "store", Circle((179.99, -16.85), 5000))
    arctic = Zone(
        "arctic", "city", (Polygon((ring(*((lon, 80.0) for lon in range(-180, 180, 30))),)),)
    )
    index = ZoneIndex.build((taveuni, arctic))
    assert index.locate(-16.85, -179.98, 0.0).zone == taveuni
    assert index.locate(-16.85, 179.97, 0.0).zone == taveuni
    assert index.locate(90.0, 45.0, 0.0).city == arctic
    assert index.locate(85.0, -179.9, 0.0).city == arctic


def test_longitude_180_and_minus_180_resolve_alike():
    zones = (
        Zone("east", "store", square(179.5, 0, 0.5)),
        Zone("west", "store", square(-179.5, 0, 0.5)),
    )
    index = ZoneIndex.build(zones)
    assert index.locate(0.1, 180.0, 0.0) == index.locate(0.1, -180.0, 0.0)
    assert index.locate(0.1, 180.0, 0.0).zone is not None


def test_zones_of_very_different_sizes_are_all_found():
    zones = [Zone(f"z{i}", "store", Circle((0.0, 0.0), 10.0 * 4**i)) for i in range(9)]
    index = ZoneIndex.build(zones)
    assert index.containing(0.0, 0.0) == tuple(sorted(zones, key=lambda zone: zone.id))
    assert index.containing(0.0, 0.001) == tuple(sorted(zones[2:], key=lambda zone: zone.id))


# Against the brute force: every zone tried


def brute_force(
    zones: list[Zone], lat: float, lon: float, now: float
) -> tuple[Located, tuple[Zone, ...]]:
    ranked = sorted(zones, key=lambda zone: (-zone.priority, zone.id))
    holding = tuple(zone for zone in ranked if prepare(zone.shape).contains(lat, lon))
    open_ = [zone for zone in holding if zone.active(now)]
    best = Located(
        next((zone for zone in open_ if zone.level == "zone"), None),
        next((zone for zone in open_ if zone.level == "city"), None),
    )
    return best, holding


@st.composite
def zone_sets(draw: st.DrawFn) -> list[Zone]:
    """Zones around a few centres (one near the antimeridian, one near a pole), of many sizes,
    with few distinct priorities so ties are common, and windows around t = 0."""
    centres = draw(
        st.lists(
            st.sampled_from([(0.0, 0.0), (179.9, -16.8), (10.0, 84.0), (-74.0, 40.7)]),
            min_size=1,
            max_size=3,
        )
    )
    rng = random.Random(draw(st.integers(0, 2**32)))
    zones = []
    for i in range(draw(st.integers(1, 25))):
        lon, lat = rng.choice(centres)
        lon += rng.uniform(-0.2, 0.2)
        lat += rng.uniform(-0.2, 0.2)
        reach = 10 ** rng.uniform(-3.5, 0)  # degrees
        if rng.random() < 0.5:
            shape: Circle | tuple[Polygon, ...] = Circle(
                ((lon + 180) % 360 - 180, lat), reach * 111_000
            )
        else:
            count = rng.randint(3, 24)
            angles = sorted(rng.uniform(0, math.tau) for _ in range(count))
            points = [
                (
                    (lon + reach * rng.uniform(0.2, 1) * math.cos(a) + 180) % 360 - 180,
                    max(-89.9, min(89.9, lat + reach * rng.uniform(0.2, 1) * math.sin(a))),
                )
                for a in angles
            ]
            shape = (Polygon((ring(*points),)),)
        starts = rng.choice([None, -100.0, 0.0, 50.0])
        ends = rng.choice([None, 1.0, 100.0]) if starts is None or starts < 1.0 else None
        kind = rng.choice(["store", "popup", "event", "city"])
        zones.append(Zone(f"z{i:02d}", kind, shape, rng.choice([0, 0, 1, 5]), starts, ends))
    return zones


@settings(max_examples=60, deadline=None)
@given(zones=zone_sets(), seed=st.integers(0, 2**32), now=st.sampled_from([-200.0, 0.0, 0.5, 60.0]))
def test_locate_and_containing_agree_with_trying_every_zone(zones, seed, now):
    index = ZoneIndex.build(zones)
    rng = random.Random(seed)
    for _ in range(60):
        zone = rng.choice(zones)
        south, west, north, east = prepare(zone.shape).bbox
        lat = rng.uniform(max(south, -90), min(north, 90))
        lon = (rng.uniform(west, east) + 180) % 360 - 180
        best, holding = brute_force(zones, lat, lon, now)
        assert index.containing(lat, lon) == holding
        assert index.locate(lat, lon, now) == best


@settings(max_examples=30, deadline=None)
@given(zones=zone_sets(), seed=st.integers(0, 2**32))
def test_the_order_zones_are_given_in_changes_nothing(zones, seed):
    shuffled = list(zones)
    random.Random(seed).shuffle(shuffled)
    first, second = ZoneIndex.build(zones), ZoneIndex.build(shuffled)
    assert first.zones == second.zones
    rng = random.Random(seed)
    for _ in range(30):
        lat, lon = rng.uniform(-20, 89), rng.uniform(-180, 180)
        zone = rng.choice(zones)
        south, west, north, east = prepare(zone.shape).bbox
        for point in ((lat, lon), ((south + north) / 2, (west + east) / 2)):
            assert first.locate(*point, 0.5) == second.locate(*point, 0.5)


@settings(max_examples=30, deadline=None)
@given(zones=zone_sets())
def test_next_change_is_the_first_window_edge_after_now_over_all_zones(zones):
    index = ZoneIndex.build(zones)
    edges = sorted({t for zone in zones for t in (zone.starts_at, zone.ends_at) if t is not None})
    for now in (-1000.0, *edges, 1000.0):
        later = [t for t in edges if t > now]
        assert index.next_change(now) == (later[0] if later else None)
