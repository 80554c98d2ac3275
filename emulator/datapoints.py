"""The Analytics Engine data points the workers wrote, as production's SQL API would hold them.

Kept in memory, newest last, at most ``capacity`` of them (the oldest go first), so a long
``popcache dev`` session never grows without bound. ``latencies`` reads the edge's own
invalidation points (blob 1 ``"invalidation"``, blob 2 the kind, double 1 the seconds) for the
metrics endpoint; docs/events.md gives the same query in Cloudflare's SQL.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["DataPoint", "DataPoints", "quantile"]


@dataclass(frozen=True, slots=True)
class DataPoint:
    timestamp: float
    dataset: str
    colo: str
    blobs: tuple[str | None, ...]
    doubles: tuple[float, ...]
    index: str | None


class DataPoints:
    def __init__(self, capacity: int = 100_000) -> None:
        self._points: deque[DataPoint] = deque(maxlen=capacity)
        self.written = 0
        """Every point ever written, including those dropped for room."""

    def add(self, point: DataPoint) -> None:
        self._points.append(point)
        self.written += 1

    def __iter__(self) -> Iterator[DataPoint]:
        return iter(list(self._points))

    def latencies(self, first_blob: str) -> dict[str, list[float]]:
        """Double 1 of the points whose blob 1 is ``first_blob``, by blob 2."""
        found: dict[str, list[float]] = {}
        for point in self:
            if len(point.blobs) >= 2 and point.blobs[0] == first_blob and point.doubles:
                found.setdefault(point.blobs[1] or "", []).append(point.doubles[0])
        return found


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[rank]
