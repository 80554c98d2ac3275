"""Point in zone: each shape prepared once, so a test costs a few microseconds.

Polygons are planar in (longitude, latitude) degrees, as RFC 7946 §3.1.1 draws them, and a
point is inside by the even-odd rule over all rings of a polygon (a hole is just another
ring), cast as a ray towards the east with PNPOLY's half-open rule: an edge counts when
``y0 <= lat < y1`` and the point lies west of it. Every edge is stored from its southern end
(``y0 < y1``; flat edges never count and are dropped), and its crossing longitude is computed
from that end only. So two zones sharing an edge compute bit-identical crossings, and a point
on their shared edge lies in exactly one of them: the one it would be in if moved an
infinitesimal step east (and a far smaller one north, which settles flat edges and vertices),
so a zone keeps its south and west edges and not its north and east ones. At a vertex the
arithmetic is exact (``x0 + 0.0 * k``), so a vertex shared by any number of tiles is in
exactly one of them too. (A point off the vertex but within float noise, about 1e-13°, of
one shared by three or more zones is in an odd number of them.) The rule holds between zones
in one longitude frame, which is any two that do not cross the antimeridian.

A ring with consecutive positions more than 180° of longitude apart (and not both on ±180,
where RFC 7946 draws cut polygons and polar caps) crosses the antimeridian: its longitudes
are unwrapped so it is continuous, and a query longitude is tried at each ±360 shift that
falls in the polygon's frame (the results XORed, so a polygon wider than 360° stays right).
A ring whose unwrapped longitudes wind a net ±360 encircles a pole: it is closed through the
pole on the side of its mean latitude, so the polygon holds that pole. A pole itself is one
point whatever its longitude: a query within 1e-9° of latitude ±90 is decided at
(±(90 - 1e-9), 0).

Speed: on its first test a polygon's latitude span is cut into bands, each keeping only the
edges that overlap it, so a test crosses the few edges of its band and gets the answer of full
ray casting.

Circles are great-circle distances on a sphere of radius 6371008.8 m (haversine, compared as
``hav(d) <= hav(radius)``); their bounding box holds a pole when the cap does.

``cover`` classifies the cells of a lat/lon grid as full or partial, conservatively: a cell is
full only when no edge (or circle boundary) comes within about 0.1 mm of it, so a lookup may
skip the test there and still answer as ``contains`` does (which is what decides the cells no
edge comes near, a row at a time).
"""

from __future__ import annotations

import bisect
import math
import operator
from collections.abc import Iterator
from math import cos, sin
from typing import Protocol

from zones import Circle, Polygon, Position, Ring, Shape

__all__ = ["EARTH_RADIUS_M", "EPS", "BBox", "Prepared", "normalize", "prepare"]

EARTH_RADIUS_M = 6_371_008.8
"""The IUGG mean radius, the sphere of ``zones.Circle``."""

BBox = tuple[float, float, float, float]
"""``(south, west, north, east)`` in degrees, ``-180 <= west < 180`` and
``west <= east <= west + 360``: ``east > 180`` means the box runs across the antimeridian."""

EPS = 1e-9
"""Degrees (about 0.1 mm): how close to a boundary a grid cell may come and still be full."""
_POLE = 90.0 - EPS
_RAD = math.pi / 180.0
_HALF_RAD = math.pi / 360.0
_MAX_BANDS = 1024
_CIRCLE_SLACK_M = 1e-3  # a full or empty cell keeps 1 mm from a circle's edge


