"""A city-scale mix of geofence zones and the traffic over it, for the zones section (issue #5).

Forty-one cities on six continents, Taveuni (which the antimeridian crosses) and Longyearbyen
(78°N) among them: each an irregular star-shaped polygon of 200 to 600 vertices, a third with a
lake or park cut out. Around their centres, store delivery areas packed so they overlap at
varied priorities (three in five circles of 1 to 5 km, the rest polygons of 12 to 64 vertices),
and pop-ups and micro-events, small and ranked above the stores, whose windows open and close
around a fixed ``NOW``: some over, some open, some yet to come. ``query_points`` draws traffic
over it as a storefront sees it: 70% inside a store's area, 20% in a city where no store
delivers, 10% outside every zone. ``Oracle`` is the brute force the index is checked against,
written apart from ``edge/``. Everything follows from the seed.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_EDGE = str(Path(__file__).resolve().parents[1] / "edge")
if _EDGE not in sys.path:  # edge/'s modules are top-level, as on Cloudflare
    sys.path.insert(0, _EDGE)

from zones import Circle, Kind, Polygon, Position, Ring, Zone  # noqa: E402

__all__ = [
    "CITIES",
    "NOW",
    "SHARES",
    "Oracle",
    "city_scale_mix",
    "query_points",
    "to_geojson",
    "where",
]

NOW = 1_750_000_000.0
"""The mix's "now" (2025-06-15T15:06:40Z): the pop-ups' and events' windows lie around it."""

CITIES: tuple[tuple[str, float, float, float], ...] = (
    # id, longitude, latitude, radius in km
    ("new-york", -74.006, 40.713, 30),
    ("los-angeles", -118.244, 34.052, 35),
    ("chicago", -87.630, 41.878, 25),
    ("toronto", -79.383, 43.653, 22),
    ("mexico-city", -99.133, 19.433, 28),
    ("bogota", -74.072, 4.711, 16),
    ("lima", -77.043, -12.046, 20),
    ("sao-paulo", -46.633, -23.550, 30),
    ("buenos-aires", -58.382, -34.604, 22),
    ("santiago", -70.669, -33.449, 18),
    ("reykjavik", -21.943, 64.147, 8),
    ("london", -0.128, 51.507, 28),
    ("paris", 2.352, 48.857, 18),
    ("madrid", -3.704, 40.417, 16),
    ("amsterdam", 4.904, 52.368, 10),
    ("berlin", 13.405, 52.520, 20),
    ("rome", 12.496, 41.903, 15),
    ("stockholm", 18.069, 59.329, 14),
    ("warsaw", 21.012, 52.230, 14),
    ("longyearbyen", 15.634, 78.223, 4),
    ("istanbul", 28.978, 41.008, 25),
    ("casablanca", -7.590, 33.573, 14),
    ("lagos", 3.379, 6.524, 22),
    ("cairo", 31.236, 30.044, 24),
    ("nairobi", 36.822, -1.292, 16),
    ("johannesburg", 28.047, -26.204, 22),
    ("dubai", 55.271, 25.205, 20),
    ("mumbai", 72.878, 19.076, 20),
    ("delhi", 77.209, 28.614, 28),
    ("bangkok", 100.502, 13.756, 22),
    ("singapore", 103.820, 1.352, 18),
    ("jakarta", 106.845, -6.208, 24),
    ("manila", 120.984, 14.600, 16),
    ("shanghai", 121.474, 31.230, 30),
    ("seoul", 126.978, 37.567, 22),
    ("tokyo", 139.692, 35.690, 35),
    ("sydney", 151.209, -33.869, 30),
    ("melbourne", 144.963, -37.814, 26),
    ("auckland", 174.763, -36.849, 16),
    ("taveuni", 179.970, -16.850, 14),  # its ring crosses the antimeridian
    ("honolulu", -157.858, 21.307, 12),
)
EARTH_M = 6_371_008.8  # the IUGG mean radius, as edge/zones.py's circles
DAY = 86_400.0
MAX_PRIORITY = 1000  # zonefile's bound
STORES_BELOW = 800  # stores rank from 0 up to this; pop-ups and events from it up


