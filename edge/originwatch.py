"""The origin as the health tracker sees it: every exchange timed and its answer noted.

Wraps the runtime's origin for one request, so the proxy's ``health.OriginHealth`` learns the
latency and status of every fetch (a fetch that never answered, timed out or broke off counts
as no response), and the ``Retry-After`` of a 429 or 503, capped at what the edge believes;
the request's own ``Tally`` counts the same exchanges for its data point.
"""

from __future__ import annotations

from collections.abc import Callable

from health import OriginHealth, parse_retry_after
from messages import EdgeRequest, EdgeResponse
from requestpoint import Tally
from upstream import Origin

__all__ = ["watched"]

_RETRY_STATUSES = frozenset({429, 503})


def watched(
    origin: Origin, health: OriginHealth, now: Callable[[], float], cap: float, tally: Tally
) -> Origin:
    """``origin``, reporting each exchange to ``health`` and ``tally``."""

    async def call(request: EdgeRequest) -> EdgeResponse:
        started = now()
        try:
            response = await origin(request)
        except BaseException:  # an OriginError, or the timeout cancelling the fetch
            ended = now()
            health.observe(ended, latency=ended - started, status=None, retry_after=None)
            tally.exchanged(None, ended - started)
            raise
        ended = now()
        retry = None
        if response.status in _RETRY_STATUSES:
            retry = parse_retry_after(response.headers.get("retry-after"), ended, cap=cap)
        health.observe(ended, latency=ended - started, status=response.status, retry_after=retry)
        tally.exchanged(response.status, ended - started)
        return response

    return call
