"""One point of presence: its isolate, its Cache API storage and its background work.

Each PoP runs its own isolate of the worker (own module instances) and owns its own caches;
a reload swaps the isolate and keeps the caches, as a redeploy does on Cloudflare.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from .clock import Clock
from .internals import Table, table, worker_tables
from .isolate import Isolate
from .runtime.cache import CacheStorage
from .runtime.cachelimit import MAX_ENTRIES
from .runtime.context import BackgroundTasks, ExecutionContext
from .runtime.fetcher import Fetcher, invocation
from .runtime.http import JsRequest, JsResponse
from .runtime.jsmodule import make_js_module
from .runtime.jsproxy import JsObject
from .runtime.queue_batch import MessageBatch, QueueResult, settle
from .topology import PopSite

__all__ = ["Pop"]

log = logging.getLogger("popcache.worker")


class Pop:
    def __init__(
        self,
        site: PopSite,
        clock: Clock,
        fetcher: Fetcher,
        upstream: str | None,
        max_cache_entries: int = MAX_ENTRIES,
    ) -> None:
        """``max_cache_entries``: the URLs each of the PoP's caches keeps at most."""
        self.site = site
        self.clock = clock
        self.caches = CacheStorage(clock, max_entries=max_cache_entries)
        self.background = BackgroundTasks()
        self._fetcher = fetcher
        self._upstream = upstream.rstrip("/") if upstream else None
        self.isolate: Isolate | None = None

    @property
    def colo(self) -> str:
        return self.site.colo

    def js_module(self) -> Any:
        return make_js_module(self.caches, self.clock)

    async def fetch(self, request: JsRequest) -> JsResponse:
        """Run the worker's fetch handler; an uncaught exception becomes a 500 with a traceback."""
        assert self.isolate is not None, "load an isolate into the PoP before serving"
        ctx = ExecutionContext(self.background, request)
        with invocation(self._fetcher):
            try:
                return await self.isolate.fetch(request, ctx)
            except Exception as exc:
                log.error("Uncaught exception in fetch handler on %s", self.colo, exc_info=exc)
                if ctx.pass_through_request is not None and self._upstream:
                    return await self._pass_through(ctx.pass_through_request)
                return error_response(exc)

    async def _pass_through(self, request: JsRequest) -> JsResponse:
        path = request.url.split("://", 1)[-1].partition("/")[2]
        forwarded = JsRequest(
            f"{self._upstream}/{path}",
            method=request.method,
            headers=request.headers,
            body=request._body,
        )
        try:
            return await self._fetcher.fetch(forwarded)
        except OSError as exc:
            return error_response(exc)

    def internals(self) -> dict[str, Any]:
        """This PoP's tables (:mod:`emulator.internals`): its caches' entries, its pending
        ``waitUntil`` work, and under ``worker`` what the worker's hook reports (None without
        one; ``worker_error`` says why a hook that raised or answered amiss is not shown)."""
        tables: dict[str, Table] = {
            "cache_entries": table(self.caches.stored_count(), self.caches.stored_limit()),
            "wait_until": table(len(self.background)),
        }
        try:
            reported = self.isolate.internals() if self.isolate is not None else None
            worker = None if reported is None else worker_tables(reported)
        except Exception as exc:
            return {**tables, "worker": None, "worker_error": f"{type(exc).__name__}: {exc}"}
        return {**tables, "worker": worker}

    async def queue(self, batch: MessageBatch) -> QueueResult:
        """Deliver one batch to the queue handler and settle its messages."""
        assert self.isolate is not None, "load an isolate into the PoP before delivering"
        with invocation(self._fetcher):
            try:
                await self.isolate.dispatch("queue", batch, ExecutionContext(self.background))
            except Exception as exc:
                log.error("Uncaught exception in queue handler on %s", self.colo, exc_info=exc)
                return settle(batch, exc)
        return settle(batch, None)

    async def scheduled(self, cron: str, scheduled_time_ms: float) -> None:
        """Run the scheduled handler once; exceptions propagate to the caller."""
        assert self.isolate is not None, "load an isolate into the PoP before running cron"
        controller = JsObject(
            {"cron": cron, "scheduledTime": scheduled_time_ms, "noRetry": lambda: None}
        )
        with invocation(self._fetcher):
            await self.isolate.dispatch("scheduled", controller, ExecutionContext(self.background))


def error_response(exc: BaseException) -> JsResponse:
    """What wrangler dev shows for an uncaught exception: a 500 carrying the traceback."""
    text = "".join(traceback.format_exception(exc))
    return JsResponse(text, status=500, headers={"content-type": "text/plain; charset=utf-8"})
