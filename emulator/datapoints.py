"""The Analytics Engine data points the workers wrote, as production's SQL API would hold them.

Kept in memory, newest last, at most ``capacity`` of them (the oldest go first), so a long
``popcache dev`` session never grows without bound. ``latencies`` reads the edge's own
invalidation points (blob 1 ``"invalidation"``, blob 2 the kind, double 1 the seconds) for the
metrics endpoint; docs/events.md gives the same query in Cloudflare's SQL.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

__all__ = ["MAX_POINTS", "DataPoint", "DataPoints", "latencies", "quantile", "quantiles"]


@dataclass(slots=True)  # not frozen: the hit path builds one per request, and frozen costs 4x
class DataPoint:
    timestamp: float
    dataset: str
    colo: str
    blobs: tuple[str | None, ...]
    doubles: tuple[float, ...]
    index: str | None


MAX_POINTS = 100_000
"""The points an emulator keeps unless told otherwise (``popcache dev --max-data-points``)."""


class DataPoints:
    def __init__(self, capacity: int = MAX_POINTS) -> None:
        self._points: deque[DataPoint] = deque(maxlen=capacity)
        self.written = 0
        """Every point ever written, including those dropped for room."""

    def __len__(self) -> int:
        return len(self._points)

    @property
    def capacity(self) -> int:
        """The most points kept."""
        return self._points.maxlen or 0

    def add(self, point: DataPoint) -> None:
        self._points.append(point)
        self.written += 1

    def __iter__(self) -> Iterator[DataPoint]:
        return iter(list(self._points))

    def newer_than(self, written: int) -> list[DataPoint]:
        """The points written after the first ``written`` ever were, oldest first: those still
        kept (a reader that fell more than ``capacity`` behind has lost the rest)."""
        missed = min(self.written - written, len(self._points))
        return list(islice(reversed(self._points), missed))[::-1] if missed > 0 else []


def latencies(points: Iterable[DataPoint], first_blob: str) -> dict[str, list[float]]:
    """Double 1 of the ``points`` whose blob 1 is ``first_blob``, by blob 2."""
    found: dict[str, list[float]] = {}
    for point in points:
        if len(point.blobs) >= 2 and point.blobs[0] == first_blob and point.doubles:
            found.setdefault(point.blobs[1] or "", []).append(point.doubles[0])
    return found


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``; 0 for none."""
    return quantiles(values, (q,))[0]


def quantiles(values: list[float], qs: tuple[float, ...]) -> tuple[float, ...]:
    """The ``qs`` quantiles (nearest rank) of ``values``, sorted once; 0 for none."""
    if not values:
        return tuple(0.0 for _ in qs)
    ordered = sorted(values)
    last = len(ordered) - 1
    return tuple(ordered[max(0, min(last, math.ceil(q * len(ordered)) - 1))] for q in qs)
