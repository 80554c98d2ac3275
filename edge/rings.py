"""A ring's longitudes made continuous, as both the lookup (``polygons``) and the checker
(``planar``) read it, so ``popcache zones check`` judges the very rings the Worker tests.

A ring with consecutive positions more than 180° of longitude apart (and not both on ±180,
where RFC 7946 §3.1.9 draws cut polygons and polar caps) crosses the antimeridian: ``unwrap``
shifts its longitudes by whole turns so it is continuous. A ring whose unwrapped longitudes
then wind a net ±360 encircles a pole: ``close_at_pole`` closes it through the pole on the
side of its mean latitude, so the polygon holds that pole. A hole goes into its exterior's
frame by the whole turns ``frame_shift`` gives.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

from zones import Position

__all__ = ["close_at_pole", "frame_shift", "unwrap"]


def unwrap(ring: Sequence[Position]) -> list[Position]:
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


def close_at_pole(ring: list[Position]) -> list[Position]:
    """``ring`` (unwrapped), closed through a pole when its longitudes wind once around it (and
    closed at all when it is not)."""
    (first_x, first_y), (last_x, last_y) = ring[0], ring[-1]
    if abs(last_x - first_x) < 180.0:
        return ring if (last_x, last_y) == (first_x, first_y) else [*ring, ring[0]]
    pole = math.copysign(90.0, sum(y for _, y in ring))
    return [*ring, (last_x, pole), (first_x, pole), (first_x, first_y)]


def frame_shift(hole: Sequence[Position], west: float) -> float:
    """The whole turns to take from ``hole``'s longitudes (unwrapped) to bring it into the frame
    of an exterior whose west side is ``west``."""
    return 360.0 * math.floor((hole[0][0] - west) / 360.0)
