"""Request collapsing: concurrent misses for one key make one origin request.

One table per isolate (on Cloudflare, per PoP machine), keyed by the cache key. The first
request for a key leads: its work runs as a task the others await, so a leader whose client
goes away does not strand its followers. A key leaves the table as soon as its work is done,
so the table holds only what is in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

__all__ = ["Collapser"]

T = TypeVar("T")


class Collapser(Generic[T]):
    """In-flight work by key."""

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Task[T]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    def flight(self, key: str) -> asyncio.Task[T] | None:
        """The work in flight for ``key``, if any."""
        return self._flights.get(key)

    def start(self, key: str, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``work`` as the flight for ``key``; the caller checked there is none."""
        task = asyncio.ensure_future(work)
        self._flights[key] = task
        task.add_done_callback(lambda done: self._land(key, done))
        return task

    def _land(self, key: str, task: asyncio.Task[T]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
