"""The ``ExecutionContext`` handed to ``Default(ctx, env)``, and the background work it keeps.

``ctx.waitUntil(awaitable)`` accepts a coroutine, as the SDK's patched ``waitUntil`` does: the
work starts at once, the response does not wait for it, and the PoP keeps it alive after the
response is sent. An exception in it is logged with its traceback, never dropped silently.
``ctx.passThroughOnException()`` makes an exception in the handler forward the request to the
origin instead of answering 500
(https://developers.cloudflare.com/workers/runtime-apis/context/).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

from .http import JsRequest
from .jsproxy import JsObject

__all__ = ["BackgroundTasks", "ExecutionContext"]

log = logging.getLogger("popcache.worker")

# Production cancels waitUntil work 30 s after the response (or the event) has finished.
WAIT_UNTIL_LIMIT_S = 30.0


class BackgroundTasks:
    """The ``waitUntil`` work of one PoP: started at once, awaited by ``drain``, logged on error."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def add(self, awaitable: Awaitable[Any]) -> None:
        if not inspect.isawaitable(awaitable):
            raise TypeError(f"waitUntil() expects an awaitable, got {type(awaitable).__name__}")
        task = asyncio.ensure_future(asyncio.wait_for(awaitable, WAIT_UNTIL_LIMIT_S))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, TimeoutError):
            log.error("waitUntil work cancelled after %.0f s", WAIT_UNTIL_LIMIT_S)
        elif error is not None:
            log.error("Uncaught exception in waitUntil work", exc_info=error)

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until no background work is left (work may schedule more work)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.drain()


class ExecutionContext:
    """``self.ctx`` of an entrypoint: one per invocation."""

    __slots__ = ("_background", "_request", "pass_through_request")

    def __init__(self, background: BackgroundTasks, request: JsRequest | None = None) -> None:
        self._background = background
        self._request = request
        # The request as it was when passThroughOnException() was called.
        self.pass_through_request: JsRequest | None = None

    @property
    def props(self) -> JsObject:
        """Props a caller passed to this entrypoint: none, for HTTP and cron invocations."""
        return JsObject({})

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:
        self._background.add(awaitable)

    def passThroughOnException(self) -> None:
        if self._request is not None:
            self.pass_through_request = self._request.snapshot()