def _destination(center: Position, east_km: float, north_km: float) -> Position:
    """The position ``east_km``, ``north_km`` from ``center`` on a local flat map; longitudes
    wrap into [-180, 180), so a shape near the antimeridian crosses it."""
    lon, lat = center
    lat2 = lat + north_km / 110.574
    lon2 = lon + east_km / (111.320 * math.cos(math.radians(lat)))
    return round((lon2 + 180.0) % 360.0 - 180.0, 6), round(lat2, 6)


def _star(rng: random.Random, center: Position, km: float, vertices: int, rough: float) -> Ring:
    """A closed counter-clockwise ring around ``center``, star-shaped so it never crosses itself:
    one vertex per angle step, at a radius that waves (three harmonics) and jitters by at most
    ``1.25 * rough`` of ``km``."""
    waves = [
        (rng.randint(2, 7), rng.uniform(0, math.tau), rng.uniform(0, rough / 3)) for _ in "abc"
    ]
    ring = []
    for i in range(vertices):
        angle = math.tau * (i + rng.uniform(-0.3, 0.3)) / vertices
        wave = sum(amplitude * math.sin(k * angle + phase) for k, phase, amplitude in waves)
        r = km * (1 + wave + rng.uniform(-rough / 4, rough / 4))
        ring.append(_destination(center, r * math.cos(angle), r * math.sin(angle)))
    return (*ring, ring[0])


def _near(rng: random.Random, center: Position, sigma_km: float, limit_km: float) -> Position:
    """A position around ``center``, normally spread, at most ``limit_km`` away."""
    distance = min(abs(rng.gauss(0, sigma_km)) * math.sqrt(2), limit_km)
    angle = rng.uniform(0, math.tau)
    return _destination(center, distance * math.cos(angle), distance * math.sin(angle))


def _city(rng: random.Random, name: str, center: Position, km: float) -> Zone:
    rings = [_star(rng, center, km, rng.randint(200, 600), 0.3)]
    if rng.random() < 1 / 3:  # a lake or a park: at most 0.47 km out, the exterior 0.62 km in
        lake = _near(rng, center, 0.15 * km, 0.3 * km)
        rings.append(_star(rng, lake, km * rng.uniform(0.06, 0.12), rng.randint(24, 48), 0.3)[::-1])
    return Zone(f"city.{name}", "city", (Polygon(tuple(rings)),), priority=rng.randint(0, 3))


def _store(rng: random.Random, zone_id: str, priority: int, center: Position, km: float) -> Zone:
    where = _near(rng, center, 0.35 * km, 1.1 * km)
    if rng.random() < 0.6:
        shape: Circle | tuple[Polygon, ...] = Circle(where, float(round(rng.uniform(1000, 5000))))
    else:
        ring = _star(rng, where, rng.uniform(1.0, 4.0), rng.randint(12, 64), 0.35)
        shape = (Polygon((ring,)),)
    return Zone(zone_id, "store", shape, priority)


def _window(rng: random.Random, days: float) -> tuple[float | None, float | None]:
    """Over, open or to come at ``NOW``, one in three each; a few open-ended on one side."""
    length = round(rng.uniform(0.1, 1.0) * days * DAY)
    state = rng.choice(("over", "open", "to come"))
    if state == "over":
        starts = NOW - length - round(rng.uniform(0, days * DAY))
    elif state == "open":
        starts = NOW - round(rng.uniform(0, length))
    else:
        starts = NOW + round(rng.uniform(1, days * DAY))
    ends = starts + length
    draw = rng.random()
    if draw < 0.05 and state != "to come":
        return None, ends
    if draw > 0.9 and state != "over":
        return starts, None
    return starts, ends


def _event(
    rng: random.Random, zone_id: str, kind: Kind, priority: int, center: Position, km: float
) -> Zone:
    where = _near(rng, center, 0.3 * km, km)
    metres = rng.uniform(100, 800)
    if rng.random() < 0.5:
        shape: Circle | tuple[Polygon, ...] = Circle(where, float(round(metres)))
    else:
        ring = _star(rng, where, metres / 1000, rng.randint(8, 24), 0.3)
        shape = (Polygon((ring,)),)
    starts, ends = _window(rng, 14.0 if kind == "popup" else 1.0)
    return Zone(zone_id, kind, shape, priority, starts, ends)


