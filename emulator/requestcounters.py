"""Cumulative counts for Prometheus' counters and summaries, from the request and invalidation
data points.

A counter must never go down between scrapes, yet ``DataPoints`` forgets its oldest points and
the names worth a label of their own change as traffic does. So each scrape reads only the
points written since the last one (``DataPoints.written`` says how many that is) and adds them
to totals kept here, under labels that never move (:class:`emulator.cardinality.StickyLabels`:
the first 16 names of a group, the most requests first, keep their own label for good; later
ones count under ``other``). A scrape that comes after more than ``DataPoints``' capacity of
new points counts only those still kept: the totals fall short then, but never go down.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from operator import attrgetter

from .cardinality import MAX_NAMES, StickyLabels
from .datapoints import DataPoints, latencies
from .requestscan import INVALIDATION, scan

__all__ = ["LABELS_LIMIT", "SERIES_LIMIT", "RequestCounters"]

_LABELS = MAX_NAMES + 1  # a group's own names and OTHER
LABELS_LIMIT = 5 * MAX_NAMES
"""Names with a label of their own, over the five groups (PoP, class, cache, zone,
invalidation kind)."""
SERIES_LIMIT = _LABELS**3 + _LABELS**2 + 5 * _LABELS
"""Counter series at most: requests by (PoP, class, cache), origin requests by (PoP, class),
errors by zone, durations and their sums by PoP, invalidations and their sums by kind."""


class RequestCounters:
    """Every request and invalidation point read so far, counted under bounded labels."""

    def __init__(self) -> None:
        self._read = 0
        self.pops = StickyLabels()
        self.classes = StickyLabels()
        self.caches = StickyLabels()
        self.zones = StickyLabels()
        self.kinds = StickyLabels()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        """By PoP, class and cache outcome."""
        self.origin_requests: Counter[tuple[str, str]] = Counter()
        """By PoP and class."""
        self.errors: Counter[str] = Counter()
        """Responses with status 500 or more, by zone."""
        self.durations: Counter[str] = Counter()
        """Requests with a duration, by PoP (the summary's ``_count``)."""
        self.seconds: defaultdict[str, float] = defaultdict(float)
        """Their durations added up, by PoP (the summary's ``_sum``)."""
        self.invalidations: Counter[str] = Counter()
        """Invalidations recorded, by kind (the latency summary's ``_count``)."""
        self.invalidation_seconds: defaultdict[str, float] = defaultdict(float)
        """Their latencies added up, by kind (its ``_sum``)."""

    def labels(self) -> int:
        """Names admitted to a label of their own (at most ``LABELS_LIMIT``)."""
        groups = (self.pops, self.classes, self.caches, self.zones, self.kinds)
        return sum(len(group) for group in groups)

    def series(self) -> int:
        """Counter series kept (at most ``SERIES_LIMIT``)."""
        counters = (
            self.requests,
            self.origin_requests,
            self.errors,
            self.durations,
            self.seconds,
            self.invalidations,
            self.invalidation_seconds,
        )
        return sum(len(counter) for counter in counters)

    def update(self, datapoints: DataPoints) -> None:
        """Count the points written since the last update."""
        points = datapoints.newer_than(self._read)
        self._read = datapoints.written
        groups = scan(points, -math.inf, math.inf).groups
        for labels, field in (
            (self.pops, "pop"),
            (self.classes, "klass"),
            (self.caches, "cache"),
            (self.zones, "zone"),
        ):
            name = attrgetter(field)
            weights: Counter[str] = Counter()
            for names, tally in groups.items():
                weights[name(names)] += tally.requests
            labels.admit(weights)
        for names, tally in groups.items():
            pop, klass = self.pops(names.pop), self.classes(names.klass)
            self.requests[pop, klass, self.caches(names.cache)] += tally.requests
            self.origin_requests[pop, klass] += int(tally.origin_requests)
            self.errors[self.zones(names.zone)] += tally.errors
            self.durations[pop] += tally.requests
            self.seconds[pop] += sum(tally.durations) / 1000
        found = latencies(points, INVALIDATION)
        self.kinds.admit({kind: len(values) for kind, values in found.items()})
        for kind, values in found.items():
            self.invalidations[self.kinds(kind)] += len(values)
            self.invalidation_seconds[self.kinds(kind)] += math.fsum(
                value for value in values if math.isfinite(value)
            )
