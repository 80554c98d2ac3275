"""How healthy the origin looks from this PoP, and how hard the edge should back off.

Every origin exchange is one observation: its latency and its status, or ``None`` when no
response came (timeout, refused, reset). From these the PoP keeps time-decayed averages of the
latency, of the share of exchanges that failed (5xx or no response) and of the share the
origin throttled (429), and the time until which a Retry-After asked it to hold off. The
back-pressure step, 0 to ``max_step``, climbs while the origin looks unhealthy and falls once
it has looked healthy for a while; callers scale lifetimes and intervals by ``2 ** step``.

Averages: an observation weighs 1 when made and half as much every ``half_life`` seconds; an
average is the weighted sum over the total weight, a total under 1 being topped up with
healthy (zero) weight. Steady traffic thus gives a true moving average, while once traffic
stops the evidence fades and the averages fall to 0 by the half-life: an origin nobody asks is
presumed to recover, since back-pressure itself thins the traffic that would show it has.

Hysteresis, so one slow response never moves the step: it climbs one step only when the origin
is unhealthy (an average above its threshold, or a Retry-After running), has been at each of
the last ``min_samples`` observations since the last change, and ``dwell`` seconds have passed
since that change. It falls one step only after ``cool_down`` seconds of health by stricter
thresholds (every average at most half its threshold, no Retry-After running) since the later
of the last change and the start of the health. Between the two sets of thresholds nothing
moves, and the cool-down starts over. The step reads the latency average with each latency
counted at most ``2 * slow``, so that one response, however slow, cannot outweigh the rest:
amid responses under ``slow / 2`` it keeps the average above ``slow`` for two of them at most.

No clock is read. Changes fall due at exact times (a dwell or a cool-down ending), and each is
applied as of that time when a later ``now`` is first seen, so the step is the same however
often it is asked. A ``now`` earlier than one already seen counts as that one.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from cachecontrol import delta_seconds, parse_http_date

__all__ = ["HealthSnapshot", "KeyGate", "OriginHealth", "parse_retry_after"]

# A latency is counted at most this long: longer says nothing more, and the sums stay finite.
_LONGEST_LATENCY = 3600.0
# Longer than any HTTP-date (RFC 9110 §5.6.7), comments and spare whitespace included: a
# longer field is garbage and is not handed to the date parser.
_LONGEST_DATE = 64


def parse_retry_after(value: str | None, now: float, *, cap: float) -> float | None:
    """Seconds from ``now`` a Retry-After field (RFC 9110 §10.2.3) asks to wait, in [0, cap].

    The field is delay-seconds (any number of digits; no sign, no fraction) or an HTTP-date,
    read by ``cachecontrol.parse_http_date``; a date already past means 0. ``None`` when the
    field is absent or is neither.
    """
    if not cap >= 0:
        raise ValueError(f"cap must be >= 0, not {cap!r}")
    text = (value or "").strip(" \t")
    seconds = delta_seconds(text)  # safe on any length: capped before int()
    if seconds is not None:
        return float(min(seconds, cap))
    date = parse_http_date(text) if len(text) <= _LONGEST_DATE else None
    if date is None:
        return None
    return max(0.0, min(date - now, cap))


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """The origin's health at one moment, for metrics and Cache-Status."""

    latency_ewma: float  # seconds, as measured (the step reads it capped: see the module)
    error_rate: float  # 0..1: 5xx or no response
    throttle_rate: float  # 0..1: 429
    retry_until: float | None  # when the origin's Retry-After ends; None if not in the future
    step: int
    step_since: float | None  # when the step last changed; None if it never has


