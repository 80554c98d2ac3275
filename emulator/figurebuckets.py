"""The figures of ``GET /cdn-cgi/popcache/stats``, kept up to date as the points are written.

The dashboard asks for them every second, and one scan of every kept point (100,000 by
default) takes about half a second. So each point is scanned once, when it is new, and what
it counts (:class:`emulator.figures.Counted`) added to its 10 s bucket's (``bucket_of`` its
time); a window adds up its buckets. A window a second later has the same buckets but for
its first (its start moved, or points were dropped for room) and its last (new points), so
the sum of those between is kept per window and slid: a call costs the points written since
the last one, the buckets and names that changed, and one merge of the window's durations
(in order in each bucket) for its quantiles.

The sum is exactly what one scan of the window gives (:func:`emulator.figures.figures`, the
oracle of tests/unit/test_figurebuckets.py), because:

- a bucket the window cuts (the window starts inside it, or a point is later than ``now``)
  is scanned again for the window's part of it (that bucket's points only);
- ``DataPoints`` drops its oldest points for room in the order they were written, so a
  bucket loses its oldest points, and what they count is taken away from it;
- a bucket older than the longest window (``MAX_WINDOW``) before the latest call is dropped,
  so a window reaching back past it (a clock moved back, a longer window) is one scan of
  every kept point;
- counts add up and take away exactly only for the points ``splittable`` says so of (whole
  sums, durations whose order changes no figure): a window holding any other point (a
  worker writing odd doubles) is one scan of every kept point too.
"""

from __future__ import annotations

import math
import operator
from collections import deque
from typing import Any

from .countedsums import NOTHING, in_order, merged, scanned, without
from .datapoints import DataPoint, DataPoints
from .figures import MAX_WINDOW, Counted, figures, snapshot
from .requestscan import bucket_of, splittable

__all__ = ["FigureBuckets"]


_MIDDLES = 4
"""The windows (lengths) whose middle buckets' sum is kept: a dashboard's and a few more."""


def _odd(points: list[DataPoint], most: int) -> int:
    """How many of ``points`` are not ``splittable``."""
    return len([None for point in points if not splittable(point, most)])


class _Bucket:
    """The points of one 10 s bucket still kept, oldest first, and what they count."""

    __slots__ = ("earliest", "found", "latest", "odd", "points", "stale")

    def __init__(self) -> None:
        self.points: list[DataPoint] = []
        self.found = NOTHING
        """What ``points`` count, ``in_order``: replaced, never changed, as they change."""
        self.odd = 0
        """The points not ``splittable``: while any is kept, ``found`` is not to be read."""
        self.earliest: float = math.inf
        self.latest: float = -math.inf
        self.stale = False
        """``found`` could not take away points dropped for room: count again to read it."""

    def add(self, points: list[DataPoint], most: int) -> None:
        """Points newly written: counted on their own and added."""
        self.points += points
        self.odd += _odd(points, most)
        times = [point.timestamp for point in points]
        self.earliest, self.latest = min(self.earliest, *times), max(self.latest, *times)
        if not self.stale:
            self.found = in_order(merged([self.found, scanned(points)]))

    def drop_oldest(self, count: int, most: int) -> None:
        """The oldest ``count`` points were dropped for room: counted on their own and taken
        away (unless an odd point was kept, which adding up and taking away may misread)."""
        gone = self.points[:count]
        del self.points[:count]
        if self.odd or self.stale:
            self.stale = True
        else:
            self.found = without(self.found, scanned(gone))
        self.odd -= _odd(gone, most)
        times = [point.timestamp for point in self.points]
        self.earliest, self.latest = min(times, default=math.inf), max(times, default=-math.inf)

    def refresh(self) -> None:
        """Count the points again if what they count could not be kept up to date."""
        if self.stale:
            self.stale = False
            self.found = in_order(scanned(self.points))


def _slid(
    kept: tuple[list[Counted], Counted] | None, parts: list[Counted]
) -> tuple[list[Counted], Counted]:
    """``parts`` and their sum, from ``kept`` (earlier parts and their sum) if ``parts`` are
    those less some of the oldest and with some newer ones: the buckets of a window a second
    later, unless a bucket changed."""
    if kept is not None:
        old, found = kept
        start = next((at for at, part in enumerate(old) if part is parts[0]), len(old))
        fits = start < len(old) and len(old) - start <= len(parts)
        if fits and all(map(operator.is_, old[start:], parts)):
            if start:
                found = without(found, merged(old[:start]))
            if len(old) - start < len(parts):
                found = in_order(merged([found, *parts[len(old) - start :]]))
            return parts, found
    return parts, in_order(merged(parts))


