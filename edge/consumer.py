"""The events queue's consumer: a batch of messages in, the fewest purge calls out.

Delivery is at least once, so an event is applied once in effect by remembering its id in KV
(``event:<id>``, for ``[events] remember``) after its purges are done, and dropping it when it
comes again; a redelivery before that is only a purge done twice, which changes nothing. The
batch's events and planned purges are coalesced into as few calls as the tags allow; later
phases of a cascade go back onto the queue with ``delaySeconds``. When a call cannot go now (the
plan's rate, a 429, the API down) every message still undecided is retried after the delay the
API asked for, so the queue holds the work and the dead-letter queue catches what keeps
failing. A message the edge did not write is retried too, to end in the dead-letter queue,
where someone can read it. A ``warm`` message (a promotion's path, due now) is fetched as a
shopper of its city would and acknowledged whatever came of it, unless its promotion's budget
is spent for the last 60 s (``warmpace``): then it goes back onto the queue until its turn.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from eventconfig import EventSettings, PurgeSettings
from eventmessages import (
    EventMessage,
    MessageError,
    PurgeMessage,
    WarmMessage,
    purge_message,
    read_message,
)
from eventports import EventPorts, Ledger, Outgoing
from invalidation import Mode, coalesce, plan
from purgeapi import RetryLater, call_for
from purgebucket import TokenBucket
from purging import carry_out
from store import quietly
from warmpace import WarmPace

__all__ = ["Consumer", "Decisions", "Delivered"]

_WARM_AT_ONCE = 6


@dataclass(frozen=True, slots=True)
class Delivered:
    id: str
    body: object
    attempts: int


@dataclass(slots=True)
class Decisions:
    """What to tell the queue: ``acked`` ids, and ``retried`` ids with their delay (None: the
    consumer's ``retry_delay``)."""

    acked: list[str] = field(default_factory=list)
    retried: dict[str, int | None] = field(default_factory=dict)


class Consumer:
    """One isolate's consumer; its token bucket and warming pace span the batches the isolate
    consumes."""

    def __init__(self, events: EventSettings, purge: PurgeSettings) -> None:
        self.events = events
        self.purge = purge
        self.bucket = TokenBucket(purge.rate)
        self.pace = WarmPace()

    async def consume(self, delivered: Sequence[Delivered], ports: EventPorts) -> Decisions:
        decisions = Decisions()
        fresh: dict[str, tuple[EventMessage, list[str]]] = {}
        purges: list[tuple[PurgeMessage, str]] = []
        warms: list[tuple[WarmMessage, str]] = []
        for message in delivered:
            try:
                read = read_message(message.body)
            except MessageError as exc:
                print(f"events: message {message.id} is not the edge's own ({exc}); retried")
                decisions.retried[message.id] = None
                continue
            if isinstance(read, WarmMessage):
                warms.append((read, message.id))
            elif isinstance(read, PurgeMessage):
                purges.append((read, message.id))
            elif read.event.event_id in fresh:
                fresh[read.event.event_id][1].append(message.id)  # a duplicate in one batch
            else:
                fresh[read.event.event_id] = (read, [message.id])
        if warms:
            admitted = self._within_budget(warms, ports.now(), decisions)
            await _warm(admitted, ports)
            decisions.acked.extend(message_id for _, message_id in admitted)
        for event_id in await _already_applied(ports.ledger, list(fresh)):
            decisions.acked.extend(fresh.pop(event_id)[1])
        pending = [i for _, ids in fresh.values() for i in ids] + [i for _, i in purges]
        if not pending:
            return decisions
        events = [message.event for message, _ in fresh.values()]
        planned = plan(events, self.events.phases, self.purge.tags_per_call)
        work: list[tuple[Mode, tuple[str, ...]]] = [(p.mode, p.tags) for p in planned.now]
        work += [(message.mode, message.tags) for message, _ in purges]
        calls = [call_for(purge) for purge in coalesce(work, self.purge.tags_per_call)]
        carried = await carry_out(calls, ports, self.bucket)
        if carried.stopped is not None:
            delay = carried.stopped.seconds if isinstance(carried.stopped, RetryLater) else None
            print(f"events: {len(calls) - carried.done} purge calls left: {carried.stopped}")
            decisions.retried.update(dict.fromkeys(pending, delay))
            return decisions
        now = ports.now()
        later = [
            Outgoing(purge_message(step.mode, step.tags, now + step.after, "cascade"), step.after)
            for step in planned.later
        ]
        if later:
            assert ports.send is not None  # a consumer's own queue has a producer binding
            try:
                await ports.send(later)
            except Exception as exc:  # the runtime's queue errors have no common type
                print(f"events: the cascade's later phases were not queued ({exc}); retried")
                decisions.retried.update(dict.fromkeys(pending, None))
                return decisions
        if ports.ledger is not None:
            ttl = int(self.events.remember)
            ledger = ports.ledger
            await asyncio.gather(*(quietly(ledger.put(f"event:{i}", "1", ttl)) for i in fresh))
        latencies = [(read.event.type, now - read.accepted) for read, _ in fresh.values()]
        latencies += [(purge.source, max(0.0, now - purge.accepted)) for purge, _ in purges]
        try:
            for kind, seconds in latencies:
                ports.record(kind, seconds)
        except Exception as exc:  # Analytics Engine's errors are JS Errors
            # The purges are done: a metric lost must not send them round again.
            print(f"events: invalidation latency not recorded ({exc})")
        decisions.acked.extend(pending)
        return decisions

    def _within_budget(
        self, warms: list[tuple[WarmMessage, str]], now: float, decisions: Decisions
    ) -> list[tuple[WarmMessage, str]]:
        """The warm messages their promotions' budgets admit at ``now``, in their order; the
        others are retried after the whole seconds until their turns."""
        groups: dict[tuple[str, int], list[str]] = {}
        for message, message_id in warms:
            if message.budget is not None:
                groups.setdefault((message.promotion, message.budget), []).append(message_id)
        for (promotion, budget), ids in groups.items():
            admitted = self.pace.admit(promotion, budget, now, len(ids))
            for message_id, wait in zip(ids[admitted.count :], admitted.waits, strict=True):
                decisions.retried[message_id] = math.ceil(wait)
        return [warm for warm in warms if warm[1] not in decisions.retried]


async def _warm(warms: list[tuple[WarmMessage, str]], ports: EventPorts) -> None:
    """Fetch each path, a few at a time (the runtime's six waiting subrequests); warming is
    best effort, so a failure is logged and the message acknowledged, never retried into the
    origin's way."""
    if ports.warm is None:
        print(f"warm: {len(warms)} path(s) skipped: the Worker has no STOREFRONT to warm")
        return
    warm = ports.warm
    for start in range(0, len(warms), _WARM_AT_ONCE):
        chunk = [message for message, _ in warms[start : start + _WARM_AT_ONCE]]
        statuses = await asyncio.gather(
            *(warm(message) for message in chunk), return_exceptions=True
        )
        for message, status in zip(chunk, statuses, strict=True):
            if not isinstance(status, int) or status >= 400:
                print(f"warm: {message.promotion}: {message.path} was not warmed ({status})")


async def _already_applied(ledger: Ledger | None, event_ids: list[str]) -> list[str]:
    if ledger is None or not event_ids:
        return []

    async def applied(event_id: str) -> bool:
        try:
            return await ledger.get(f"event:{event_id}") is not None
        except Exception:  # KV unavailable: apply again, which a purge allows
            return False

    found = await asyncio.gather(*(applied(event_id) for event_id in event_ids))
    return [event_id for event_id, seen in zip(event_ids, found, strict=True) if seen]
