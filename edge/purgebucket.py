"""Cloudflare's purge rate limit, kept before calling rather than learnt from a 429.

Purge requests are limited per account, by plan, as a token bucket: a request takes a token,
the bucket holds at most ``bucket`` of them and refills at ``per_second``. Tag, host, prefix,
purge-everything and invalidate requests all draw on it, each holding at most 100 tags
(developers.cloudflare.com/cache/how-to/purge-cache/). The consumer
keeps its own bucket to stay under the limit: a call that would be refused waits instead, so
the account's budget is not spent on 429s that other purgers (a deploy, a person in the
dashboard) would then also meet.

Time is passed in, never read, so the bucket behaves the same under tests and the emulator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["MAX_TAGS_PER_CALL", "PLANS", "PurgeRate", "TokenBucket"]

MAX_TAGS_PER_CALL = 100
"""Tags (operations) in one purge request, on every plan."""

# A token less than this many seconds away counts as here. Unix seconds in a float are exact
# to about 0.24 µs in this century, so after waiting the seconds ``take`` asked for, the time
# passed in may fall a hair short; without the slack the caller would wait once more for it.
_SLACK = 1e-6


@dataclass(frozen=True, slots=True)
class PurgeRate:
    """A purge rate limit: ``per_second`` sustained, bursts of up to ``bucket`` requests."""

    per_second: float
    bucket: int

    def __post_init__(self) -> None:
        if not (0 < self.per_second < math.inf and self.bucket >= 1):
            raise ValueError(f"need 0 < per_second < inf and bucket >= 1, not {self!r}")


PLANS: Mapping[str, PurgeRate] = MappingProxyType(
    {
        "free": PurgeRate(per_second=5 / 60, bucket=25),
        "pro": PurgeRate(per_second=5.0, bucket=25),
        "business": PurgeRate(per_second=10.0, bucket=50),
        "enterprise": PurgeRate(per_second=50.0, bucket=500),
    }
)
"""Each Cloudflare plan's purge rate limit, per account."""


class TokenBucket:
    """One account's purge tokens: full at first, taken one per call, refilled with time.

    A ``now`` earlier than one already seen counts as that one, so a clock stepping back never
    refills the bucket twice for the same time.
    """

    __slots__ = ("_at", "_tokens", "rate")

    def __init__(self, rate: PurgeRate) -> None:
        self.rate = rate
        self._tokens = float(rate.bucket)
        self._at: float | None = None  # the latest time seen; None before the first take

    def take(self, now: float) -> float:
        """0.0, taking a token, if one is available at ``now``; else the seconds until one is,
        taking nothing."""
        self._refill(now)
        wait = (1 - self._tokens) / self.rate.per_second
        if wait <= _SLACK:
            self._tokens = max(0.0, self._tokens - 1)
            return 0.0
        return wait

    def _refill(self, now: float) -> None:
        if self._at is None:
            if math.isfinite(now):
                self._at = now
        elif now > self._at:
            elapsed = now - self._at
            self._tokens = min(
                float(self.rate.bucket), self._tokens + elapsed * self.rate.per_second
            )
            self._at = now
