"""The request and invalidation data points (docs/observability.md), read as a worker wrote them.

Any Worker can write any point to its dataset, so reading never trusts the layout: a short
point is padded (``""`` blobs, ``0`` doubles), a name that is not a string becomes one, a
number that is not a finite number counts as 0, and a point that cannot be read at all (an
unhashable blob) is skipped. Nothing here raises on what a worker wrote.

The figures read up to ``DataPoints``' 100,000 points per request for them, so the loop over
points does as little as it can: it groups points alike in every blob, and the per-point sums
run as comprehensions over each group.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from .datapoints import DataPoint

__all__ = [
    "BUCKET_SECONDS",
    "OUTCOMES",
    "REQUEST",
    "RequestFields",
    "RequestNames",
    "Scan",
    "Tally",
    "bucket_of",
    "combined",
    "request_fields",
    "scan",
    "splittable",
]

REQUEST = "request"
INVALIDATION = "invalidation"
BUCKET_SECONDS = 10
OUTCOMES = ("hit", "stale", "collapsed", "miss", "placeholder", "bypass", "error")
"""The cache outcomes of blob 5; another value counts as a request under none of them."""
_BLOBS = 6
_DOUBLES = 7
_LARGEST = 1e15
"""Past any real status, size, count or duration: a larger number counts as 0, so no sum of
100,000 of them overflows."""
_STATUS, _ORIGIN_STATUS, _ORIGIN_MS, _BYTES, _DURATION_MS, _PRESSURE, _ORIGIN_REQUESTS = range(7)


class RequestNames(NamedTuple):
    """What a request point is counted under."""

    pop: str
    zone: str
    klass: str
    cache: str


class RequestFields(NamedTuple):
    """One request point, every field readable."""

    pop: str
    zone: str
    klass: str
    cache: str
    method: str
    status: float
    origin_status: float
    origin_ms: float
    bytes: float
    duration_ms: float
    backpressure: float


@dataclass(slots=True)
class Tally:
    """Requests counted together."""

    requests: int = 0
    errors: int = 0
    """Responses with status 500 or more."""
    origin_requests: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)
    durations: list[float] = field(default_factory=list)
    """Milliseconds from request to response, one per request."""


def combined(tallies: Iterable[Tally]) -> Tally:
    """The tallies as one (none of them is changed)."""
    total = Tally()
    outcomes: Counter[str] = Counter()
    for tally in tallies:
        total.requests += tally.requests
        total.errors += tally.errors
        total.origin_requests += tally.origin_requests
        outcomes.update(tally.outcomes)
        total.durations += tally.durations
    total.outcomes = dict(outcomes)
    return total


@dataclass(frozen=True, slots=True)
class Scan:
    """What the points between two times hold."""

    groups: dict[RequestNames, Tally]
    buckets: dict[int, Tally]
    """Every request by ``bucket_of`` its time."""
    invalidations: dict[int, list[float]]
    """Milliseconds from an event accepted to its purge applied, by ``bucket_of`` its time."""
    pressure: dict[str, float]
    """The back-pressure step in each PoP's latest point."""


