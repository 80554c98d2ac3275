"""Zone lookup over a city-scale mix: ``ZoneIndex`` next to a scan of every zone, in-process.

The mix (``zonemix``): 10,000 zones, 41 cities on six continents (one across the antimeridian,
one at 78°N) of 200 to 600 vertices, 9,059 overlapping store delivery areas, 900 pop-ups and
micro-events open, over or to come; 20,000 query points, 70% in a store's area, 20% in a city
where no store delivers, 10% outside every zone. Measured: the index's build (CPU time, fastest
and median of a few); reading the mix as GeoJSON; each point's ``locate`` timed alone, its
fastest of a few passes (a shared machine only ever adds time), for the median and p99 over the
points, by where they fall; ``locate`` and ``containing`` over batches of the points (CPU time,
µs per call); and, on a subset, a scan of every zone's prepared shape in rounds alternating
with the index: the index's worth is that ratio, which holds from machine to machine where
absolute times do not. Before any timing, the index's answers are checked against an oracle
written apart (``zonemix.Oracle``) on every point. Target (issue #5): at most 20 µs median per
lookup in CPython.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .measure import paired_ratio
from .report import heading, table, verdict

_EDGE = str(Path(__file__).resolve().parents[1] / "edge")
if _EDGE not in sys.path:  # edge/'s modules are top-level, as on Cloudflare
    sys.path.insert(0, _EDGE)

from geometry import prepare  # noqa: E402
from zonefile import load_zones  # noqa: E402
from zoneindex import ZoneIndex  # noqa: E402
from zones import Position, Zone  # noqa: E402

from .zonemix import NOW, SHARES, Oracle, city_scale_mix, query_points, to_geojson, where  # noqa: E402

ZONES, POINTS, BUILDS, PASSES = 10_000, 20_000, 3, 5
SCANNED, SCAN_ROUNDS = 200, 3
TARGET_US = 20.0
SHARE_NAMES = {
    "store": "in a store's area",
    "city": "in a city, no store",
    "outside": "outside every zone",
}

Answer = tuple[str | None, str | None]
"""What ``locate`` found, as ids: the best active zone and the best city (None: none)."""


class Scan:
    """The brute force: every zone's prepared shape tried in turn, its bounds first."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        prepared = [(zone, prepare(zone.shape)) for zone in zones]
        self.shapes = [(zone, shape.contains, *shape.bbox) for zone, shape in prepared]

    def containing(self, lat: float, lon: float) -> list[Zone]:
        return [
            zone
            for zone, contains, south, west, north, east in self.shapes
            if south <= lat <= north
            and (west <= lon <= east or west <= lon + 360 <= east)
            and contains(lat, lon)
        ]

    def locate(self, lat: float, lon: float, now: float) -> Answer:
        return best(self.containing(lat, lon), now)


def best(found: Sequence[Zone], now: float) -> Answer:
    """The highest-priority active zone and city of ``found``, the smaller id on a tie."""
    zone = min((z for z in found if z.level == "zone" and z.active(now)), key=_rank, default=None)
    city = min((z for z in found if z.level == "city" and z.active(now)), key=_rank, default=None)
    return (zone.id if zone else None), (city.id if city else None)


def _rank(zone: Zone) -> tuple[int, str]:
    return -zone.priority, zone.id


def _answer(index: ZoneIndex, lat: float, lon: float) -> Answer:
    located = index.locate(lat, lon, NOW)
    return (
        located.zone.id if located.zone else None,
        located.city.id if located.city else None,
    )


def _batches_us(
    call: Callable[[float, float], object], points: Sequence[Position], batch: int, passes: int
) -> list[float]:
    """µs per call of each batch of ``batch`` points, ``passes`` times over ``points``."""
    times = []
    for _ in range(passes):
        for start in range(0, len(points), batch):
            chunk = points[start : start + batch]
            # CPU time of this process: time another process takes from the CPU does not count.
            started = time.process_time()
            for lon, lat in chunk:
                call(lat, lon)
            times.append((time.process_time() - started) / len(chunk) * 1e6)
    return times


def _each_us(index: ZoneIndex, points: Sequence[Position], passes: int) -> list[float]:
    """µs of each point's ``locate``, the fastest of ``passes`` (a shared machine only ever
    adds time); wall clock, as the CPU clock is too coarse for one call, its own 0.1 µs in."""
    fastest = [math.inf] * len(points)
    clock, locate = time.perf_counter_ns, index.locate
    for _ in range(passes):
        for i, (lon, lat) in enumerate(points):
            started = clock()
            locate(lat, lon, NOW)
            fastest[i] = min(fastest[i], (clock() - started) / 1000)
    return fastest


def _p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def _build_s(zones: Sequence[Zone]) -> tuple[ZoneIndex, float]:
    started = time.process_time()
    index = ZoneIndex.build(zones)
    return index, time.process_time() - started


