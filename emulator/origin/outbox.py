"""Sending inventory events to the edge, signed, in the background, a few times at most.

A stock write answers at once; its events leave afterwards on a task, so a slow or dead edge
never delays or fails the write's own response. Each request is signed with the edge's own code
(``edge/signature.py``: ``Popcache-Signature: t=<unix seconds>,v1=<hex>``), signed again on
every attempt so a retry is neither too old for the edge's window nor a replay of one it took.
Connection errors, 5xx and 429 are retried with a short doubling backoff (through the injected
sleep, so tests do not wait); any other answer is final. What gave up is logged as a warning on
``popcache.origin.events`` and counted, and ``GET /_admin/events`` shows the counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from emulator.clock import Clock
from emulator.errors import ConfigError

from .changes import StockChange
from .edgesigning import sign_body
from .events import event_bodies, stock_events
from .state import Sleep

__all__ = ["ATTEMPTS", "OUTBOX", "EventOutbox"]

log = logging.getLogger("popcache.origin.events")

ATTEMPTS = 3
BACKOFF_S = 0.2  # before the second attempt; doubled before each later one
ATTEMPT_TIMEOUT_S = 5.0
DRAIN_TIMEOUT_S = 5.0  # how long shutting down waits for sends still under way
_DETAIL_BYTES = 300  # of an error body, for the log


@dataclass(frozen=True)
class _Answer:
    """One attempt's outcome: the status, or None when no response came."""

    status: int | None
    detail: str

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status >= 500 or self.status == 429


class EventOutbox:
    """Where stock changes go to become events: nowhere unless both ``url`` and ``secret`` are
    set (ConfigError for a ``url`` that is not http(s)). ``sent``, ``failed`` and ``pending``
    count events, not requests."""

    def __init__(
        self,
        url: str | None,
        secret: str | None,
        *,
        clock: Clock,
        sleep: Sleep,
        new_id: Callable[[str], str],
        drain_timeout: float = DRAIN_TIMEOUT_S,
    ) -> None:
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError("events_url", f"{url!r} is not an http(s) URL")
        if bool(url) != bool(secret):
            log.warning("inventory events are off: give both an events URL and a secret")
        self.url = url if url and secret else None
        self._secret = secret or ""
        self._clock = clock
        self._sleep = sleep
        self._new_id = new_id
        self._drain_timeout = drain_timeout
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.failed = 0
        self.pending = 0

    def aim(self, url: str, secret: str) -> None:
        """Send to ``url`` signed with ``secret`` from now on (an edge started after this
        origin: its address was not known yet)."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError("events_url", f"{url!r} is not an http(s) URL")
        self.url, self._secret = url, secret

    def status(self) -> dict[str, object]:
        return {"url": self.url, "sent": self.sent, "failed": self.failed, "pending": self.pending}

    def announce(self, changes: Sequence[StockChange]) -> None:
        """Send the events of ``changes`` (one write's) in the background; returns at once."""
        if self.url is None or not changes:
            return
        events = stock_events(changes, self._new_id, self._clock.now())
        for body, count in event_bodies(events):
            self._spawn(self._deliver(body, count), count)

    async def lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx``: one client session while the app runs; on shutdown, sends
        under way get ``drain_timeout`` seconds to finish and the rest are abandoned."""
        self._session = aiohttp.ClientSession()  # also for a url given later (aim)
        try:
            yield
        finally:
            await self._drain()
            if self._session is not None:
                await self._session.close()
                self._session = None

    def _spawn(self, delivery: Coroutine[Any, Any, None], count: int) -> None:
        self.pending += count
        task = asyncio.get_running_loop().create_task(delivery)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=self._drain_timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _deliver(self, body: bytes, count: int) -> None:
        """Up to ``ATTEMPTS`` tries; counts the events sent or failed, never raises."""
        outcome = "was never tried"
        try:
            for attempt in range(1, ATTEMPTS + 1):
                answer = await self._attempt(body)
                if answer.delivered:
                    self.sent += count
                    outcome = ""
                    return
                outcome = answer.detail
                if not answer.retryable:
                    break
                if attempt < ATTEMPTS:
                    await self._sleep(BACKOFF_S * 2 ** (attempt - 1))
            else:
                outcome = f"{outcome} (gave up after {ATTEMPTS} attempts)"
        except asyncio.CancelledError:
            outcome = "the origin shut down first"
            raise
        except Exception as exc:  # a bug here must not kill the loop's other tasks silently
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            self.pending -= count
            if outcome:
                self.failed += count
                log.warning(
                    "%d inventory event(s) not delivered to %s: %s", count, self.url, outcome
                )

    async def _attempt(self, body: bytes) -> _Answer:
        assert self.url is not None
        if self._session is None:
            return _Answer(None, "the origin is not running")
        header, value = sign_body(body, self._secret, int(self._clock.now()))
        headers = {"Content-Type": "application/json", header: value}
        timeout = aiohttp.ClientTimeout(total=ATTEMPT_TIMEOUT_S)
        try:
            async with self._session.post(
                self.url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                text = (await response.content.read(_DETAIL_BYTES)).decode("utf-8", "replace")
                return _Answer(response.status, f"HTTP {response.status}: {text}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return _Answer(None, f"{type(exc).__name__}: {exc}")


OUTBOX = web.AppKey("popcache_origin_events", EventOutbox)
