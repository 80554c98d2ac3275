"""What parts of the points count (:class:`emulator.figures.Counted`), added up and taken away.

:mod:`emulator.figurebuckets` keeps what each 10 s bucket of points counts and adds buckets
up into a window's figures, so it never scans every kept point again. Adding up or taking
away gives what one scan of the points would only for points ``requestscan.splittable`` says
so of: their sums are whole numbers, and in which order their durations come changes no
figure. That is why durations may be kept in order here, for the merges to be cheap.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from typing import TypeVar

from .datapoints import DataPoint
from .figures import Counted, counted
from .requestscan import Tally, combined, scan

__all__ = ["NOTHING", "in_order", "merged", "scanned", "without"]

K = TypeVar("K")

NOTHING = Counted(Tally(), {}, {}, {}, {}, {}, {})


def scanned(
    points: Sequence[DataPoint], since: float = -math.inf, until: float = math.inf
) -> Counted:
    """What those of ``points`` written from ``since`` to ``until`` count, less the zones'
    durations, which no figure reads."""
    found = counted(scan(points, since, until))
    zones = {
        zone: Tally(tally.requests, tally.errors, tally.origin_requests, tally.outcomes)
        for zone, tally in found.zones.items()
    }
    return found._replace(zones=zones)


def _added(tallies: list[Tally]) -> Tally:
    return tallies[0] if len(tallies) == 1 else combined(tallies)


def _named(parts: Sequence[dict[K, Tally]]) -> dict[K, Tally]:
    tallies: dict[K, list[Tally]] = {}
    for part in parts:
        for name, tally in part.items():
            tallies.setdefault(name, []).append(tally)
    return {name: _added(found) for name, found in tallies.items()}


def merged(parts: Sequence[Counted]) -> Counted:
    """What points written one part after another (or buckets, oldest first) count."""
    invalidations: dict[int, list[float]] = {}
    pressure: dict[str, float] = {}
    for part in parts:
        for bucket, values in part.invalidations.items():
            invalidations.setdefault(bucket, []).extend(values)
        pressure.update(part.pressure)  # a later part holds the later points
    return Counted(
        _added([part.total for part in parts]) if parts else Tally(),
        _named([part.pops for part in parts]),
        _named([part.classes for part in parts]),
        _named([part.zones for part in parts]),
        _named([part.buckets for part in parts]),
        invalidations,
        pressure,
    )


def in_order(found: Counted) -> Counted:
    """``found`` with its durations in order, in place: a window's sort of its buckets'
    durations then merges runs (Timsort does), and ``without`` finds the values to take
    away by bisection."""
    for names in (found.pops, found.classes, found.zones, found.buckets):
        for tally in names.values():
            tally.durations.sort()
    found.total.durations.sort()
    return found


def _removed(values: list[float], gone: list[float]) -> list[float]:
    """``values`` (in order) less one of each of ``gone``: slices copied between them."""
    kept: list[float] = []
    start = 0
    for value in sorted(gone):
        at = bisect_left(values, value, start)
        kept += values[start:at]
        start = at + 1
    kept += values[start:]
    return kept


def _less(tally: Tally, gone: Tally) -> Tally:
    """``tally`` (durations in order) less the requests of ``gone``, which it counts."""
    durations = _removed(tally.durations, gone.durations)
    outcomes = {
        name: count - gone.outcomes.get(name, 0)
        for name, count in tally.outcomes.items()
        if count > gone.outcomes.get(name, 0)
    }
    return Tally(
        tally.requests - gone.requests,
        tally.errors - gone.errors,
        tally.origin_requests - gone.origin_requests,
        outcomes,
        durations,
    )


def _named_less(found: dict[K, Tally], gone: dict[K, Tally]) -> dict[K, Tally]:
    """A name none of whose requests are left is no longer there, as in a scan."""
    kept = dict(found)
    for name, tally in gone.items():
        left = _less(kept[name], tally)
        if left.requests:
            kept[name] = left
        else:
            del kept[name]
    return kept


def without(found: Counted, gone: Counted) -> Counted:
    """``found`` (``in_order``) less its oldest points (or buckets), which count ``gone``: a
    PoP's latest point is among them only if all its points are."""
    invalidations = dict(found.invalidations)
    for bucket, values in gone.invalidations.items():
        left = [] if len(values) == len(invalidations[bucket]) else list(invalidations[bucket])
        for value in values if left else ():
            left.remove(value)
        if left:
            invalidations[bucket] = left
        else:
            del invalidations[bucket]
    pops = _named_less(found.pops, gone.pops)
    return Counted(
        _less(found.total, gone.total),
        pops,
        _named_less(found.classes, gone.classes),
        _named_less(found.zones, gone.zones),
        _named_less(found.buckets, gone.buckets),
        invalidations,
        {pop: step for pop, step in found.pressure.items() if pop in pops},
    )
