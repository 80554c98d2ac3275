"""Point in polygon: each (Multi)Polygon prepared once, so a test costs a few microseconds.

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

Rings crossing the antimeridian are unwrapped and rings around a pole closed through it
(``rings``); a query longitude is then tried at each ±360 shift that falls in the polygon's
frame (the results XORed, so a polygon wider than 360° stays right).

Speed: on its first test a polygon's latitude span is cut into bands, each keeping only the
edges that overlap it, so a test crosses the few edges of its band and gets the answer of full
ray casting. ``cover`` finds the grid cells some edge comes within ``EPS`` of (partial), and
decides the others a row at a time from the crossings of the row's middle parallel.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator

from latlon import EPS, normalize, union
from rings import close_at_pole, frame_shift, unwrap
from zones import Polygon

__all__ = ["Polygons"]

_MAX_BANDS = 1024

_Edge = tuple[float, float, float, float]  # y0 < y1, x at y0, dx/dy


class _Part:
    """One polygon of a (Multi)Polygon in its longitude frame; its edges are cut into latitude
    bands on its first test, so zones no client ever enters cost no more than their rings."""

    __slots__ = ("_bands", "_scale", "_top", "east", "north", "rings", "shifts", "south", "west")

    def __init__(self, polygon: Polygon) -> None:
        rings = [close_at_pole(unwrap(ring)) for ring in polygon.rings]
        west = min([x for x, _ in rings[0]])
        for i in range(1, len(rings)):  # holes into the exterior's frame
            shift = frame_shift(rings[i], west)
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


class Polygons:
    """A Polygon or MultiPolygon: inside when any of its polygons holds the point."""

    __slots__ = ("_parts", "bbox")

    def __init__(self, polygons: tuple[Polygon, ...]) -> None:
        self._parts = tuple(_Part(polygon) for polygon in polygons)
        self.bbox = union([(part.south, part.west, part.north, part.east) for part in self._parts])

    def contains(self, lat: float, lon: float) -> bool:
        point = normalize(lat, lon)
        return point is not None and self.contains_normalized(*point)

    def contains_normalized(self, lat: float, lon: float) -> bool:
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
