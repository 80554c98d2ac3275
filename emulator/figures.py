"""The stats snapshot of ``GET /cdn-cgi/popcache/stats`` (docs/observability.md), from data points.

Pure: the points, the time and the window in, a JSON-ready dict out, so the dashboard, the
``popcache stats`` table and the tests all see the same figures. Every name that comes from a
request (PoP, class, zone) is bounded by :mod:`emulator.cardinality` on the window's requests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from .cardinality import labeller, relabel
from .datapoints import DataPoint, quantiles
from .requestscan import BUCKET_SECONDS, OUTCOMES, Scan, Tally, bucket_of, combined, scan

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_WINDOW",
    "Counted",
    "counted",
    "figures",
    "snapshot",
    "summary",
]

DEFAULT_WINDOW = 600
MAX_WINDOW = 3600
_SERVED = ("hit", "stale", "collapsed")
_QUANTILES = (0.5, 0.99)


def _finite(value: float) -> float:
    """JSON has no NaN or infinity: a worker's wild number shows as 0."""
    return round(value, 3) if math.isfinite(value) else 0.0


def summary(tally: Tally) -> dict[str, Any]:
    """The figures of ``total``, a PoP or a class."""
    requests = tally.requests
    origin = int(_finite(tally.origin_requests))
    p50, p99 = quantiles(tally.durations, _QUANTILES)
    return {
        "requests": requests,
        **{outcome: tally.outcomes.get(outcome, 0) for outcome in OUTCOMES},
        "errors": tally.errors,
        "origin_requests": origin,
        "hit_ratio": _ratio(sum(tally.outcomes.get(name, 0) for name in _SERVED), requests),
        "offload": 1.0 - _ratio(origin, requests) if requests else 0.0,
        "p50_ms": _finite(p50),
        "p99_ms": _finite(p99),
    }


def _ratio(part: float, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _capped(named: dict[str, Tally]) -> dict[str, Tally]:
    """``named`` bounded: the heaviest names and ``OTHER``."""
    return relabel(named, labeller({key: tally.requests for key, tally in named.items()}), combined)


class Counted(NamedTuple):
    """What a window's points add up to: a scan's groups added up by each of their names, the
    only way the figures read them (and so what the buckets of :mod:`emulator.figurebuckets`
    keep: far fewer tallies than groups)."""

    total: Tally
    pops: dict[str, Tally]
    classes: dict[str, Tally]
    zones: dict[str, Tally]
    buckets: dict[int, Tally]
    invalidations: dict[int, list[float]]
    pressure: dict[str, float]


def counted(found: Scan) -> Counted:
    """What ``found`` adds up to."""
    groups = found.groups
    return Counted(
        combined(groups.values()),
        relabel(groups, lambda names: names.pop, combined),
        relabel(groups, lambda names: names.klass, combined),
        relabel(groups, lambda names: names.zone, combined),
        found.buckets,
        found.invalidations,
        found.pressure,
    )


def figures(points: Sequence[DataPoint], now: float, window: int) -> dict[str, Any]:
    """The figures of the points written in the ``window`` seconds up to ``now``."""
    return snapshot(counted(scan(points, now - window, now)), now, window)


def snapshot(found: Counted, now: float, window: int) -> dict[str, Any]:
    """The figures of ``found``, what the points of the ``window`` seconds up to ``now`` add
    up to (from one scan of them, or from the buckets of :mod:`emulator.figurebuckets`)."""
    since = now - window
    pops = _capped(found.pops)
    pop_label = labeller({pop: tally.requests for pop, tally in pops.items()})
    pressure = relabel(found.pressure, pop_label, max)
    invalidations = [ms for values in found.invalidations.values() for ms in values]
    p50, p99 = quantiles(invalidations, _QUANTILES)
    return {
        "at": now,
        "window": window,
        "total": summary(found.total),
        "pops": {
            pop: {**summary(tally), "backpressure": int(_finite(pressure.get(pop, 0.0)))}
            for pop, tally in sorted(pops.items())
        },
        "classes": {
            klass: summary(tally) for klass, tally in sorted(_capped(found.classes).items())
        },
        "zones": {
            zone: {
                "requests": tally.requests,
                "errors": tally.errors,
                "error_rate": _ratio(tally.errors, tally.requests),
            }
            for zone, tally in sorted(_capped(found.zones).items())
        },
        "invalidation": {
            "count": len(invalidations),
            "p50_ms": _finite(p50),
            "p99_ms": _finite(p99),
        },
        "series": [
            _moment(bucket, found.buckets.get(bucket, Tally()), found.invalidations.get(bucket))
            for bucket in range(bucket_of(since), bucket_of(now) + 1)
        ],
    }


def _moment(bucket: int, tally: Tally, invalidations: list[float] | None) -> dict[str, Any]:
    """One entry of ``series``: the 10 s from ``t``."""
    figures = summary(tally)
    return {
        "t": float(bucket * BUCKET_SECONDS),
        **{
            name: figures[name]
            for name in ("requests", *_SERVED, "origin_requests", "errors", "p99_ms")
        },
        "invalidation_p99_ms": _finite(quantiles(invalidations or [], (0.99,))[0]),
    }
