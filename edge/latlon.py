"""Points and boxes in degrees, as every prepared shape (``geometry``) reads them.

A point has one form for each place on the globe, so a shape's test never has to ask which
longitude frame it came in: ``normalize`` puts longitudes in [-180, 180) and a pole (a
latitude within ``EPS`` of ±90) at longitude 0, since a pole is one point whatever its
longitude. A box keeps its west side in [-180, 180) and lets its east side run past 180 when it
crosses the antimeridian; ``union`` joins boxes as arcs of the circle of longitudes, so parts
either side of the antimeridian get the narrow box across it, not one around the world.
"""

from __future__ import annotations

import math

__all__ = ["EPS", "POLE", "BBox", "normalize", "union"]

BBox = tuple[float, float, float, float]
"""``(south, west, north, east)`` in degrees, ``-180 <= west < 180`` and
``west <= east <= west + 360``: ``east > 180`` means the box runs across the antimeridian."""

EPS = 1e-9
"""Degrees (about 0.1 mm): how close to a boundary a grid cell may come and still be full."""
POLE = 90.0 - EPS
"""The latitude from which a point is a pole: ``normalize`` moves it to (±POLE, 0)."""


def normalize(lat: float, lon: float) -> tuple[float, float] | None:
    """The point as every test sees it: a pole (within ``EPS``) at longitude 0, any other
    longitude in [-180, 180); None when there is no such point (NaN, infinite, or
    ``|lat| > 90``)."""
    if -POLE < lat < POLE and -180.0 <= lon < 180.0:
        return lat, lon
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90.0:
        return None
    if abs(lat) >= POLE:
        return math.copysign(POLE, lat), 0.0
    lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon if lon < 180.0 else -180.0  # % may round up to 360


def union(boxes: list[BBox]) -> BBox:
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