class Prepared(Protocol):
    """A shape ready for point tests; arguments are ``(lat, lon)`` in degrees."""

    @property
    def bbox(self) -> BBox:
        """The shape's bounds (conservative by ``EPS``)."""
        ...

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point is in the shape (see the module docstring for its boundary)."""
        ...

    def cover(self, size: float) -> dict[int, bool]:
        """The cells of the grid of ``size``-degree cells (``size`` = 90 / 2**n) that meet the
        shape, keyed ``row * (360 / size) + column`` counting from (-90, -180): True when the
        whole cell is inside."""
        ...


def prepare(shape: Shape) -> Prepared:
    """``shape``, prepared for ``contains`` and ``cover``."""
    if isinstance(shape, Circle):
        return _Circle(shape)
    return _Polygons(shape)


def normalize(lat: float, lon: float) -> tuple[float, float] | None:
    """The point as every test sees it: a pole (within ``EPS``) at longitude 0, any other
    longitude in [-180, 180); None when there is no such point (NaN, infinite, or
    ``|lat| > 90``)."""
    if -_POLE < lat < _POLE and -180.0 <= lon < 180.0:
        return lat, lon
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90.0:
        return None
    if abs(lat) >= _POLE:
        return math.copysign(_POLE, lat), 0.0
    lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon if lon < 180.0 else -180.0  # % may round up to 360


# Polygons

_Edge = tuple[float, float, float, float]  # y0 < y1, x at y0, dx/dy


class _Part:
    """One polygon of a (Multi)Polygon in its longitude frame; its edges are cut into latitude
    bands on its first test, so zones no client ever enters cost no more than their rings."""

    __slots__ = ("_bands", "_scale", "_top", "east", "north", "rings", "shifts", "south", "west")

    def __init__(self, polygon: Polygon) -> None:
        rings = [_close_at_pole(_unwrap(ring)) for ring in polygon.rings]
        west = min([x for x, _ in rings[0]])
        for i in range(1, len(rings)):  # holes into the exterior's frame
            shift = 360.0 * math.floor((rings[i][0][0] - west) / 360.0)
            if shift:
                rings[i] = [(x - shift, y) for x, y in rings[i]]
        self.rings = rings
        xs = [x for ring in rings for x, _ in ring]
        ys = [y for ring in rings for _, y in ring]
        self.west, self.east = min(xs) - EPS, max(xs) + EPS
        self.south, self.north = min(ys), max(ys)
        low = math.ceil((self.west - 180.0) / 360.0)
        high = math.floor((self.east + 180.0) / 360.0)
        # What a longitude in [-180, 180) may need added to land in this frame; None: only 0
        # (a shift that lands it within EPS of the frame's side finds it outside anyway).
        shifts = tuple(360.0 * k for k in range(low, high + 1))
        inside = self.west >= -180.0 - 2 * EPS and self.east <= 180.0 + 2 * EPS
        self.shifts = None if inside else shifts
        self._bands: tuple[tuple[_Edge, ...], ...] | None = None
        self._scale = 0.0
        self._top = 0

    def contains(self, lat: float, lon: float) -> bool:
        south = self.south
        if lat < south or lat >= self.north:
            return False
        bands = self._bands
        if bands is None:
            bands = self._cut()
        band = int((lat - south) * self._scale)
        edges = bands[band if band < self._top else self._top]
        inside = False
        if self.shifts is None:  # the frame is [-180, 180]: the longitude as it is
            if self.west <= lon <= self.east:
                for y0, y1, x0, k in edges:
                    if y0 <= lat < y1 and lon < x0 + (lat - y0) * k:
                        inside = not inside
            return inside
        for shift in self.shifts:
            x = lon + shift
            if self.west <= x <= self.east:
                for y0, y1, x0, k in edges:
                    if y0 <= lat < y1 and x < x0 + (lat - y0) * k:
                        inside = not inside
        return inside

    def _cut(self) -> tuple[tuple[_Edge, ...], ...]:
        """The edges by band: each from its southern end, flat ones left out."""
        edges: list[_Edge] = []
        for ring in self.rings:
            xs = [x for x, _ in ring]
            ys = [y for _, y in ring]
            for xa, ya, xb, yb in zip(xs, ys, xs[1:], ys[1:], strict=False):
                if ya < yb:
                    edges.append((ya, yb, xa, (xb - xa) / (yb - ya)))
                elif yb < ya:
                    edges.append((yb, ya, xb, (xa - xb) / (ya - yb)))
        count = max(1, min(len(edges) // 2, _MAX_BANDS))  # about 4 edges a band
        span = self.north - self.south
        scale = count / span if span > 0 else 0.0
        south, top = self.south, count - 1
        bands: list[list[_Edge]] = [[] for _ in range(count)]
        # The query's own formula, monotone in the latitude: no edge is missed at a border.
        firsts = [min(int((edge[0] - south) * scale), top) for edge in edges]
        lasts = [min(int((edge[1] - south) * scale), top) for edge in edges]
        for edge, first, last in zip(edges, firsts, lasts, strict=True):
            if first == last:
                bands[first].append(edge)
            else:
                for band in range(first, last + 1):
                    bands[band].append(edge)
        self._scale, self._top = scale, top
        self._bands = tuple(map(tuple, bands))
        return self._bands

    def crossings(self, lat: float) -> list[float]:
        """Where the eastward ray of each point at ``lat`` crosses an edge, sorted: the
        crossings ``contains`` counts, bit for bit, for a whole parallel at once."""
        found = []
        for ring in self.rings:
            xs = [x for x, _ in ring]
            ys = [y for _, y in ring]
            for xa, ya, xb, yb in zip(xs, ys, xs[1:], ys[1:], strict=False):
                if ya < yb:
                    if ya <= lat < yb:
                        found.append(xa + (lat - ya) * ((xb - xa) / (yb - ya)))
                elif yb < ya and yb <= lat < ya:
                    found.append(xb + (lat - yb) * ((xa - xb) / (ya - yb)))
        found.sort()
        return found

    def holds(self, crossings: list[float], lon: float) -> bool:
        """``contains`` of the point at ``lon`` on the parallel of ``crossings``."""
        inside = False
        for shift in self.shifts or (0.0,):
            x = lon + shift
            if self.west <= x <= self.east:
                # An edge counts when the point is west of it: crossings greater than x.
                inside ^= (len(crossings) - bisect.bisect_right(crossings, x)) % 2 == 1
        return inside

    def mark(self, size: float, columns: int, rows: int, partial: set[int]) -> None:
        """Add to ``partial`` every cell some edge comes within ``EPS`` of."""
        for ring in self.rings:
            # The cells of each vertex, its coordinates less and plus EPS.
            west = [math.floor((x - EPS + 180.0) / size) for x, _ in ring]
            east = [math.floor((x + EPS + 180.0) / size) for x, _ in ring]
            south = [math.floor((y - EPS + 90.0) / size) for _, y in ring]
            north = [math.floor((y + EPS + 90.0) / size) for _, y in ring]
            for i in range(len(ring) - 1):
                c0, c1 = west[i], east[i]
                c0, c1 = (
                    (c0 if c0 < west[i + 1] else west[i + 1]),
                    (c1 if c1 > east[i + 1] else east[i + 1]),
                )
                r0, r1 = south[i], north[i]
                r0, r1 = (
                    (r0 if r0 < south[i + 1] else south[i + 1]),
                    (r1 if r1 > north[i + 1] else north[i + 1]),
                )
                if r0 < 0 or r1 >= rows:  # at a pole
                    r0, r1 = max(r0, 0), min(r1, rows - 1)
                if c0 == c1 and r0 == r1:
                    partial.add(r0 * columns + c0 % columns)
                elif c0 == c1 or r0 == r1:  # a row or a column of cells: it meets them all
                    for column in range(c0, c1 + 1):
                        for row in range(r0, r1 + 1):
                            partial.add(row * columns + column % columns)
                else:
                    (xa, ya), (xb, yb) = ring[i], ring[i + 1]
                    for column, row in _cells_near(xa, ya, xb, yb, size, c0, c1, r0, r1):
                        partial.add(row * columns + column % columns)


def _unwrap(ring: Ring) -> list[Position]:
    """``ring``'s positions with longitudes made continuous when it crosses the antimeridian."""
    lons = [lon for lon, _ in ring]
    steps = list(map(operator.sub, lons[1:], lons[:-1]))
    if max(map(abs, steps), default=0.0) <= 180.0 or all(
        abs(step) <= 180.0 or abs(a) == abs(a + step) == 180.0
        for a, step in zip(lons, steps, strict=False)
    ):
        return list(ring)
    unwrapped = [ring[0]]
    offset = 0.0
    for step, (lon, lat) in zip(steps, ring[1:], strict=True):
        if abs(step) > 180.0:
            offset -= 360.0 * round(step / 360.0)
        unwrapped.append((lon + offset, lat))
    return unwrapped


