"""Carrying out purge calls: one at a time, within the plan's rate, stopping at the first no.

The consumer and the admin endpoint both purge through here. Calls go in order; before each,
the isolate's token bucket is asked, so the edge keeps under the plan's purge rate on its own
rather than learning it from 429s. The first call that cannot go now (no token, a 429, a 5xx)
stops the run and says when to try again; what went before stays done, and doing it again
later is harmless, since a purge purges the same entries twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from eventports import EventPorts
from purgeapi import Done, PurgeCall, Refused, RetryLater, outcome, purge_request
from purgebucket import TokenBucket

__all__ = ["Carried", "carry_out"]


@dataclass(frozen=True, slots=True)
class Carried:
    done: int
    """How many of the calls were applied."""
    stopped: RetryLater | Refused | None = None
    """Why the rest were not; None when every call was."""


async def carry_out(calls: Sequence[PurgeCall], ports: EventPorts, bucket: TokenBucket) -> Carried:
    if not calls:
        return Carried(0)
    if ports.purge is None or ports.fetch is None:
        return Carried(0, Refused("no purge API is configured (PURGE_API, ZONE_ID, token)"))
    target = ports.purge
    for index, call in enumerate(calls):
        wait = bucket.take(ports.now())
        if wait > 0:
            return Carried(
                index, RetryLater(max(1, math.ceil(wait)), "the plan's purge rate", limited=True)
            )
        try:
            request = purge_request(target.api_base, target.zone_id, target.token, call)
        except ValueError as exc:  # PURGE_API, ZONE_ID or the token is not usable
            return Carried(index, Refused(f"the purge API is misconfigured: {exc}"))
        try:
            response = await ports.fetch(request)
        except Exception as exc:  # the runtime's network errors have no common type
            return Carried(index, RetryLater(5, f"the purge API is unreachable: {exc}"))
        result = outcome(response, ports.now())
        if not isinstance(result, Done):
            return Carried(index, result)
    return Carried(len(calls))