class OriginHealth:
    """One PoP's view of one origin; see the module docstring for how the step moves."""

    def __init__(
        self,
        *,
        half_life: float = 10.0,  # seconds for an observation's weight to halve
        slow: float = 1.0,  # unhealthy above this average latency, seconds
        max_error_rate: float = 0.2,  # unhealthy above this share of 5xx or no response
        max_throttle_rate: float = 0.1,  # unhealthy above this share of 429
        min_samples: int = 5,  # unhealthy observations in a row before a climb
        dwell: float = 5.0,  # seconds since the last change before a climb
        cool_down: float = 30.0,  # seconds of health before a fall; at least dwell
        max_step: int = 3,
    ) -> None:
        if not (half_life > 0 and slow > 0 and max_error_rate > 0 and max_throttle_rate > 0):
            raise ValueError("half_life, slow and the rate thresholds must be > 0")
        if not (min_samples >= 1 and max_step >= 0 and 0 < dwell <= cool_down < math.inf):
            raise ValueError("need min_samples >= 1, max_step >= 0, 0 < dwell <= cool_down")
        self.half_life, self.slow, self.min_samples = half_life, slow, min_samples
        self.max_error_rate, self.max_throttle_rate = max_error_rate, max_throttle_rate
        self.dwell, self.cool_down, self.max_step = dwell, cool_down, max_step
        self._at = -math.inf  # the last observation's time, which the sums below are as of
        self._weight = self._latency = self._capped = self._errors = self._throttles = 0.0
        self._retry_until = -math.inf
        self._healthy_from = -math.inf  # healthy from then to the next observation (or inf)
        self._seen = -math.inf  # the latest time passed in; changes due by then are applied
        self._step, self._changed_at = 0, -math.inf
        self._run = 0  # observations in a row since the last change that found it unhealthy

    def observe(
        self, now: float, *, latency: float, status: int | None, retry_after: float | None
    ) -> None:
        """Record one origin exchange: ``status`` ``None`` when no response came, and
        ``retry_after`` the seconds a Retry-After asked for (see ``parse_retry_after``)."""
        now = self._advance(now)
        decay = math.exp2((self._at - now) / self.half_life)
        self._at = now
        self._weight = self._weight * decay + 1.0
        # max() first keeps a NaN latency out, as 0.
        latency = min(max(0.0, latency), _LONGEST_LATENCY)
        self._latency = self._latency * decay + latency
        self._capped = self._capped * decay + min(latency, 2 * self.slow)
        self._errors = self._errors * decay + float(status is None or 500 <= status <= 599)
        self._throttles = self._throttles * decay + float(status == 429)
        if retry_after is not None and 0 < retry_after < math.inf:
            self._retry_until = max(self._retry_until, now + retry_after)
        healthy_from = self._healthy_time()
        if not (self._healthy_from <= now and healthy_from <= now):  # else health goes on
            self._healthy_from = healthy_from
        self._run = self._run + 1 if self._unhealthy(now) else 0
        if self._may_climb(now):
            self._change(+1, now)

    def step(self, now: float) -> int:
        """The back-pressure step, 0 to ``max_step``."""
        self._advance(now)
        return self._step

    def multiplier(self, now: float, max_multiplier: float) -> float:
        """``2 ** step`` (1, 2, 4, 8, ...), at most ``max_multiplier``."""
        return min(2.0 ** self.step(now), max_multiplier)

    def throttled(self, now: float) -> bool:
        """Whether a Retry-After from the origin is still running."""
        return self._retry_until > self._advance(now)

    def snapshot(self, now: float) -> HealthSnapshot:
        """The averages, Retry-After and step as of ``now``."""
        now = self._advance(now)
        return HealthSnapshot(
            latency_ewma=self._mean(self._latency, now),
            error_rate=self._mean(self._errors, now),
            throttle_rate=self._mean(self._throttles, now),
            retry_until=self._retry_until if self._retry_until > now else None,
            step=self._step,
            step_since=self._changed_at if self._changed_at > -math.inf else None,
        )

    def _mean(self, total: float, now: float) -> float:
        """The time-decayed average of a sum at ``now`` (no earlier than the last observation)."""
        decay = math.exp2((self._at - now) / self.half_life)
        return total * decay / max(self._weight * decay, 1.0)

    def _unhealthy(self, now: float) -> bool:
        return (
            self._mean(self._capped, now) > self.slow
            or self._mean(self._errors, now) > self.max_error_rate
            or self._mean(self._throttles, now) > self.max_throttle_rate
            or self._retry_until > now
        )

    def _healthy_time(self) -> float:
        """The first moment from the last observation on that is healthy by the stricter
        thresholds, if no other observation comes."""
        moments = [self._at, self._retry_until]
        for total, limit in (
            (self._capped, self.slow / 2),
            (self._errors, self.max_error_rate / 2),
            (self._throttles, self.max_throttle_rate / 2),
        ):
            if self._mean(total, self._at) > limit:
                # Above the limit, the mean falls only once the weight is under 1, and then
                # as total * 0.5 ** (elapsed / half_life).
                moments.append(self._at + self.half_life * math.log2(total / limit))
        return max(moments)

    def _may_climb(self, now: float) -> bool:
        return (
            self._step < self.max_step
            and self._run >= self.min_samples
            and now >= self._changed_at + self.dwell
        )

    def _advance(self, now: float) -> float:
        """Apply the changes that fell due by ``now``, each as of its own time; return
        ``now``, or the latest time already seen if that is later."""
        if now <= self._seen:
            return self._seen
        start, self._seen = self._seen, now
        # Between observations health only improves, so a climb can fall due only when a
        # dwell ends, and falls follow each other a cool-down apart.
        due = self._changed_at + self.dwell
        if start < due <= now and self._may_climb(due) and self._unhealthy(due):
            self._change(+1, due)
        while self._step > 0:
            due = max(self._healthy_from, self._changed_at) + self.cool_down
            if due > now:
                break
            self._change(-1, due)
        return now

    def _change(self, by: int, at: float) -> None:
        self._step += by
        self._changed_at, self._run = at, 0


class KeyGate:
    """At most one request per key per interval: while the origin asks to be left alone
    (Retry-After), a miss on a key it was just asked about waits instead of asking again.

    Remembers when each of at most ``limit`` keys was last allowed (10,000 by default, some
    2.5 MB with URL-sized keys), forgetting the one allowed longest ago to make room: under
    more distinct keys than that in one interval, a forgotten key may be let through early,
    which is the price of the bound.
    """

    def __init__(self, limit: int = 10_000) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, not {limit!r}")
        self.limit = limit
        self._allowed: OrderedDict[str, float] = OrderedDict()  # oldest allowed first

    def allow(self, key: str, now: float, interval: float) -> bool:
        """True, noting ``now``, unless ``key`` was allowed less than ``interval`` ago."""
        last = self._allowed.get(key)
        if last is not None and now - last < interval:
            return False
        self._allowed[key] = now
        self._allowed.move_to_end(key)
        if len(self._allowed) > self.limit:
            self._allowed.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._allowed)