def bucket_of(timestamp: float) -> int:
    """The 10 s bucket of a time: it starts at ``bucket * BUCKET_SECONDS``."""
    return int(timestamp // BUCKET_SECONDS)


def _name(value: object) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else str(value)


def _number(value: object) -> float:
    if isinstance(value, int | float) and -_LARGEST <= value <= _LARGEST:
        return float(value)
    return 0.0


def _numbers(row: Sequence[object]) -> tuple[float, ...]:
    return tuple(_number(value) for value in row)


def _padded(point: DataPoint) -> DataPoint:
    """``point`` with every blob and double of a request point, missing ones defaulted."""
    blobs, doubles = tuple(point.blobs), tuple(point.doubles)
    return replace(
        point,
        blobs=blobs + ("",) * (_BLOBS - len(blobs)),
        doubles=doubles + (0.0,) * (_DOUBLES - len(doubles)),
    )


def _tally(rows: Sequence[Sequence[float]], outcomes: dict[str, int]) -> Tally:
    """The tally of requests whose doubles are ``rows``."""
    try:
        return _checked(rows, outcomes)
    except (TypeError, ValueError):  # rarely: a double that is no number, or no finite one
        return _checked([_numbers(row) for row in rows], outcomes)


def _checked(rows: Sequence[Sequence[float]], outcomes: dict[str, int]) -> Tally:
    durations = [row[_DURATION_MS] for row in rows]
    origin = sum([row[_ORIGIN_REQUESTS] for row in rows])
    if not math.isfinite(sum(durations) + origin):  # a TypeError if one is no number
        raise ValueError("a double is not finite")
    errors = len([None for row in rows if row[_STATUS] >= 500])
    return Tally(len(rows), errors, float(origin), outcomes, durations)


def scan(points: Sequence[DataPoint], since: float, until: float) -> Scan:
    """The request and invalidation points written from ``since`` to ``until``."""
    alike: dict[tuple[str | None, ...], list[tuple[float, ...]]] = {}
    timeline: dict[int, list[DataPoint]] = {}
    invalidations: list[DataPoint] = []
    start = end = 0.0
    current: list[DataPoint] = []
    for point in points:
        try:
            timestamp = point.timestamp
            if not since <= timestamp <= until:
                continue
            blobs = point.blobs
            kind = blobs[0] if blobs else None
            if kind == REQUEST:
                if len(blobs) < _BLOBS or len(point.doubles) < _DOUBLES:
                    point = _padded(point)
                    blobs = point.blobs
                rows = alike.get(blobs)
                if rows is None:
                    alike[blobs] = rows = []
                rows.append(point.doubles)
                if not start <= timestamp < end:  # points come in time order: rarely true
                    bucket = bucket_of(timestamp)
                    start, end = bucket * BUCKET_SECONDS, (bucket + 1) * BUCKET_SECONDS
                    current = timeline.setdefault(bucket, [])
                current.append(point)
            elif kind == INVALIDATION:
                invalidations.append(point)
        except TypeError:  # an unhashable blob, a time that is no number
            continue
    groups = _groups(alike)
    return Scan(
        groups,
        {bucket: _bucket(points) for bucket, points in timeline.items()},
        _invalidations(invalidations),
        _pressure(timeline, {names.pop for names in groups}),
    )


def _groups(
    alike: dict[tuple[str | None, ...], list[tuple[float, ...]]],
) -> dict[RequestNames, Tally]:
    groups: dict[RequestNames, list[Tally]] = {}
    for blobs, rows in alike.items():
        names = RequestNames(_name(blobs[1]), _name(blobs[2]), _name(blobs[3]), _name(blobs[4]))
        groups.setdefault(names, []).append(_tally(rows, {names.cache: len(rows)}))
    # Blobs apart only in ways names do not keep (None and "", the method) count together.
    return {
        names: tallies[0] if len(tallies) == 1 else combined(tallies)
        for names, tallies in groups.items()
    }


def _bucket(points: list[DataPoint]) -> Tally:
    outcomes = Counter([point.blobs[4] for point in points])
    named = {name: count for name, count in outcomes.items() if isinstance(name, str)}
    return _tally([point.doubles for point in points], named)


def _invalidations(points: list[DataPoint]) -> dict[int, list[float]]:
    found: dict[int, list[float]] = {}
    for point in points:
        if point.doubles:
            milliseconds = _number(point.doubles[0]) * 1000
            found.setdefault(bucket_of(point.timestamp), []).append(milliseconds)
    return found


def _pressure(timeline: dict[int, list[DataPoint]], pops: set[str]) -> dict[str, float]:
    """Each PoP's step in its latest point, reading back from the newest."""
    latest: dict[str, float] = {}
    for bucket in sorted(timeline, reverse=True):
        for point in reversed(timeline[bucket]):
            pop = _name(point.blobs[1])
            if pop not in latest:
                latest[pop] = _number(point.doubles[_PRESSURE])
                if len(latest) == len(pops):
                    return latest
    return latest


def splittable(point: DataPoint, most: int) -> bool:
    """Whether ``point`` counts the same in any split of ``most`` points into scans: then
    figures can add up scans of parts (:mod:`emulator.figurebuckets`) and match one scan.

    A request point is if its status, duration and origin count read alike on ``_tally``'s
    fast and careful paths (so no other point of its group changes how it reads), its
    duration is a float (an int would show as ``5``, not ``5.0``) and not negative (-0.0
    sorts level with 0.0 but shows apart), and its origin count is whole and small enough
    that ``most`` of them add up exactly in any order. An invalidation point is unless its
    milliseconds are negative. A point no scan counts is.
    """
    try:
        kind = point.blobs[0] if point.blobs else None
        if kind == INVALIDATION:
            return not point.doubles or math.copysign(1.0, _number(point.doubles[0])) > 0
        if kind != REQUEST:
            return True
        if len(point.blobs) < _BLOBS or len(point.doubles) < _DOUBLES:
            point = _padded(point)
        hash(point.blobs)
    except TypeError:  # skipped by every scan
        return True
    doubles = point.doubles
    status, duration, origin = doubles[_STATUS], doubles[_DURATION_MS], doubles[_ORIGIN_REQUESTS]
    return (
        _number(status) == status
        and type(duration) is float
        and _number(duration) == duration
        and math.copysign(1.0, duration) > 0
        and _number(origin) == origin
        and abs(origin) <= 2**53 // max(most, 1)
        and origin == int(origin)
    )


def request_fields(point: DataPoint) -> RequestFields | None:
    """``point`` as a request point's fields; None if it is no request point."""
    try:
        if not point.blobs or point.blobs[0] != REQUEST:
            return None
        if len(point.blobs) < _BLOBS or len(point.doubles) < _DOUBLES:
            point = _padded(point)
    except TypeError:
        return None
    blobs, doubles = point.blobs, _numbers(point.doubles)
    return RequestFields(
        _name(blobs[1]),
        _name(blobs[2]),
        _name(blobs[3]),
        _name(blobs[4]),
        _name(blobs[5]),
        doubles[_STATUS],
        doubles[_ORIGIN_STATUS],
        doubles[_ORIGIN_MS],
        doubles[_BYTES],
        doubles[_DURATION_MS],
        doubles[_PRESSURE],
    )