def _close_at_pole(ring: list[Position]) -> list[Position]:
    """``ring``, closed through a pole when its unwrapped longitudes wind once around it
    (and closed at all when it is not)."""
    (first_x, first_y), (last_x, last_y) = ring[0], ring[-1]
    if abs(last_x - first_x) < 180.0:
        return ring if (last_x, last_y) == (first_x, first_y) else [*ring, ring[0]]
    pole = math.copysign(90.0, sum(y for _, y in ring))
    return [*ring, (last_x, pole), (first_x, pole), (first_x, first_y)]


class _Polygons:
    """A Polygon or MultiPolygon: inside when any of its polygons holds the point."""

    __slots__ = ("_parts", "bbox")

    def __init__(self, polygons: tuple[Polygon, ...]) -> None:
        self._parts = tuple(_Part(polygon) for polygon in polygons)
        self.bbox = _union([(part.south, part.west, part.north, part.east) for part in self._parts])

    def contains(self, lat: float, lon: float) -> bool:
        if not (-_POLE < lat < _POLE and -180.0 <= lon < 180.0):
            point = normalize(lat, lon)
            if point is None:
                return False
            lat, lon = point
        if len(self._parts) == 1:  # the common case, without a generator's cost
            return self._parts[0].contains(lat, lon)
        return any(part.contains(lat, lon) for part in self._parts)

    def cover(self, size: float) -> dict[int, bool]:
        columns, rows = round(360.0 / size), round(180.0 / size)
        partial: set[int] = set()
        for part in self._parts:
            part.mark(size, columns, rows, partial)
        south, west, north, east = self.bbox
        first = math.floor((west + 180.0) / size)
        last = min(math.floor((east + 180.0) / size), first + columns - 1)
        cells: dict[int, bool] = {}
        for row in range(max(0, math.floor((south + 90.0) / size)), rows):
            low = -90.0 + row * size
            if low > north:
                break
            crossings = None  # where the row's middle parallel crosses each part's edges
            inside = None  # of the current run of cells no edge comes near: all alike
            for column in range(first, last + 1):
                cell = row * columns + column % columns
                if cell in partial:
                    cells[cell] = False
                    inside = None
                    continue
                if inside is None:
                    if crossings is None:
                        crossings = [part.crossings(low + size / 2) for part in self._parts]
                    lon = -180.0 + (column % columns + 0.5) * size
                    parts = zip(self._parts, crossings, strict=True)
                    inside = any(part.holds(found, lon) for part, found in parts)
                if inside:
                    cells[cell] = True
        return cells


