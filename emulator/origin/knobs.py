"""Latency and failure knobs: the settings, their validator, and the per-request decision.

Everything here is pure: :func:`parse_knobs` turns a JSON value into :class:`Knobs` or raises
a 400 :class:`ProblemError` naming the field, and :func:`decide` draws from the ``random.Random``
it is given, so a seeded generator replays the same delays and failures.

Knobs never touch ``/_admin/`` paths, so a misbehaving origin can always be repaired.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, fields

from emulator.errors import ProblemError

__all__ = [
    "ADMIN_PREFIX",
    "FAIL_STATUSES",
    "RETRY_AFTER_STATUSES",
    "Decision",
    "Knobs",
    "applies",
    "decide",
    "parse_knobs",
]

ADMIN_PREFIX = "/_admin"
FAIL_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})  # RFC 9110 §10.2.3, RFC 6585 §4
MAX_DELAY_MS = 60_000
MAX_RETRY_AFTER = 86_400
MAX_PATHS = 32


@dataclass(frozen=True)
class Knobs:
    """How the origin misbehaves; the defaults make it behave."""

    latency_ms: int = 0  # added to every matching response
    jitter_ms: int = 0  # plus a uniform extra in [0, jitter_ms]
    fail_rate: float = 0.0  # chance in [0, 1] that a matching request fails
    fail_status: int = 503  # one of FAIL_STATUSES
    retry_after: int = 1  # seconds, sent as Retry-After with 429 and 503
    paths: tuple[str, ...] = ()  # path prefixes the knobs apply to; empty = every path

    def to_json(self) -> dict[str, object]:
        return {
            f.name: list(self.paths) if f.name == "paths" else getattr(self, f.name)
            for f in fields(self)
        }


@dataclass(frozen=True)
class Decision:
    """What to do to one request: wait ``delay_ms``, then fail with ``fail_status`` if set."""

    delay_ms: float = 0.0
    fail_status: int | None = None
    retry_after: int | None = None


def applies(knobs: Knobs, path: str) -> bool:
    """Whether the knobs reach this path: never admin, else any prefix by whole segments."""
    if _under(path, ADMIN_PREFIX):
        return False
    return not knobs.paths or any(_under(path, prefix) for prefix in knobs.paths)


def _under(path: str, prefix: str) -> bool:
    base = prefix.rstrip("/")
    return path == base or path.startswith(base + "/")


def decide(knobs: Knobs, path: str, rng: random.Random) -> Decision:
    """The delay and failure for one request. Draws from ``rng`` only for jitter and fail rate."""
    if not applies(knobs, path):
        return Decision()
    delay = float(knobs.latency_ms)
    if knobs.jitter_ms:
        delay += rng.uniform(0, knobs.jitter_ms)
    if knobs.fail_rate and rng.random() < knobs.fail_rate:
        retry = knobs.retry_after if knobs.fail_status in RETRY_AFTER_STATUSES else None
        return Decision(delay, knobs.fail_status, retry)
    return Decision(delay)


def parse_knobs(data: object) -> Knobs:
    """Knobs from a decoded JSON body; absent fields take their defaults (PUT replaces all)."""
    if not isinstance(data, Mapping):
        raise _bad("body", "the body must be a JSON object")
    known = {f.name for f in fields(Knobs)}
    for key in data:
        if key not in known:
            raise _bad(str(key), f"unknown knob; known knobs are {', '.join(sorted(known))}")
    defaults = Knobs()
    return Knobs(
        latency_ms=_int(data, "latency_ms", defaults.latency_ms, 0, MAX_DELAY_MS),
        jitter_ms=_int(data, "jitter_ms", defaults.jitter_ms, 0, MAX_DELAY_MS),
        fail_rate=_rate(data, "fail_rate"),
        fail_status=_status(data, "fail_status", defaults.fail_status),
        retry_after=_int(data, "retry_after", defaults.retry_after, 0, MAX_RETRY_AFTER),
        paths=_paths(data),
    )


def _bad(field: str, detail: str) -> ProblemError:
    return ProblemError(400, "Invalid knobs", detail, field=field)


def _int(data: Mapping[str, object], name: str, default: int, lo: int, hi: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, f"must be an integer from {lo} to {hi}")
    if not lo <= value <= hi:
        raise _bad(name, f"must be from {lo} to {hi}, got {value}")
    return value


def _status(data: Mapping[str, object], name: str, default: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value not in FAIL_STATUSES:
        raise _bad(name, f"must be one of {', '.join(map(str, sorted(FAIL_STATUSES)))}")
    return value


def _rate(data: Mapping[str, object], name: str) -> float:
    value = data.get(name, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(name, "must be a number from 0 to 1")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise _bad(name, f"must be from 0 to 1, got {value}")
    return float(value)


def _paths(data: Mapping[str, object]) -> tuple[str, ...]:
    value = data.get("paths", [])
    if not isinstance(value, list) or len(value) > MAX_PATHS:
        raise _bad("paths", f"must be a list of at most {MAX_PATHS} path prefixes")
    for prefix in value:
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            raise _bad("paths", f"each prefix must be a string starting with '/', got {prefix!r}")
    return tuple(value)
