"""The threshold race: how long a request waits for the origin, and the wait itself.

A request's budget is its zone's ``placeholder_after``, else its rule's ``budget``, unless the
client prefers otherwise (``Prefer: respond-async, wait=N``, RFC 7240, clamped to the origin
timeout). The wait is on the collapsed flight and never cancels it, so whoever stops waiting
leaves the fetch other requests (and the cache) still need.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from flight import Outcome
from prefer import Preferences, parse_prefer
from routes import ClassPolicy
from upstream import too_slow
from zones import Zone

__all__ = ["Budget", "budget_for", "within"]


@dataclass(frozen=True, slots=True)
class Budget:
    seconds: float | None
    """How long to wait before a placeholder; None: up to the origin timeout."""
    respond_async: bool = False
    """The client prefers an asynchronous answer (``respond-async``)."""
    applied: Preferences = Preferences()
    """What of the client's preferences the budget honours (for Preference-Applied)."""


def budget_for(policy: ClassPolicy, zone: Zone | None, prefer: str | None) -> Budget:
    seconds = policy.budget
    if zone is not None and zone.placeholder_after is not None:
        seconds = zone.placeholder_after
    if prefer is None:
        return Budget(seconds)
    prefs = parse_prefer(prefer, max_wait=policy.timeout)
    if prefs.wait is not None:
        return Budget(prefs.wait, prefs.respond_async, Preferences(wait=prefs.wait))
    return Budget(0.0 if prefs.respond_async else seconds, prefs.respond_async)


async def within(
    flight: asyncio.Future[Outcome], budget: float | None, patience: float
) -> Outcome | None:
    """The flight's outcome, or None once ``budget`` passes first (a placeholder is due);
    never longer than the origin timeout ``patience``.

    ``asyncio.wait`` leaves the flight running when the wait ends, and arms its timer with a
    delay rather than a deadline: Pyodide's event loop refuses a deadline that has passed by
    the time it is armed (``wait_for``'s, under load), where a delay is always in the future.
    """
    seconds = budget if budget is not None and budget < patience else patience
    done, _ = await asyncio.wait((flight,), timeout=seconds)
    if done:
        return flight.result()
    return None if seconds != patience else Outcome(error=too_slow(patience))