class FigureBuckets:
    """The figures of the points of ``points``, brought up to date at each call."""

    def __init__(self, points: DataPoints) -> None:
        self._points = points
        self._buckets: dict[int, _Bucket] = {}
        self._runs: deque[tuple[int | None, int]] = deque()
        """The bucket of each point read and still kept, oldest first, as runs of one
        bucket (None: a point in no bucket, which no window counts or one older than
        ``_floor``)."""
        self._first = 0
        """The index (in all points ever written) of the first point of ``_runs``."""
        self._read = 0
        """The points ever written that ``_runs`` has read."""
        self._floor: int | None = None
        """The oldest bucket kept: the longest window before the latest call's time."""
        self._memo: tuple[tuple[int, int, int], dict[str, Any]] | None = None
        self._middles: dict[int, tuple[list[Counted], Counted]] = {}
        """By window: the sum of the buckets between its first and its last at the latest
        call, and theirs. A second later only the first (the window's start moved, or the
        oldest points were dropped for room) and the last (new points) have changed, so a
        call adds up three parts, not every bucket of the window."""

    def at(self, now: float, window: int) -> dict[str, Any]:
        """The figures of the ``window`` seconds up to ``now`` (``figures.figures`` of every
        kept point). Several dashboards polling each second ask for the same figures: they
        are computed once per second and window while no point has been written since."""
        memo = (window, self._points.written, int(now))
        if self._memo is None or self._memo[0] != memo:
            self._memo = (memo, self._figures(now, window))
        return self._memo[1]

    def _figures(self, now: float, window: int) -> dict[str, Any]:
        floor = self._raise_floor(bucket_of(now - MAX_WINDOW))
        self._read_new()
        self._drop_evicted()
        since = now - window
        first = bucket_of(since)
        if first < floor:
            return figures(list(self._points), now, window)
        parts: list[Counted] = []
        for key in range(first, bucket_of(now) + 1):
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            if bucket.odd:
                return figures(list(self._points), now, window)
            bucket.refresh()
            whole = since <= bucket.earliest and bucket.latest <= now
            parts.append(bucket.found if whole else scanned(bucket.points, since, now))
        if len(parts) > 3:
            parts = [parts[0], self._middle(window, parts[1:-1]), parts[-1]]
        return snapshot(merged(parts), now, window)

    def _middle(self, window: int, parts: list[Counted]) -> Counted:
        kept = _slid(self._middles.pop(window, None), parts)
        self._middles[window] = kept
        while len(self._middles) > _MIDDLES:
            del self._middles[next(iter(self._middles))]
        return kept[1]

    def _raise_floor(self, floor: int) -> int:
        """Drop the buckets no window up to ``MAX_WINDOW`` from now on can need."""
        if self._floor is not None and floor <= self._floor:
            return self._floor
        self._floor = floor
        for key in [key for key in self._buckets if key < floor]:
            del self._buckets[key]
        return floor

    def _read_new(self) -> None:
        """Scan the points written since the last call into their buckets."""
        store = self._points
        new = store.newer_than(self._read)
        self._run(None, store.written - self._read - len(new), [])  # dropped before read
        self._read = store.written
        key: int | None = None
        run: list[DataPoint] = []
        for point in new:
            bucket = self._bucket_of(point)
            if bucket != key or not run:
                self._run(key, len(run), run)
                key, run = bucket, []
            run.append(point)
        self._run(key, len(run), run)

    def _bucket_of(self, point: DataPoint) -> int | None:
        try:
            bucket = bucket_of(point.timestamp)
        except (TypeError, ValueError, OverflowError):  # no time a window holds
            return None
        return bucket if self._floor is None or bucket >= self._floor else None

    def _run(self, key: int | None, count: int, points: list[DataPoint]) -> None:
        if not count:
            return
        if self._runs and self._runs[-1][0] == key:
            self._runs[-1] = (key, self._runs[-1][1] + count)
        else:
            self._runs.append((key, count))
        if key is not None and points:
            self._buckets.setdefault(key, _Bucket()).add(points, self._points.capacity)

    def _drop_evicted(self) -> None:
        """Take out of their buckets the points ``DataPoints`` dropped for room."""
        gone = self._points.written - len(self._points) - self._first
        self._first += gone
        while gone:
            key, count = self._runs[0]
            taken = min(gone, count)
            if taken == count:
                self._runs.popleft()
            else:
                self._runs[0] = (key, count - taken)
            gone -= taken
            bucket = self._buckets.get(key) if key is not None else None
            if key is not None and bucket is not None:
                bucket.drop_oldest(taken, self._points.capacity)
                if not bucket.points:
                    del self._buckets[key]
