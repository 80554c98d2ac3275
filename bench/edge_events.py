"""Inventory events (issue #8): coalesced purges, invalidation latency, and the refill after.

The edge bundle runs in an in-process emulator (three PoPs, the repository's wrangler.toml:
queue batches of up to 100 messages within 1 s) in front of a counting origin on loopback,
purging through the emulated purge API. The bundle is a copy whose ``[purge] plan`` is
Enterprise (50 calls/s), as is the emulated API's: at 1,000 events/s the queue delivers about
ten batches a second, over the Pro plan's 5 calls/s, and this section measures coalescing and
latency, not the plan (the consumer keeps under a smaller plan by retrying later, which merges
batches and lengthens latency; the README says by how much). Three steps:

1. **Warm.** Every PoP stores the 200 product pages (``/api/products/S<n>``, tagged
   ``sku:S<n>@s1``, ``max-age=600``, an ETag).
2. **Events.** 10,000 signed ``inventory.changed`` events on the 200 skus at store ``s1``
   over 10 s: 100 requests of 100 events, one every 100 ms. Targets: purge API calls at most
   ``ceil(distinct tags / 100)`` per delivered batch, summed over the batches; invalidation
   latency (event accepted to purge applied in every PoP, as the edge records it) p99 at most
   ``max_batch_timeout`` + 50 ms. Each event's latency over the run is also drawn as a PNG
   (``--plots``).
3. **Refill.** Five concurrent clients per page and PoP ask for every page again. Target: at
   most one origin request per key per PoP (request collapsing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from emulator.anycast import POP_HEADER
from emulator.app import Emulator
from emulator.datapoints import quantile
from emulator.devwiring import dev_wiring
from emulator.edgemodules import reach_edge_modules
from emulator.purgeapi import PurgeRecord
from emulator.wrangler import load_config

from . import pngcharts
from .measure import free_port
from .report import heading, table, verdict

REPO = Path(__file__).resolve().parent.parent
SKUS = 200
STORE = "s1"
EVENTS = 10_000
PER_REQUEST = 100
SECONDS = 10.0
CLIENTS_PER_KEY = 5
TAGS_PER_CALL = 100
POPS = ("SFO", "ORD", "LHR")


class CountingOrigin:
    """Product pages tagged by sku and store, counting requests per (PoP, path)."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()

    async def handle(self, request: web.BaseRequest) -> web.Response:
        self.hits[request.path] += 1
        sku = request.path.rsplit("/", 1)[-1]
        body = json.dumps({"sku": sku, "stock": self.hits[request.path]})
        headers = {
            "Content-Type": "application/json",
            "Cache-Control": "public, max-age=600",
            "Cache-Tag": f"sku:{sku}@{STORE},sku:{sku}",
            "ETag": f'"{sku}-{self.hits[request.path]}"',
        }
        return web.Response(text=body, headers=headers)


@dataclass
class Results:
    batches: int
    calls: int
    bound: int
    # Each event's invalidation: (seconds since the first event was accepted, latency seconds).
    invalidations: list[tuple[float, float]]
    timeout: float
    refill_requests: int
    keys: int


def _path(n: int) -> str:
    return f"/api/products/S{n}"


async def _pages(client: aiohttp.ClientSession, clients: int) -> None:
    await asyncio.gather(
        *(
            client.get(_path(n), headers={POP_HEADER: pop})
            for pop in POPS
            for n in range(SKUS)
            for _ in range(clients)
        )
    )


