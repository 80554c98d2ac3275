"""Point in circle: a Point zone with ``radius_m``, prepared once as a spherical cap.

A circle holds every point within ``radius_m`` of its centre along a great circle, on the
sphere of ``zones.Circle`` (radius ``EARTH_RADIUS_M``): haversine, compared as
``hav(d) <= hav(radius)``, with the centre's terms computed once. Its bounding box holds a
pole when the cap does.

``cover`` keeps about 1 mm from the rim: a cell is full only when the cap shrunk by that much
holds it, and listed at all only when the cap grown by it comes near, so float noise at the rim
never makes a lookup skip a test it needed.
"""

from __future__ import annotations

import math
from math import cos, sin

from latlon import EPS, BBox, normalize
from zones import Circle

__all__ = ["EARTH_RADIUS_M", "Cap"]

EARTH_RADIUS_M = 6_371_008.8
"""The IUGG mean radius, the sphere of ``zones.Circle``."""

_RAD = math.pi / 180.0
_HALF_RAD = math.pi / 360.0
_CIRCLE_SLACK_M = 1e-3  # a full or empty cell keeps 1 mm from a circle's edge


class Cap:
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
        point = normalize(lat, lon)
        return point is not None and self.contains_normalized(*point)

    def contains_normalized(self, lat: float, lon: float) -> bool:
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
