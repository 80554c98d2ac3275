"""The zones benchmark's mix: the same zones and traffic for a seed, in the shares it promises,
every zone a valid GeoJSON feature, and an oracle that agrees with edge/geometry.py."""

from collections import Counter

from geometry import prepare
from zonecheck import check_zones
from zonefile import load_zones

from bench.zonemix import NOW, Oracle, city_scale_mix, query_points, to_geojson, where

MIX = city_scale_mix(1000, seed=7)


def test_a_seed_gives_the_same_mix_and_another_seed_another() -> None:
    assert city_scale_mix(1000, seed=7) == MIX
    assert city_scale_mix(1000, seed=8) != MIX
    assert query_points(MIX, 50, seed=3) == query_points(MIX, 50, seed=3)


def test_the_mix_has_its_count_of_each_kind() -> None:
    kinds = Counter(zone.kind for zone in MIX)
    assert kinds == {"city": 41, "store": 869, "popup": 45, "event": 45}
    assert len({zone.id for zone in MIX}) == 1000


def test_pop_ups_and_events_are_over_open_and_to_come_at_now() -> None:
    windowed = [zone for zone in MIX if zone.kind in ("popup", "event")]
    assert any(zone.ends_at is not None and zone.ends_at <= NOW for zone in windowed)
    assert any(zone.active(NOW) for zone in windowed)
    assert any(zone.starts_at is not None and zone.starts_at > NOW for zone in windowed)


def test_one_city_crosses_the_antimeridian_and_one_lies_beyond_78_north() -> None:
    cities = {zone.id: zone.shape for zone in MIX if zone.kind == "city"}
    taveuni = cities["city.taveuni"]
    assert isinstance(taveuni, tuple)
    assert {lon > 0 for lon, _ in taveuni[0].rings[0]} == {True, False}
    assert prepare(taveuni).contains(-16.85, 179.97)
    assert prepare(cities["city.longyearbyen"]).contains(78.2, 15.63)


def test_every_zone_passes_zones_check_and_round_trips_through_geojson() -> None:
    text = to_geojson(MIX)
    report = check_zones(text, "mix.geojson")
    assert report.ok, report.lines()
    assert load_zones(text, "mix.geojson") == MIX


def test_the_traffic_falls_in_its_shares_and_the_oracle_agrees_with_edge_geometry() -> None:
    points = query_points(MIX, 200, seed=3)
    found = Oracle(MIX).covering(points)
    assert Counter(where(zones) for zones in found) == {"store": 140, "city": 40, "outside": 20}
    shapes = [(zone, prepare(zone.shape)) for zone in MIX]
    for (lon, lat), zones in zip(points, found, strict=True):
        assert zones == [zone for zone, shape in shapes if shape.contains(lat, lon)]
