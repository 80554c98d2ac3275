"""When to warm a promotion's cache, and what, within its origin budget.

A promotion's shoppers arrive together when it starts and when each fulfillment window opens;
the entries they ask for should be fetched before, but not all at once: a warming burst is the
very load the cache is there to spare the origin. So the cron asks :func:`due` which
promotions open within their lead, and :func:`schedule` spreads each one's fetches evenly, no
more than its budget in any minute, between now and the opening (docs/promotions.md). What does
not fit is left out for the caller to log, never squeezed in. Pure: time is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from promotions import VIEWS_PREFIX, Promotion, skippable

__all__ = ["Schedule", "due", "next_opening", "schedule", "targets"]


@dataclass(frozen=True, slots=True)
class Schedule:
    """When to fetch each target: ``at`` holds ``(time, target)`` in time order, ``left_out``
    the targets that did not fit before the deadline, in their order."""

    at: tuple[tuple[float, str], ...]
    left_out: tuple[str, ...]


def next_opening(promotion: Promotion, now: float) -> float | None:
    """The earliest of ``promotion``'s start and window starts at or after ``now``."""
    openings = [promotion.starts, *(window.start for window in promotion.windows)]
    return min((at for at in openings if at >= now), default=None)


def due(promotions: Iterable[Promotion], now: float) -> list[tuple[Promotion, float]]:
    """The promotions to warm at ``now``, each with the opening it is warmed for: the next
    start or window opening, if it is within the promotion's ``lead`` of ``now``. Skippable
    promotions (:func:`promotions.skippable`) are left out; the order is the promotions'."""
    found: list[tuple[Promotion, float]] = []
    for promotion in promotions:
        if skippable(promotion, now) is not None:
            continue
        opening = next_opening(promotion, now)
        if opening is not None and opening - promotion.lead <= now:
            found.append((promotion, opening))
    return found


def targets(promotion: Promotion) -> tuple[str, ...]:
    """What to fetch to warm ``promotion``: its URLs, then its views as ``/_edge/views/``
    paths, each once, in that order."""
    paths = [*promotion.urls, *(VIEWS_PREFIX + view for view in promotion.views)]
    return tuple(dict.fromkeys(paths))


def schedule(
    targets: Iterable[str], budget_per_minute: int, start: float, deadline: float
) -> Schedule:
    """When to fetch each of ``targets`` (each once), from ``start`` and never after
    ``deadline``: every ``60 / budget_per_minute`` seconds, so no 60-second window holds more
    than ``budget_per_minute`` fetches. Those that do not fit are left out."""
    if budget_per_minute < 1:
        raise ValueError(f"budget_per_minute must be at least 1, got {budget_per_minute}")
    at: list[tuple[float, str]] = []
    left_out: list[str] = []
    for target in dict.fromkeys(targets):
        index = len(at)
        time = start + index * 60 / budget_per_minute
        if index >= budget_per_minute:
            # Rounding must not bring the fetch a minute before this one closer than 60 s.
            time = max(time, at[index - budget_per_minute][0] + 60)
        if time <= deadline:
            at.append((time, target))
        else:
            left_out.append(target)
    return Schedule(tuple(at), tuple(left_out))