def _ranks(rng: random.Random, count: int, low: int, high: int) -> list[int]:
    """``count`` priorities from ``low`` up to ``high``, all different while there is room."""
    if count <= high - low:
        return rng.sample(range(low, high), count)
    return [rng.randrange(low, high) for _ in range(count)]


def city_scale_mix(count: int = 10_000, seed: int = 5) -> tuple[Zone, ...]:
    """``count`` zones: the cities of ``CITIES``, 9% pop-ups and micro-events (half each), the
    rest stores; each city gets stores and events in proportion to its area.

    Within a city no two zones share a priority (up to 800 stores and 201 events a city) and
    every pop-up or event ranks above every store, so ``popcache zones check`` finds no
    overlap of one priority, while stores overlap each other all over every city."""
    rng = random.Random(seed)
    events = count * 9 // 100
    stores = count - len(CITIES) - events
    assert stores > 0, f"a mix needs more than {len(CITIES)} zones, got {count}"
    zones = [_city(rng, name, (lon, lat), km) for name, lon, lat, km in CITIES]
    weights = [km * km for *_, km in CITIES]
    stores_in = Counter(rng.choices(range(len(CITIES)), weights, k=stores))
    events_in = Counter(rng.choices(range(len(CITIES)), weights, k=events))
    kinds: list[Kind] = ["event" if i % 2 else "popup" for i in range(events)]
    rng.shuffle(kinds)
    for city, (name, lon, lat, km) in enumerate(CITIES):
        n, m = stores_in[city], events_in[city]
        for j, rank in enumerate(_ranks(rng, n, 0, STORES_BELOW)):
            zones.append(_store(rng, f"store.{name}.{j:04d}", rank, (lon, lat), km))
        for j, rank in enumerate(_ranks(rng, m, STORES_BELOW, MAX_PRIORITY + 1)):
            kind = kinds.pop()
            zones.append(_event(rng, f"{kind}.{name}.{j:04d}", kind, rank, (lon, lat), km))
    return tuple(zones)


# GeoJSON


def _rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _feature(zone: Zone) -> dict[str, Any]:
    properties: dict[str, Any] = {"kind": zone.kind, "priority": zone.priority}
    if zone.starts_at is not None:
        properties["starts_at"] = _rfc3339(zone.starts_at)
    if zone.ends_at is not None:
        properties["ends_at"] = _rfc3339(zone.ends_at)
    if isinstance(zone.shape, Circle):
        geometry: dict[str, Any] = {"type": "Point", "coordinates": list(zone.shape.center)}
        properties["radius_m"] = zone.shape.radius_m
    elif len(zone.shape) == 1:
        geometry = {"type": "Polygon", "coordinates": _coordinates(zone.shape[0])}
    else:
        geometry = {"type": "MultiPolygon", "coordinates": [_coordinates(p) for p in zone.shape]}
    return {"type": "Feature", "id": zone.id, "geometry": geometry, "properties": properties}


def _coordinates(polygon: Polygon) -> list[list[list[float]]]:
    return [[list(position) for position in ring] for ring in polygon.rings]


def to_geojson(zones: Sequence[Zone]) -> str:
    """The zones as a GeoJSON FeatureCollection (RFC 7946), as ``popcache zones check`` and
    ``zonefile.load_zones`` read it: one feature a line."""
    lines = [json.dumps(_feature(zone), separators=(",", ":")) for zone in zones]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


# The oracle: which zones cover a point, every zone tried


@dataclass(frozen=True, slots=True)
class _Box:
    """A zone's bounds; a zone across the antimeridian has ``east > 180`` and its longitudes
    are kept east of ``west`` (-179 as 181), the points near it shifted the same way."""

    zone: Zone
    west: float
    south: float
    east: float
    north: float
    rings: tuple[Ring, ...]
    """Every polygon's rings together, unwrapped (none for a circle)."""
    bands: tuple[tuple[tuple[float, float, float, float], ...], ...]
    """The rings' edges ``(x1, y1, x2, y2)`` by latitude band: a point is tried against the
    edges of its band only, which are all the edges its latitude meets."""


