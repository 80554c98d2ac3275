"""What one cache hit costs the edge, in-process: no network, no front door.

Two emulators are built in this process, one for the edge bundle and one for the trivial worker,
and one PoP of each is called directly with the same request for a stored product. The edge's
overhead per hit is its time per call less the trivial worker's (policy and adapter: what the
edge adds to any worker), taken over batches measured back to back. The proxy core alone
(``Proxy.handle`` over a dictionary for a store, the origin's real answer stored) shows how
that overhead splits between the policy and the adapter over the Workers runtime. Target
(issue #3): at most 50 µs per hit in CPython.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from emulator.app import Emulator
from emulator.origin import start_origin
from emulator.runtime.headers import JsHeaders
from emulator.runtime.http import JsRequest
from emulator.wrangler import load_config

from . import servers
from .report import heading, table, verdict

HOST = "shop.example"
PATH = "/api/products/BEV-COFFEE"
URL = f"http://{HOST}{PATH}"
# What a browser on the storefront sends, as the front door hands it to a PoP (lower-cased).
HEADERS = [
    ("host", HOST),
    (
        "user-agent",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
    ),
    ("accept", "application/json, text/plain, */*"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "en-US,en;q=0.9"),
    ("cf-connecting-ip", "203.0.113.9"),
    ("x-forwarded-for", "203.0.113.9"),
]
TARGET_US = 50.0
EDGE, TRIVIAL, CORE = "edge", "trivial", "core"

# One request through what is measured; returns the response's Cache-Status ("" if none).
Call = Callable[[], Awaitable[str]]


def pop_call(emulator: Emulator) -> Call:
    pop = emulator.pops["SFO"]

    async def call() -> str:
        response = await pop.fetch(JsRequest(URL, headers=JsHeaders.trusted(list(HEADERS))))
        return response.headers.get("cache-status") or ""

    return call


class _DictStore:
    """The proxy's ``Store`` over a dictionary: a hit without the Cache API's cost."""

    def __init__(self, response: Any) -> None:
        self._response = response  # edge's EdgeResponse
        self._entries: dict[str, Any] = {}

    async def match(self, key: str) -> Any:
        stored = self._entries.get(key)
        if stored is None:
            return None
        # A fresh copy each time, as a real cache gives: the proxy adds its own fields.
        return self._response(stored.status, stored.headers.copy(), stored.body)

    async def put(self, key: str, response: Any) -> None:
        self._entries[key] = response

    async def delete(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None


def _edge_module(name: str) -> Any:
    """One of the edge bundle's modules; they are top-level, importing each other by name."""
    folder = str(servers.EDGE.parent / "edge")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def core_call(status: int, headers: list[tuple[str, str]], body: bytes) -> Call:
    """``Proxy.handle`` alone, over a dictionary, for an origin that answers as the demo did."""
    messages, proxy, routes = (_edge_module(n) for n in ("messages", "proxy", "routes"))
    path = servers.EDGE.parent / "edge" / "routes.toml"
    handler = proxy.Proxy(
        routes.load_routes(path.read_text(encoding="utf-8"), "edge/routes.toml"),
        origin="http://origin",
        version="bench",
    )
    store = _DictStore(messages.EdgeResponse)

    async def origin(request: Any) -> Any:
        return messages.EdgeResponse(status, messages.Fields(headers), body)

    background: set[asyncio.Future[Any]] = set()

    def wait_until(work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        background.add(task)
        task.add_done_callback(background.discard)

    async def call() -> str:
        request = messages.EdgeRequest("GET", URL, messages.Fields(HEADERS), None, "203.0.113.9")
        runtime = proxy.Runtime(origin, store, time.time, wait_until)
        response = await handler.handle(request, runtime)
        return str(response.headers.get("cache-status") or "")

    return call


async def _origin_answer(origin: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The demo origin's response for the product, as the edge would store it."""
    sent = {name: value for name, value in HEADERS if name != "host"}
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(origin + PATH, headers=sent) as response,
    ):
        body = await response.read()
        return response.status, [(k.lower(), v) for k, v in response.headers.items()], body


async def _fill(name: str, call: Call) -> None:
    """One call stores the product; the next must be a hit (the trivial worker has no cache)."""
    await call()
    status = await call()
    if name != TRIVIAL and "hit" not in status:
        raise SystemExit(f"bench: the {name} call is not a cache hit: Cache-Status {status!r}")


async def _per_call_us(call: Call, count: int) -> float:
    # CPU time of this process: time another process takes from the CPU does not count.
    started = time.process_time()
    for _ in range(count):
        await call()
    return (time.process_time() - started) / count * 1e6


async def alternating(calls: dict[str, Call], batch: int, batches: int) -> dict[str, list[float]]:
    """µs per call of each of ``calls``, filled and warmed up first, then one batch of each per
    round; the rounds' figures in order."""
    for name, call in calls.items():
        await _fill(name, call)
        await _per_call_us(call, batch)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(batches):
        for name, call in calls.items():
            times[name].append(await _per_call_us(call, batch))
    return times


async def measure(batch: int, batches: int) -> dict[str, list[float]]:
    """µs per call of each, one batch of each per round; the rounds' figures in order."""
    runner, origin = await start_origin()
    edge = Emulator(load_config(servers.EDGE), origin=origin)
    trivial = Emulator(load_config(servers.TRIVIAL), origin=origin)
    try:
        calls = {
            EDGE: pop_call(edge),
            TRIVIAL: pop_call(trivial),
            CORE: core_call(*await _origin_answer(origin)),
        }
        return await alternating(calls, batch, batches)
    finally:
        await edge.stop()
        await trivial.stop()
        await runner.cleanup()


def run(args: argparse.Namespace) -> None:
    times = asyncio.run(measure(args.batch, args.batches))
    # The fastest batch of each: a shared machine only ever adds time, so the minimum is the
    # figure that repeats from run to run (medians here swung by 60% between runs).
    edge, trivial, core = (min(times[n]) for n in (EDGE, TRIVIAL, CORE))
    overhead = edge - trivial
    ratio = statistics.median(e / t for e, t in zip(times[EDGE], times[TRIVIAL], strict=True))
    heading(
        f"Edge cost per cache hit in-process (GET {PATH}, a PoP called directly, no network), "
        f"{args.batches} alternating batches of {args.batch} calls, CPU time; the fastest "
        f"batch of each, and the median of per-batch ratios:"
    )
    table(
        ["measured", "µs per request"],
        [
            ["trivial worker through a PoP", f"{trivial:.1f}"],
            ["edge bundle through a PoP, cache hit", f"{edge:.1f}"],
            ["edge overhead per hit (edge - trivial)", f"{overhead:.1f}"],
            ["proxy core alone (Proxy.handle over a dict store)", f"{core:.1f}"],
            ["edge hit / trivial worker (median per-batch ratio)", f"{ratio:.1f}x"],
        ],
    )
    light = verdict(
        overhead <= TARGET_US, f"overhead per hit ≤ {TARGET_US:.0f} µs", f"{overhead:.1f} µs"
    )
    print(
        f"\nEdge overhead per cache hit: {overhead:.1f} µs ({light} "
        f"the ≤ {TARGET_US:.0f} µs target); of it, the proxy core {core:.1f} µs and the "
        f"adapter over the Workers runtime (Cache API included) about "
        f"{overhead - core:.1f} µs.",
        flush=True,
    )