async def _send_events(client: aiohttp.ClientSession, secret: str) -> None:
    reach_edge_modules()
    from signature import sign

    start = time.monotonic()
    for request in range(EVENTS // PER_REQUEST):
        events = [
            {
                "event_id": f"ev-{request}-{n}",
                "type": "inventory.changed",
                "sku": f"S{(request * PER_REQUEST + n) * 7 % SKUS}",
                "store_id": STORE,
                "ts": time.time(),
            }
            for n in range(PER_REQUEST)
        ]
        body = json.dumps(events).encode()
        header = sign(body, [secret], int(time.time()))
        async with client.post(
            "/_edge/events", data=body, headers={"Popcache-Signature": header}
        ) as reply:
            assert reply.status == 202, await reply.text()
        await asyncio.sleep(max(0.0, start + (request + 1) * SECONDS / 100 - time.monotonic()))


def _bundle(dest: Path) -> Path:
    """A copy of the bundle whose consumer keeps to the Enterprise plan's purge rate."""
    shutil.copy2(REPO / "wrangler.toml", dest / "wrangler.toml")
    shutil.copytree(REPO / "edge", dest / "edge", ignore=shutil.ignore_patterns("__pycache__"))
    with (dest / "edge" / "routes.toml").open("a", encoding="utf-8") as routes:
        routes.write('\n[purge]\nplan = "enterprise"\n')
    return dest / "wrangler.toml"


def invalidations(emulator: Emulator) -> list[tuple[float, float]]:
    """When each inventory event was accepted (seconds after the first; its point's timestamp,
    when the purge was applied, less its latency) and its invalidation latency, in seconds."""
    accepted = [
        (point.timestamp - point.doubles[0], point.doubles[0])
        for point in emulator.datapoints
        if point.blobs[:2] == ("invalidation", "inventory.changed") and point.doubles
    ]
    first = min((at for at, _ in accepted), default=0.0)
    return sorted((at - first, latency) for at, latency in accepted)


async def measure(bundle: Path) -> Results:
    origin = CountingOrigin()
    server = web.Server(origin.handle)
    runner = web.ServerRunner(server, access_log=None)
    await runner.setup()
    origin_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", origin_port).start()
    config = load_config(bundle)
    port = free_port()
    wiring = dev_wiring(config, f"http://127.0.0.1:{port}", "enterprise")
    assert wiring.events_secret is not None
    emulator = Emulator(
        config,
        origin=f"http://127.0.0.1:{origin_port}",
        purge=wiring.purge,
        overrides=wiring.overrides,
    )
    calls: list[PurgeRecord] = []
    emulator.on_purge.append(calls.append)
    await emulator.start("127.0.0.1", port)
    connector = aiohttp.TCPConnector(limit=200)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", connector=connector) as client:
            await _pages(client, 1)
            await _send_events(client, wiring.events_secret)
            await asyncio.sleep(2 * config.queue_consumers[0].max_batch_timeout)
            await emulator.drain()
            before = sum(origin.hits.values())
            await _pages(client, CLIENTS_PER_KEY)
            refill = sum(origin.hits.values()) - before
    finally:
        await emulator.stop()
        await runner.cleanup()
    consumer = config.queue_consumers[0]
    # Each delivered batch holds at most max_batch_size events of one tag each.
    per_batch = math.ceil(min(consumer.max_batch_size, SKUS) / TAGS_PER_CALL)
    return Results(
        batches=emulator.queues.batches,
        calls=len(calls),
        bound=emulator.queues.batches * per_batch,
        invalidations=invalidations(emulator),
        timeout=consumer.max_batch_timeout,
        refill_requests=refill,
        keys=SKUS * len(POPS),
    )


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="popcache-bench-events-") as tmp:
        results = asyncio.run(measure(_bundle(Path(tmp))))
    latencies = [latency for _, latency in results.invalidations]
    p50, p99 = quantile(latencies, 0.5), quantile(latencies, 0.99)
    bound_ms = results.timeout * 1e3 + 50
    heading(
        f"Inventory events through the emulator (in-process, {len(POPS)} PoPs, the repository's "
        f"wrangler.toml: batches of up to 100 within {results.timeout:g} s; purge API on the "
        f"Enterprise plan): {EVENTS:,} signed inventory.changed events on {SKUS} skus over "
        f"{SECONDS:g} s, then {CLIENTS_PER_KEY} concurrent clients per page and PoP refill "
        f"{SKUS} pages:"
    )
    table(
        ["measured", "value", "target"],
        [
            ["events accepted", f"{len(latencies):,}", f"{EVENTS:,}"],
            ["queue batches delivered", f"{results.batches}", ""],
            [
                "purge API calls",
                f"{results.calls}",
                f"≤ {results.bound} (ceil(distinct tags / 100) per batch)",
            ],
            ["invalidation latency p50 ms", f"{p50 * 1e3:.0f}", ""],
            ["invalidation latency p99 ms", f"{p99 * 1e3:.0f}", f"≤ {bound_ms:.0f}"],
            [
                "origin requests in the refill",
                f"{results.refill_requests}",
                f"≤ {results.keys} (1 per key per PoP)",
            ],
        ],
    )
    coalesced = verdict(
        results.calls <= results.bound, f"purge calls ≤ {results.bound}", f"{results.calls}"
    )
    prompt = verdict(
        p99 * 1e3 <= bound_ms, f"invalidation p99 ≤ {bound_ms:.0f} ms", f"{p99 * 1e3:.0f} ms"
    )
    refilled = verdict(
        results.refill_requests <= results.keys,
        "refill ≤ 1 origin request per key and PoP",
        f"{results.refill_requests / results.keys:.2f}",
    )
    print(
        f"\nCoalescing: {results.calls} purge calls for {EVENTS:,} events "
        f"({coalesced} the bound); latency p99 "
        f"{p99 * 1e3:.0f} ms ({prompt} ≤ {bound_ms:.0f} ms); refill "
        f"{results.refill_requests / results.keys:.2f} origin requests per key per PoP "
        f"({refilled} ≤ 1).",
        flush=True,
    )
    pngcharts.draw(
        args.plots / "events-invalidation-latency.png",
        f"Invalidation latency of {EVENTS:,} inventory events (the {PER_REQUEST} of a request "
        f"share a latency, so their points overlap; dashed: the p99 target)",
        [at for at, _ in results.invalidations],
        "seconds since the first event was accepted",
        [
            pngcharts.Panel(
                "latency ms",
                [latency * 1e3 for _, latency in results.invalidations],
                "points",
                limit=bound_ms,
            )
        ],
    )