def _box(zone: Zone) -> _Box:
    if isinstance(zone.shape, Circle):
        lon, lat = zone.shape.center
        dlat = math.degrees(zone.shape.radius_m / EARTH_M) * 1.01
        dlon = min(dlat / max(math.cos(math.radians(abs(lat) + dlat)), 1e-9), 180.0)
        west = lon - dlon if lon - dlon >= -180 else lon - dlon + 360
        return _Box(zone, west, lat - dlat, west + 2 * dlon, lat + dlat, (), ())
    rings = tuple(ring for polygon in zone.shape for ring in polygon.rings)
    lons = [lon for ring in rings for lon, _ in ring]
    if max(lons) - min(lons) > 180:  # across the antimeridian: keep it east of it
        rings = tuple(tuple((lon + 360 if lon < 0 else lon, lat) for lon, lat in r) for r in rings)
        lons = [lon + 360 if lon < 0 else lon for lon in lons]
    south = min(lat for ring in rings for _, lat in ring)
    north = max(lat for ring in rings for _, lat in ring)
    bands: list[list[tuple[float, float, float, float]]] = [[] for _ in range(len(lons) // 8 + 1)]
    for ring in rings:
        for (x1, y1), (x2, y2) in itertools.pairwise(ring):
            for band in range(
                _band(bands, south, north, min(y1, y2)), _band(bands, south, north, max(y1, y2)) + 1
            ):
                bands[band].append((x1, y1, x2, y2))
    return _Box(zone, min(lons), south, max(lons), north, rings, tuple(map(tuple, bands)))


def _band(bands: Sequence[object], south: float, north: float, lat: float) -> int:
    return min(int((lat - south) / (north - south) * len(bands)), len(bands) - 1)


def _covers(box: _Box, lon: float, lat: float) -> bool:
    """Whether ``box``'s zone holds the point, its longitude unwrapped as the box's are."""
    shape = box.zone.shape
    if isinstance(shape, Circle):  # haversine
        lon0, lat0 = shape.center
        p1, p2 = math.radians(lat0), math.radians(lat)
        h = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon - lon0) / 2) ** 2
        )
        return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h))) <= shape.radius_m
    inside = False  # even-odd rule over all rings: a hole's inside is the polygon's outside
    for x1, y1, x2, y2 in box.bands[_band(box.bands, box.south, box.north, lat)]:
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


CELLS = 32
"""The oracle's grid: cells of 1/32° a side (3.5 km north to south)."""


class Oracle:
    """Which zones cover a point, every zone tried: each zone against each point within its
    bounds. Written apart from ``edge/``'s geometry and index on purpose; a point exactly on an
    edge may be decided otherwise (the draws never hit one)."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.boxes = [_box(zone) for zone in zones]

    def covering(self, points: Sequence[Position]) -> list[list[Zone]]:
        """For each point, every zone whose shape holds it (active or not), in zones' order."""
        cells: dict[tuple[int, int], list[int]] = {}  # the points in each cell of the grid
        for i, (lon, lat) in enumerate(points):
            cells.setdefault((math.floor(lon * CELLS), math.floor(lat * CELLS)), []).append(i)
        found: list[list[Zone]] = [[] for _ in points]
        for box in self.boxes:
            for x in range(math.floor(box.west * CELLS), math.floor(box.east * CELLS) + 1):
                for y in range(math.floor(box.south * CELLS), math.floor(box.north * CELLS) + 1):
                    for i in cells.get(((x + 180 * CELLS) % (360 * CELLS) - 180 * CELLS, y), ()):
                        lon, lat = points[i]
                        if lon < box.west:
                            lon += 360
                        if (
                            box.west <= lon <= box.east
                            and box.south <= lat <= box.north
                            and _covers(box, lon, lat)
                        ):
                            found[i].append(box.zone)
        return found