def _cells_near(
    xa: float, ya: float, xb: float, yb: float, size: float, c0: int, c1: int, r0: int, r1: int
) -> Iterator[tuple[int, int]]:
    """The cells (columns unwrapped) among those from ``(c0, r0)`` to ``(c1, r1)`` that the
    segment comes within ``EPS`` of: those its line does not pass clear of (separating axes:
    the ranges settle the box's own)."""
    dx, dy = xb - xa, yb - ya
    slack = EPS * (abs(dx) + abs(dy))
    for column in range(c0, c1 + 1):
        x0 = -180.0 + column * size - EPS
        x1 = x0 + size + 2 * EPS
        for row in range(r0, r1 + 1):
            y0 = -90.0 + row * size - EPS
            y1 = y0 + size + 2 * EPS
            sides = (
                dx * (y0 - ya) - dy * (x0 - xa),
                dx * (y1 - ya) - dy * (x0 - xa),
                dx * (y0 - ya) - dy * (x1 - xa),
                dx * (y1 - ya) - dy * (x1 - xa),
            )
            if not (min(sides) > slack or max(sides) < -slack):
                yield column, row


def _union(boxes: list[BBox]) -> BBox:
    """The smallest box holding ``boxes``, their longitudes as arcs of the circle."""
    south = min(box[0] for box in boxes)
    north = max(box[2] for box in boxes)
    arcs = []
    for _, west, _, east in boxes:
        if east - west >= 360.0:
            return south, -180.0, north, 180.0
        shift = 360.0 * math.floor((west + 180.0) / 360.0)
        arcs.append((west - shift, east - shift))
    arcs.sort()
    merged = [list(arcs[0])]
    for west, east in arcs[1:]:
        if west <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], east)
        else:
            merged.append([west, east])
    while len(merged) > 1 and merged[-1][1] >= merged[0][0] + 360.0:  # wraps onto the first
        merged[-1][1] = max(merged[-1][1], merged.pop(0)[1] + 360.0)
    if merged[-1][1] - merged[0][0] >= 360.0:
        return south, -180.0, north, 180.0
    # The arc is the circle minus its widest gap.
    gaps = [(merged[0][0] + 360.0 - merged[-1][1], len(merged) - 1)]
    gaps += [(merged[i + 1][0] - merged[i][1], i) for i in range(len(merged) - 1)]
    _, before = max(gaps)
    west = merged[(before + 1) % len(merged)][0]
    east = merged[before][1]
    if east < west:
        east += 360.0
    shift = 360.0 * math.floor((west + 180.0) / 360.0)
    return south, west - shift, north, east - shift


# Circles


