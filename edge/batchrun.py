"""Running a checked batch: dependencies first, the rest at once, identical reads once.

An item waits for the items it depends on and fails with 424 (Failed Dependency, as Graph
answers) when one of them did not succeed; independent items run concurrently, at most
``concurrency`` at a time. Identical GET or HEAD items (same URL, fields and dependencies) make
one request, and the copies say ``collapsed`` in their ``Cache-Status`` as a follower of a
collapsed origin request does. Sending an item is injected: this module only orders work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from batchformat import BatchItem
from messages import EdgeResponse
from problem import problem

__all__ = ["run_items"]

Send = Callable[[BatchItem], Awaitable[EdgeResponse]]
_READS = frozenset({"GET", "HEAD"})


async def run_items(items: Sequence[BatchItem], send: Send, concurrency: int) -> list[EdgeResponse]:
    """Each item's response, in item order; dependencies were checked acyclic already."""
    gate = asyncio.Semaphore(concurrency)
    tasks: dict[str, asyncio.Future[EdgeResponse]] = {}
    firsts: dict[tuple[object, ...], asyncio.Future[EdgeResponse]] = {}

    async def run(item: BatchItem) -> EdgeResponse:
        for dep in item.depends_on:
            status = (await tasks[dep]).status
            if status >= 400:
                return _failed_dependency(dep, status)
        async with gate:
            try:
                return await send(item)
            except Exception as exc:  # a defect costs its own item, never the whole batch
                detail = f"the edge could not answer this item ({type(exc).__name__})"
                return problem(502, detail, field="url")

    for item in items:
        signature = (item.method, item.url, item.headers, item.depends_on)
        first = firsts.get(signature) if item.method in _READS else None
        if first is None:
            tasks[item.id] = firsts[signature] = asyncio.ensure_future(run(item))
        else:
            tasks[item.id] = asyncio.ensure_future(_copy(first))
    return list(await asyncio.gather(*tasks.values()))


async def _copy(first: asyncio.Future[EdgeResponse]) -> EdgeResponse:
    response = await first
    headers = response.headers.copy()
    status = headers.get("cache-status")
    if status is not None and "collapsed" not in status.split("; "):
        headers.set("cache-status", f"{status}; collapsed")
    return EdgeResponse(response.status, headers, response.body)


def _failed_dependency(dep: str, status: int) -> EdgeResponse:
    detail = f"request {dep!r}, which this one depends on, failed with {status}"
    return problem(424, detail, field="dependsOn")
