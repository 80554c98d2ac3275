"""What one request did, as the Analytics Engine data point the edge writes for it.

Production's way to see an edge is its Analytics Engine dataset: one data point per request,
read back with Cloudflare's SQL API (docs/observability.md gives the layout and the queries).
A ``Tally`` travels with the request (on the proxy's ``Runtime``): the proxy notes where it
keyed the request and what the cache did, and every origin exchange adds itself. When the
response is ready, ``request_point`` turns the tally into the point; nothing here does I/O.

A batch or a view is one request holding several: its point carries the endpoint as the
class and the least cached outcome of its parts, so a batch that needed the origin once is
not counted as a hit.
"""

from __future__ import annotations

from dataclasses import dataclass

from cachestatus import CacheStatus

__all__ = ["OUTCOMES", "Tally", "outcome", "request_point"]

OUTCOMES = ("hit", "stale", "collapsed", "bypass", "miss", "placeholder", "error")
"""The cache outcomes, from most to least cached: a request holding several takes the last."""

_RANK = {name: rank for rank, name in enumerate(OUTCOMES)}
_BYPASSED = frozenset({"credentials", "no-store", "authorization"})


def outcome(status: CacheStatus, response_status: int) -> str:
    """The cache outcome of one proxied request, from its ``Cache-Status`` member."""
    if status.detail == "placeholder":
        return "placeholder"
    if status.hit:
        return "stale" if status.fwd == "stale" else "hit"
    if status.collapsed:
        return "collapsed"
    if status.fwd_status is None and response_status >= 400:
        return "error"  # the edge answered itself: an unusable URL, an origin down or resting
    if status.fwd in ("bypass", "method") or status.detail in _BYPASSED:
        return "bypass"
    return "miss"


@dataclass(slots=True)
class Tally:
    """One request's figures, noted as it is served."""

    endpoint: str = ""  # an edge endpoint's name; "" for a proxied request
    scope: str = ""
    content_class: str = ""
    cache: str = ""
    pressure: int = 0
    origin_requests: int = 0
    origin_status: int = 0
    origin_seconds: float = 0.0

    def note(self, cache: str, *, scope: str, content_class: str, pressure: int) -> None:
        """A proxied request (or a part of one) was answered: keep the least cached outcome,
        and the first part's scope and class."""
        if not self.cache or _RANK[cache] > _RANK[self.cache]:
            self.cache = cache
        self.scope = self.scope or scope
        self.content_class = self.content_class or content_class
        self.pressure = max(self.pressure, pressure)

    def exchanged(self, status: int | None, seconds: float) -> None:
        """An origin exchange ended (``status`` None: it never answered)."""
        self.origin_requests += 1
        self.origin_status = status or 0
        self.origin_seconds += seconds


def request_point(
    tally: Tally, *, colo: str, method: str, status: int, size: int, seconds: float
) -> dict[str, list[str] | list[float]]:
    """The data point for a request answered ``status`` with a ``size``-byte body after
    ``seconds``, at the PoP ``colo``."""
    # Nothing noted: an edge endpoint that proxied nothing (events, purge, a refused batch).
    cache = tally.cache or ("error" if status >= 400 else "bypass")
    return {
        "blobs": [
            "request",
            colo,
            tally.scope,
            tally.endpoint or tally.content_class,
            cache,
            method,
        ],
        "doubles": [
            float(status),
            float(tally.origin_status),
            round(tally.origin_seconds * 1000, 3),
            float(size),
            round(seconds * 1000, 3),
            float(tally.pressure),
            float(tally.origin_requests),
        ],
        "indexes": [colo],
    }