class _Circle:
    """A spherical cap: within ``radius_m`` of the centre along a great circle."""

    __slots__ = ("_cos", "_in", "_lat", "_lon", "_max", "_out", "bbox")

    def __init__(self, circle: Circle) -> None:
        self._lon, self._lat = float(circle.center[0]), float(circle.center[1])
        self._cos = cos(self._lat * _RAD)
        radius = min(float(circle.radius_m), math.pi * EARTH_RADIUS_M)  # at most all the sphere
        self._max = _hav_of(radius)
        slack = _CIRCLE_SLACK_M + radius * EPS
        self._in = _hav_of(radius - slack) if radius > slack else -1.0
        self._out = _hav_of(radius + slack)
        angle = radius / EARTH_RADIUS_M
        reach = math.degrees(angle) * (1 + EPS) + EPS
        south, north = self._lat - reach, self._lat + reach
        if north >= 90.0 or south <= -90.0 or angle >= math.pi / 2:
            self.bbox: BBox = (max(south, -90.0), -180.0, min(north, 90.0), 180.0)
            return
        ratio = sin(angle) / self._cos
        if ratio >= 1.0:
            self.bbox = (south, -180.0, north, 180.0)
            return
        half = math.degrees(math.asin(ratio)) * (1 + EPS) + EPS
        west = self._lon - half
        shift = 360.0 * math.floor((west + 180.0) / 360.0)
        self.bbox = (south, west - shift, north, west - shift + 2 * half)

    def contains(self, lat: float, lon: float) -> bool:
        if not (-_POLE < lat < _POLE and -180.0 <= lon < 180.0):
            point = normalize(lat, lon)
            if point is None:
                return False
            lat, lon = point
        a = sin((lat - self._lat) * _HALF_RAD)
        b = sin((lon - self._lon) * _HALF_RAD)
        return a * a + cos(lat * _RAD) * self._cos * b * b <= self._max

    def cover(self, size: float) -> dict[int, bool]:
        columns, rows = round(360.0 / size), round(180.0 / size)
        south, _, north, _ = self.bbox
        r0 = max(0, math.floor((south + 90.0) / size))
        r1 = min(rows - 1, math.floor((north + 90.0) / size))
        parallels = [-90.0 + row * size for row in range(r0, r1 + 2)]
        # The cap grown by the slack decides which cells meet it, the cap shrunk by it which
        # are full. A cap's half-span rises and falls once from south to north: between two
        # parallels it is narrowest at one of them, widest there or at the widest parallel.
        outer = [self._width(lat, self._out) for lat in parallels]
        inner = [self._width(lat, self._in) for lat in parallels]
        reach = math.degrees(2.0 * math.asin(math.sqrt(self._out)))
        cos_reach = 1.0 - 2.0 * self._out
        widest = sin(self._lat * _RAD) / cos_reach if cos_reach > 0.0 else 2.0  # its sine
        widest = math.degrees(math.asin(widest)) if abs(widest) <= 1.0 else math.inf
        cells: dict[int, bool] = {}
        for i, row in enumerate(range(r0, r1 + 1)):
            low, high = parallels[i], parallels[i + 1]
            if high < self._lat - reach or low > self._lat + reach:
                continue
            widths = [w for w in (outer[i], outer[i + 1]) if w is not None]
            if low <= widest <= high:
                widths.append(self._width(widest, self._out) or 0.0)
            half = max(widths, default=0.0) + EPS
            south_in, north_in = inner[i], inner[i + 1]
            full = -1.0 if south_in is None or north_in is None else min(south_in, north_in)
            full = full if full >= 180.0 else full - EPS
            first = math.floor((self._lon - half + 180.0) / size)
            last = min(math.floor((self._lon + half + 180.0) / size), first + columns - 1)
            for column in range(first, last + 1):
                west = -180.0 + column * size
                cells[row * columns + column % columns] = full >= 180.0 or (
                    self._lon - full <= west - EPS and west + size + EPS <= self._lon + full
                )
        return cells

    def _width(self, lat: float, hav_radius: float) -> float | None:
        """Half the longitude span of the cap of ``hav_radius`` at ``lat`` in degrees (180: the
        whole parallel), None when the parallel misses it."""
        a = sin((lat - self._lat) * _HALF_RAD)
        room = hav_radius - a * a
        if room < 0.0:
            return None
        scale = cos(lat * _RAD) * self._cos
        if room >= scale:
            return 180.0
        return 2.0 * math.degrees(math.asin(math.sqrt(room / scale)))


def _hav_of(metres: float) -> float:
    half = math.sin(max(metres, 0.0) / EARTH_RADIUS_M / 2)
    return half * half
