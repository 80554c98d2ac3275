"""The cron's part of warming: which promotions open soon, and their paths onto the queue.

Every cron run (``[triggers] crons``, each minute) looks for promotions whose start or next
fulfillment window opens within their lead (``warmplan.due``), plans each one's paths within
its budget (``warmplan.schedule``) and sends them to the events queue as ``warm`` messages,
each with the ``delaySeconds`` that spreads them over the lead: the queue holds the plan, so a
cron invocation never sleeps, and the origin never sees more than the budget in a minute.
Each message carries the budget, so the consumer keeps it too when the queue delivers them
bunched (``warmpace``). An opening is planned once: KV remembers
``warm:<promotion>:<opening>`` until the opening has passed, so the runs in between send
nothing again. Paths that do not fit before the opening are logged, not sent late.
"""

from __future__ import annotations

import math

from eventmessages import warm_message
from eventports import EventPorts, Outgoing
from promotions import Promotions
from store import quietly
from warmplan import due, schedule, targets

__all__ = ["plan_warming"]

_BATCH = 100  # Queues' sendBatch: at most 100 messages
_MAX_DELAY = 43_200


async def plan_warming(promotions: Promotions, now: float, ports: EventPorts) -> list[str]:
    """Send the warm messages of every promotion opening soon; what was done, one line each."""
    lines: list[str] = []
    if ports.send is None:
        return ["warm: no EVENTS queue: nothing planned"] if promotions.items else []
    for promotion, opening in due(promotions, now):
        key = f"warm:{promotion.name}:{int(opening)}"
        try:
            planned = ports.ledger is not None and await ports.ledger.get(key) is not None
        except Exception as exc:  # KV unavailable: a later run plans it, never twice
            lines.append(f"warm: {promotion.name}: not planned this run, KV unreadable ({exc})")
            continue
        if planned:
            continue
        plan = schedule(targets(promotion), promotion.budget, now, opening)
        messages = [
            Outgoing(
                warm_message(
                    path,
                    promotion.tag,
                    promotion.city,
                    at,
                    promotion.name,
                    promotion.at,
                    promotion.budget,
                ),
                # Whole seconds, rounded up: a path may go a little late, never early.
                min(_MAX_DELAY, max(0, math.ceil(at - now))),
            )
            for at, path in plan.at
        ]
        for start in range(0, len(messages), _BATCH):
            await ports.send(messages[start : start + _BATCH])
        if ports.ledger is not None:
            ttl = max(60, math.ceil(opening - now) + 3600)
            if not await quietly(ports.ledger.put(key, "1", ttl)):
                lines.append(f"warm: {promotion.name}: queued, but KV did not note it")
        lines.append(
            f"warm: {promotion.name} ({promotion.place}) opens at {opening:.0f}: "
            f"{len(plan.at)} path(s) queued within {promotion.budget}/min"
        )
        if plan.left_out:
            lines.append(
                f"warm: {promotion.name}: {len(plan.left_out)} path(s) do not fit before the "
                f"opening and were left out: {', '.join(plan.left_out[:5])}"
            )
    return lines