# Traffic

SHARES = {"store": 0.7, "city": 0.2, "outside": 0.1}
"""Where the queries fall: inside a store's area; in a city where no store delivers; in no
zone at all."""


def where(found: Sequence[Zone]) -> str | None:
    """The share a point covered by ``found`` counts towards (None: a pop-up or event only)."""
    kinds = {zone.kind for zone in found}
    if "store" in kinds:
        return "store"
    if "city" in kinds:
        return "city"
    return None if kinds else "outside"


@dataclass(frozen=True, slots=True)
class _Spokes:
    """A zone's middle and the ends of the spokes from it to its edge: its exterior's vertices,
    unwrapped as in its ``_Box`` (a circle: its centre and radius in km)."""

    middle: Position
    ends: tuple[Position, ...]
    km: float = 0.0


def _spokes(box: _Box) -> _Spokes:
    shape = box.zone.shape
    if isinstance(shape, Circle):
        return _Spokes(shape.center, (), shape.radius_m / 1000)
    ends = box.rings[0][:-1]
    middle = sum(lon for lon, _ in ends) / len(ends), sum(lat for _, lat in ends) / len(ends)
    return _Spokes(middle, ends)


def _inside(rng: random.Random, spokes: _Spokes, near: float = 0.0, far: float = 1.0) -> Position:
    """A position from ``near`` to ``far`` of the way from a zone's middle to its edge (along a
    spoke to one of its vertices, or of its radius), evenly by area."""
    t = math.sqrt(rng.uniform(near**2, far**2))
    if not spokes.ends:
        angle = rng.uniform(0, math.tau)
        return _destination(
            spokes.middle, t * spokes.km * math.cos(angle), t * spokes.km * math.sin(angle)
        )
    lon0, lat0 = spokes.middle
    lon, lat = rng.choice(spokes.ends)
    return (lon0 + t * (lon - lon0) + 180) % 360 - 180, lat0 + t * (lat - lat0)


def _propose(
    rng: random.Random, share: str, stores: list[_Spokes], cities: list[_Spokes]
) -> Position:
    if share == "store":
        return _inside(rng, rng.choice(stores))
    city = rng.choice(cities)
    if share == "city":
        return _inside(rng, city)
    if rng.random() < 0.5:  # anywhere on Earth, evenly by area
        return rng.uniform(-180, 180), math.degrees(math.asin(rng.uniform(-1, 1)))
    return _inside(rng, city, 1.1, 4.0)  # the city's outskirts


def query_points(zones: Sequence[Zone], count: int = 20_000, seed: int = 5) -> list[Position]:
    """``count`` positions over ``zones``, in ``SHARES`` (as the ``Oracle`` sees them), shuffled."""
    rng = random.Random(seed)
    oracle = Oracle(zones)
    stores = [_spokes(box) for box in oracle.boxes if box.zone.kind == "store"]
    cities = [_spokes(box) for box in oracle.boxes if box.zone.kind == "city"]
    wanted = {share: round(count * fraction) for share, fraction in SHARES.items()}
    wanted["store"] += count - sum(wanted.values())
    taken: dict[str, list[Position]] = {share: [] for share in SHARES}
    rate = dict.fromkeys(SHARES, 0.5)  # of the proposals for a share, how many landed in it
    while short := {s: n - len(taken[s]) for s, n in wanted.items() if len(taken[s]) < n}:
        proposed = [
            (share, _propose(rng, share, stores, cities))
            for share, n in short.items()
            for _ in range(math.ceil(1.2 * n / rate[share]) + 16)
        ]
        found = oracle.covering([point for _, point in proposed])
        landed = dict.fromkeys(short, 0)
        for (share, point), zs in zip(proposed, found, strict=True):
            if where(zs) == share:
                landed[share] += 1
                if len(taken[share]) < wanted[share]:
                    taken[share].append(point)
        for share, n in landed.items():
            rate[share] = max(n, 1) / sum(1 for s, _ in proposed if s == share)
    points = [point for share in SHARES for point in taken[share]]
    rng.shuffle(points)
    return points
