"""Cron Triggers for ``popcache dev``: run the scheduled handler when a ``[triggers] crons``
expression comes due (UTC, as Cloudflare). On Cloudflare a cron runs on one arbitrary machine;
here it runs on the first PoP of the topology."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from croniter import croniter

from .clock import Clock

__all__ = ["next_due", "run_crons"]

log = logging.getLogger("popcache.cron")


def next_due(cron: str, after: float) -> float:
    """The first time (epoch seconds, UTC) strictly after ``after`` that ``cron`` matches."""
    return float(croniter(cron, datetime.fromtimestamp(after, UTC)).get_next(float))


async def run_crons(
    crons: tuple[str, ...],
    clock: Clock,
    fire: Callable[[str, float], Awaitable[None]],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Fire each cron at its due times until cancelled; a failing handler is logged, not fatal."""
    if not crons:
        return
    due = {cron: next_due(cron, clock.now()) for cron in crons}
    while True:
        when = min(due.values())
        await sleep(max(0.0, when - clock.now()))
        for cron, at in list(due.items()):
            if at <= clock.now():
                due[cron] = next_due(cron, at)
                try:
                    await fire(cron, at * 1000.0)
                except Exception:
                    log.exception("scheduled handler failed for cron %r", cron)
