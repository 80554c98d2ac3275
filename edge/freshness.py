"""How long a stored response is fresh, how old it is, and what a lookup may do with it.

RFC 9111 §4.2 as a shared cache, with the content class deciding lifetimes: a class may keep
the origin's explicit lifetime (``honour``), cap it (``cap``) or replace it (``ignore``), and
supplies lifetimes, stale-while-revalidate and stale-if-error (RFC 5861) where the origin gives
none. What the edge knows about an entry travels with it in one field of the stored response
(``Popcache-Stored``), because the Cache API stores nothing but responses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import Enum

from cachecontrol import RequestCaching, ResponseCaching
from routes import ClassPolicy

__all__ = [
    "HEURISTICALLY_CACHEABLE",
    "STORED_FIELD",
    "VALIDATOR_RETENTION",
    "Lifetimes",
    "Lookup",
    "Stored",
    "initial_age",
    "lifetimes",
    "lookup",
]

STORED_FIELD = "popcache-stored"
# RFC 9111 §4.2.2: statuses a cache may give a lifetime the origin did not state.
HEURISTICALLY_CACHEABLE = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
# An entry with a validator stays this long past its staleness allowances, so the next miss
# can revalidate with a conditional request instead of a full one.
VALIDATOR_RETENTION = 3600.0
_JUST_BEFORE = 0.001  # seconds: stale, yet inside any stale-while-revalidate window


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """Seconds an entry is fresh, then may be served stale while revalidating / on error."""

    fresh: float
    swr: float
    sie: float


def lifetimes(policy: ClassPolicy, caching: ResponseCaching, status: int) -> Lifetimes | None:
    """The entry's lifetimes under ``policy``; None when nothing makes it reusable."""
    explicit = caching.lifetime
    if caching.no_cache:
        explicit = 0.0  # RFC 9111 §5.2.2.4: stored, but validated before every reuse
    default = policy.ttl if status in HEURISTICALLY_CACHEABLE else None
    if policy.hints == "ignore" and not caching.no_cache:
        fresh = default
    elif policy.hints == "cap" and explicit is not None and policy.ttl is not None:
        fresh = min(explicit, policy.ttl)
    else:
        fresh = explicit if explicit is not None else default
    if fresh is None:
        return None
    if caching.must_revalidate:
        return Lifetimes(fresh, 0.0, 0.0)  # RFC 9111 §5.2.2.2: never served stale
    swr = caching.swr if caching.swr > 0 and policy.hints != "ignore" else policy.swr
    sie = caching.sie if caching.sie > 0 and policy.hints != "ignore" else policy.sie
    if policy.hints == "cap":
        swr, sie = min(swr, policy.swr), min(sie, policy.sie)
    return Lifetimes(max(fresh, 0.0) * policy.stretch, swr, sie)  # stretch: back-pressure


def initial_age(
    *, age: int, date: float | None, request_time: float, response_time: float
) -> float:
    """``corrected_initial_age`` of RFC 9111 §4.2.3."""
    apparent = max(0.0, response_time - date) if date is not None else 0.0
    corrected = age + (response_time - request_time)
    return max(apparent, corrected)


@dataclass(frozen=True, slots=True)
class Stored:
    """What the edge keeps beside a stored response."""

    response_time: float
    initial_age: float
    fresh: float
    swr: float
    sie: float
    content_class: str
    rule: str
    tags: tuple[str, ...]
    cache_control: str | None  # the origin's own, for browsers when the class sets none

    def age(self, now: float) -> float:
        """``current_age`` (RFC 9111 §4.2.3)."""
        return self.initial_age + max(0.0, now - self.response_time)

    def ttl(self, now: float) -> float:
        """Seconds of freshness left; negative once stale."""
        return self.fresh - self.age(now)

    def invalidated(self, now: float) -> Stored:
        """The record as a soft purge leaves it: stale from just before ``now``, so
        stale-while-revalidate and stale-if-error count from the purge, as Cloudflare's
        invalidation has them, and an entry without them is revalidated first."""
        return replace(self, fresh=min(self.fresh, self.age(now) - _JUST_BEFORE))

    def may_serve_on_error(self, now: float) -> bool:
        """Within stale-if-error (RFC 5861 §4)."""
        return -self.ttl(now) <= self.sie

    def retention(self, now: float, has_validator: bool) -> float:
        """How long the Cache API should keep the entry (its storage TTL)."""
        keep = self.fresh + max(self.swr, self.sie)
        if has_validator:
            keep += VALIDATOR_RETENTION
        return keep - self.age(now)

    def encode(self) -> str:
        # Spelt out: dataclasses.asdict deep-copies every field, a tenth of a cold request.
        record = {
            "response_time": self.response_time,
            "initial_age": self.initial_age,
            "fresh": self.fresh,
            "swr": self.swr,
            "sie": self.sie,
            "content_class": self.content_class,
            "rule": self.rule,
            "tags": self.tags,
            "cache_control": self.cache_control,
        }
        return json.dumps(record, separators=(",", ":"))

    @staticmethod
    def decode(value: str | None) -> Stored | None:
        """The record, or None when absent or damaged (a damaged entry is a miss)."""
        try:
            fields = json.loads(value or "")
            fields["tags"] = tuple(fields["tags"])
            stored = Stored(**fields)
        except (ValueError, TypeError, KeyError):
            return None
        numbers = (stored.response_time, stored.initial_age, stored.fresh, stored.swr, stored.sie)
        if not all(isinstance(number, int | float) for number in numbers):
            return None
        return stored


class Lookup(Enum):
    """What a lookup may do with a stored response (RFC 9111 §4.2, §4.3; RFC 5861 §3)."""

    FRESH = "fresh"
    STALE_WHILE_REVALIDATE = "stale-while-revalidate"
    REVALIDATE = "revalidate"


def lookup(stored: Stored, now: float, request: RequestCaching) -> Lookup:
    """Reuse ``stored`` as is, serve it stale while refreshing, or validate it first."""
    age, ttl = stored.age(now), stored.ttl(now)
    if request.no_cache or (request.max_age is not None and age > request.max_age):
        return Lookup.REVALIDATE  # RFC 9111 §5.2.1.4, §5.2.1.1
    if request.min_fresh is not None and ttl < request.min_fresh:
        return Lookup.REVALIDATE  # RFC 9111 §5.2.1.3
    if ttl > 0:
        return Lookup.FRESH
    if -ttl <= stored.swr:
        return Lookup.STALE_WHILE_REVALIDATE
    return Lookup.REVALIDATE
