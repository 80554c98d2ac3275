"""Delivery of stored queue messages to the worker's ``queue()`` consumers.

Follows https://developers.cloudflare.com/queues/configuration/batching-retries/ with
Miniflare's broker as the reference for the details: a consumer gets a batch once
``max_batch_size`` messages are visible, or once the oldest visible one has waited
``max_batch_timeout`` seconds. A retried message becomes visible again after its own delay, else
the ``retryAll`` delay, else the consumer's ``retry_delay``; a message that fails more than
``max_retries`` times moves to the ``dead_letter_queue`` (a queue like any other, consumed if the
worker has a consumer for it) or, without one, is dropped. A message leaves the store only then
or when acknowledged.

Time is the emulator's clock, and all the work is in :meth:`QueueDelivery.pump`, so tests drive
delivery deterministically (advance a ``FakeClock``, then ``pump``); :meth:`run` is the loop
``popcache dev`` runs, calling ``pump`` a few times a second.

``duplicates`` (0..1) injects at-least-once duplicates: an acknowledged message is, with that
probability and at most once, kept and delivered again (same id, same body), as Queues may do.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime

from .clock import Clock
from .queuestore import QueueStore, StoredMessage
from .runtime.queue_batch import Message, MessageBatch, QueueResult
from .runtime.queues import decode_body
from .wrangler import QueueConsumer

__all__ = ["POLL_SECONDS", "QueueDelivery"]

log = logging.getLogger("popcache.queues")

# How often the dev loop looks for due batches (real seconds).
POLL_SECONDS = 0.2

Deliver = Callable[[MessageBatch], Awaitable[QueueResult]]


class QueueDelivery:
    def __init__(
        self,
        store: QueueStore,
        clock: Clock,
        consumers: Callable[[], tuple[QueueConsumer, ...]],
        deliver: Deliver,
        *,
        duplicates: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        """``consumers`` is asked on every pump, so a reload's new settings apply at once."""
        if not 0.0 <= duplicates <= 1.0:
            raise ValueError("the duplicate delivery rate must be between 0 and 1")
        self.store = store
        self.clock = clock
        self._consumers = consumers
        self._deliver = deliver
        self.duplicates = duplicates
        self._rng = rng or random.Random()
        self._in_flight: set[str] = set()
        self._lock = asyncio.Lock()
        self.batches = 0
        """Batches delivered to consumers since start (retries and dead letters included)."""

    @property
    def in_flight(self) -> int:
        """Messages out to a consumer now."""
        return len(self._in_flight)

    async def pump(self, now: float | None = None, *, flush: bool = False) -> list[QueueResult]:
        """Deliver every batch due at ``now`` (default: the clock's now), each message at most
        once per call; ``flush`` ignores ``max_batch_timeout`` (deliver whatever is visible)."""
        at = self.clock.now() if now is None else now
        results: list[QueueResult] = []
        async with self._lock:
            seen: set[str] = set()
            for consumer in self._consumers():
                while True:
                    due = self.store.due(
                        consumer.queue,
                        at,
                        consumer.max_batch_size,
                        frozenset(seen | self._in_flight),
                    )
                    if not due:
                        break
                    full = len(due) >= consumer.max_batch_size
                    waited = at - min(message.visible_at for message in due)
                    if not (flush or full or waited >= consumer.max_batch_timeout):
                        break
                    seen.update(message.id for message in due)
                    results.append(await self._batch(consumer, due, at))
        return results

    async def _batch(
        self, consumer: QueueConsumer, due: list[StoredMessage], at: float
    ) -> QueueResult:
        batch = MessageBatch(
            consumer.queue,
            (
                Message(
                    stored.id,
                    decode_body(stored.body, stored.content_type),
                    datetime.fromtimestamp(stored.timestamp),
                    stored.failures + 1,
                )
                for stored in due
            ),
        )
        ids = {stored.id for stored in due}
        self._in_flight |= ids
        self.batches += 1
        try:
            result = await self._deliver(batch)
        finally:
            self._in_flight -= ids
        # Settled after the handler ran: its own clock reads may have moved time on.
        now = max(at, self.clock.now())
        for stored in due:
            if stored.id in result.acked:
                if (
                    self.duplicates
                    and self._rng.random() < self.duplicates
                    and self.store.duplicate(stored.id, now)
                ):
                    continue
                self.store.ack(stored.id)
                continue
            delay = result.retried.get(stored.id)
            if stored.failures + 1 <= consumer.max_retries:
                wait = consumer.retry_delay if delay is None else delay
                self.store.retry(stored.id, now + wait)
            elif consumer.dead_letter_queue is not None:
                log.warning(
                    "Moving message %s on queue %s to dead letter queue %s after %d attempts",
                    stored.id,
                    consumer.queue,
                    consumer.dead_letter_queue,
                    stored.failures + 1,
                )
                self.store.move(stored.id, consumer.dead_letter_queue, now)
            else:
                log.warning(
                    "Dropped message %s on queue %s after %d attempts",
                    stored.id,
                    consumer.queue,
                    stored.failures + 1,
                )
                self.store.ack(stored.id)
        return result

    async def run(self, poll_seconds: float = POLL_SECONDS) -> None:
        """Deliver due batches until cancelled; a failing delivery is logged, never fatal."""
        while True:
            try:
                await self.pump()
            except Exception:
                log.exception("queue delivery failed")
            await asyncio.sleep(poll_seconds)