def _differ(
    index: ZoneIndex, points: Sequence[Position], found: list[list[Zone]]
) -> tuple[int, int]:
    """Points where the index and the oracle's ``found`` differ: by ``locate``, by
    ``containing`` (as sets of ids: ``containing`` ranks them, the oracle does not)."""
    located = contained = 0
    for (lon, lat), zs in zip(points, found, strict=True):
        located += _answer(index, lat, lon) != best(zs, NOW)
        contained += {z.id for z in index.containing(lat, lon)} != {z.id for z in zs}
    return located, contained


def _scan(
    index: ZoneIndex, scan: Scan, points: Sequence[Position]
) -> tuple[list[float], list[float], int]:
    """µs per ``locate`` of the index and of the scan over ``points``, alternating rounds
    (each ratio shares its moment's machine noise); points where their answers differ."""
    index_us: list[float] = []
    scan_us: list[float] = []
    answers: list[Answer] = []
    for _ in range(SCAN_ROUNDS):
        index_us.append(
            min(_batches_us(lambda lat, lon: index.locate(lat, lon, NOW), points, len(points), 5))
        )
        started = time.process_time()
        answers = [scan.locate(lat, lon, NOW) for lon, lat in points]
        scan_us.append((time.process_time() - started) / len(points) * 1e6)
    differ = sum(
        a != _answer(index, lat, lon) for a, (lon, lat) in zip(answers, points, strict=True)
    )
    return index_us, scan_us, differ


def run(args: argparse.Namespace) -> None:
    zones = city_scale_mix(ZONES)
    points = query_points(zones, POINTS)
    text = to_geojson(zones)
    started = time.process_time()
    if load_zones(text, "zonemix.geojson") != zones:
        raise SystemExit("bench: the zone mix does not come back whole from load_zones")
    load_s = time.process_time() - started
    index, build_s = _build_s(zones)
    builds = [build_s] + [_build_s(zones)[1] for _ in range(BUILDS - 1)]
    found = Oracle(zones).covering(points)
    located_off, contained_off = _differ(index, points, found)  # also the warm-up

    def locate(lat: float, lon: float) -> object:
        return index.locate(lat, lon, NOW)

    located = _batches_us(locate, points, args.batch, args.batches)
    contained = _batches_us(index.containing, points, args.batch, 1)
    each = _each_us(index, points, PASSES)
    shares = [where(zs) for zs in found]
    by_share = {s: [t for t, w in zip(each, shares, strict=True) if w == s] for s in SHARES}
    index_us, scan_us, scan_off = _scan(index, Scan(zones), points[:SCANNED])
    ratio = paired_ratio(scan_us, index_us)

    median_us = statistics.median(each)
    heading(
        f"Zone lookup over a city-scale mix in-process ({len(zones):,} zones: 41 cities, "
        f"stores, pop-ups and events; {len(points):,} points, 70% in a store's area, 20% in a "
        f"city without one, 10% outside every zone): each point's locate timed alone, its "
        f"fastest of {PASSES} passes; batches of {args.batch} calls in CPU time, "
        f"{args.batches} passes over the points; a scan of every zone on {SCANNED} of them, "
        f"{SCAN_ROUNDS} rounds alternating with the index:"
    )
    rows = [
        [
            f"ZoneIndex.build, {len(zones):,} zones: fastest / median of {BUILDS}",
            f"{min(builds) * 1e3:,.0f} / {statistics.median(builds) * 1e3:,.0f} ms",
        ],
        [f"load_zones, the mix as GeoJSON ({len(text) / 1e6:.1f} MB)", f"{load_s * 1e3:,.0f} ms"],
        ["locate, µs per point: median / p99", f"{median_us:.1f} / {_p99(each):.1f}"],
        *(
            [
                f"… {SHARE_NAMES[s]} ({len(t):,} points)",
                f"{statistics.median(t):.1f} / {_p99(t):.1f}",
            ]
            for s, t in by_share.items()
        ),
        [
            "locate, µs per call: fastest / median batch",
            f"{min(located):.1f} / {statistics.median(located):.1f}",
        ],
        [
            "containing, µs per call: fastest / median batch",
            f"{min(contained):.1f} / {statistics.median(contained):.1f}",
        ],
        [
            "scan of every zone's prepared shape, locate, µs per call",
            f"{statistics.median(scan_us):,.0f}",
        ],
        ["scan / index, same points (median per-round ratio)", f"{ratio:,.0f}x"],
        [
            f"points where index and oracle differ, locate / containing (of {len(points):,})",
            f"{located_off} / {contained_off}",
        ],
        [f"points where index and scan differ, locate (of {SCANNED})", f"{scan_off}"],
    ]
    table(["measured", "figure"], rows)
    lookup = verdict(
        median_us <= TARGET_US, f"zone lookup ≤ {TARGET_US:.0f} µs", f"{median_us:.1f} µs"
    )
    print(
        f"\nZone lookup: {median_us:.1f} µs median per locate over {len(zones):,} zones "
        f"({lookup} the ≤ {TARGET_US:.0f} µs target), p99 "
        f"{_p99(each):.1f} µs, {ratio:,.0f}x faster than a scan of every zone; the index builds "
        f"in {min(builds):.1f} s. Index and oracle disagree on {located_off + contained_off} "
        f"of {len(points):,} points.",
        flush=True,
    )
