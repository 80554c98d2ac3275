"""The purge API's rate limits: Cloudflare's token buckets per plan, on the injected clock.

Cloudflare limits purges per account with token buckets: "requests are only allowed if there
are available tokens in the bucket. Tokens refill at a consistent rate, but each bucket has a
maximum capacity" (https://developers.cloudflare.com/cache/how-to/purge-cache/#availability-and-limits).
Two buckets, both drawn from by ``purge_cache`` and ``invalidate_cache`` alike ("Purge and
invalidation requests draw from the same limits",
https://developers.cloudflare.com/cache/guides/invalidate-cache/):

- hostname, tag, prefix and purge-everything requests: one token a request;
  Free 5 a minute (bucket 25), Pro 5 a second (25), Business 10 a second (50), Enterprise 50 a
  second (500);
- single-file (URL) purges: one token a URL; Free 800 URLs a second, Pro and Business 1500,
  Enterprise 3000. Cloudflare computes these "using a moving average"; here they are a bucket
  holding one second's worth.

At most 100 items a request on every plan, 500 files on Enterprise. The ``none`` plan is the
emulator's own: no rate limit (tests that purge in a loop), Enterprise's per-request maxima.
A bucket starts full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .clock import Clock

__all__ = ["PURGE_PLANS", "PurgeLimiter", "PurgePlan", "TokenBucket", "Verdict"]


@dataclass(frozen=True, slots=True)
class PurgePlan:
    """One plan's purge limits; a rate of None means no limit."""

    name: str
    requests_per_second: float | None
    """Refill of the tag/host/prefix/everything bucket, requests a second."""
    request_bucket: int
    """Its capacity, in requests."""
    urls_per_second: float | None
    """Refill and capacity (one second's worth) of the single-file bucket, in URLs."""
    max_items: int = 100
    """Tags, hosts or prefixes in one request."""
    max_files: int = 100
    """URLs in one request."""


PURGE_PLANS: dict[str, PurgePlan] = {
    "free": PurgePlan("free", 5 / 60, 25, 800),
    "pro": PurgePlan("pro", 5, 25, 1500),
    "business": PurgePlan("business", 10, 50, 1500),
    "enterprise": PurgePlan("enterprise", 50, 500, 3000, max_files=500),
    "none": PurgePlan("none", None, 0, None, max_files=500),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a bucket said to one request, and the numbers for ``Ratelimit`` headers."""

    allowed: bool
    retry_after: int
    """Whole seconds (at least 1) until the request would be allowed; 0 when it was."""
    capacity: int
    remaining: int
    """Whole tokens left after this request."""
    full_in: int
    """Whole seconds until the bucket is full again."""
    window: int
    """Whole seconds an empty bucket takes to fill."""
    policy: str
    """Which bucket: ``"purge"`` (tags, hosts, prefixes, everything) or ``"purge-files"``."""


class TokenBucket:
    """``capacity`` tokens refilled at ``rate`` a second, on ``clock``; starts full."""

    def __init__(self, capacity: float, rate: float, clock: Clock) -> None:
        if capacity <= 0 or rate <= 0:
            raise ValueError("a token bucket needs a positive capacity and rate")
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._tokens = float(capacity)
        self._at = clock.now()

    def tokens(self) -> float:
        """Tokens in the bucket now."""
        now = self._clock.now()
        if now > self._at:
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
        return self._tokens

    def take(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens and return 0.0, or take none and return the seconds until
        there would be enough (infinite for a cost larger than the bucket)."""
        tokens = self.tokens()
        if cost <= tokens:
            self._tokens = tokens - cost
            return 0.0
        if cost > self.capacity:
            return math.inf
        return (cost - tokens) / self.rate

    def full_in(self) -> float:
        """Seconds until the bucket is full again."""
        return (self.capacity - self.tokens()) / self.rate


class PurgeLimiter:
    """The account's two purge buckets for one plan."""

    def __init__(self, plan: PurgePlan, clock: Clock) -> None:
        self.plan = plan
        self._requests = (
            TokenBucket(plan.request_bucket, plan.requests_per_second, clock)
            if plan.requests_per_second is not None
            else None
        )
        self._files = (
            TokenBucket(plan.urls_per_second, plan.urls_per_second, clock)
            if plan.urls_per_second is not None
            else None
        )

    def take(self, files: int = 0) -> Verdict | None:
        """Charge one request: ``files`` URLs from the single-file bucket, or (``files`` 0) one
        token from the request bucket. None when the plan has no limit."""
        bucket, cost, policy = (
            (self._files, files, "purge-files") if files else (self._requests, 1, "purge")
        )
        if bucket is None:
            return None
        wait = bucket.take(cost)
        return Verdict(
            allowed=wait == 0,
            retry_after=0 if wait == 0 else _whole_seconds(wait),
            capacity=int(bucket.capacity),
            remaining=int(bucket.tokens()),
            full_in=math.ceil(bucket.full_in()),
            window=math.ceil(bucket.capacity / bucket.rate),
            policy=policy,
        )


def _whole_seconds(seconds: float) -> int:
    """Seconds rounded up, at least 1 (``Retry-After`` is whole seconds: RFC 9110 §10.2.3)."""
    if math.isinf(seconds):
        return 86_400
    return max(1, math.ceil(seconds - 1e-9))
