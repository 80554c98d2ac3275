"""Warming a city promotion (issue #9): the origin's load while warming, and the hit ratio at
the opening with and without it.

A copy of the edge bundle whose ``promotions.toml`` holds one promotion: 1,000 product pages
for shoppers in San Francisco, a budget of 600 requests a minute, a lead of 2 minutes. It runs
in an in-process emulator on a fake clock (the queue's delays are what spread the warming, so
the clock is what they are measured by) in front of a counting origin on loopback. The cron
runs once, 2 minutes before the opening; then the clock moves a second at a time and the queue
delivers what is due. Measured: the most origin requests in any 60 s of the warming (target:
at most the budget), and, at the opening, 1,000 shoppers at the promotion's point each asking
for one page: the share that are hits, next to the same run without the cron.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path

import aiohttp
from aiohttp import web

from emulator.anycast import GEO_HEADER
from emulator.app import Emulator
from emulator.clock import FakeClock
from emulator.devwiring import dev_wiring
from emulator.wrangler import load_config

from .measure import free_port
from .report import heading, table, verdict

REPO = Path(__file__).resolve().parent.parent
PAGES = 1000
BUDGET = 600
LEAD_S = 120
OPENS = datetime(2026, 12, 1, 18, 0, tzinfo=UTC).timestamp()
AT = (37.7749, -122.4194)


def _bundle(dest: Path) -> Path:
    shutil.copy2(REPO / "wrangler.toml", dest / "wrangler.toml")
    shutil.copytree(REPO / "edge", dest / "edge", ignore=shutil.ignore_patterns("__pycache__"))
    urls = ", ".join(f'"/api/products/S{n}"' for n in range(PAGES))
    (dest / "edge" / "promotions.toml").write_text(
        f'[promotions.bench]\ncity = "san-francisco"\nat = [{AT[0]}, {AT[1]}]\n'
        f'starts = "{datetime.fromtimestamp(OPENS, UTC).isoformat()}"\n'
        f'lead = "{LEAD_S}s"\nbudget = {BUDGET}\nurls = [{urls}]\n',
        encoding="utf-8",
    )
    return dest / "wrangler.toml"


class Origin:
    """Product pages (warm class, an hour fresh), each request stamped by the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.times: list[float] = []

    async def handle(self, request: web.BaseRequest) -> web.Response:
        self.times.append(self.clock.now())
        return web.Response(
            text=f'{{"path": "{request.path}"}}',
            headers={
                "Content-Type": "application/json",
                "Cache-Control": "max-age=3600",
                "Date": formatdate(self.clock.now(), usegmt=True),  # the edge's clock, faked
            },
        )


@dataclass
class Run:
    warmed: bool
    busiest_minute: int
    warming_requests: int
    hits: int


async def _run(bundle: Path, warm: bool) -> Run:
    clock = FakeClock(OPENS - LEAD_S)
    origin = Origin(clock)
    runner = web.ServerRunner(web.Server(origin.handle), access_log=None)
    await runner.setup()
    origin_port, port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", origin_port).start()
    config = load_config(bundle)
    wiring = dev_wiring(config, f"http://127.0.0.1:{port}", "enterprise")
    emulator = Emulator(
        config,
        clock=clock,
        origin=f"http://127.0.0.1:{origin_port}",
        purge=wiring.purge,
        overrides=wiring.overrides,
        queue_loop=False,
    )
    await emulator.start("127.0.0.1", port)
    await emulator.cities_ready()
    try:
        if warm:
            await emulator.scheduled("* * * * *")
            while clock.now() < OPENS:
                await emulator.queues.pump(flush=True)
                await emulator.drain()
                clock.advance(1)
        warming = list(origin.times)
        clock.set(OPENS)
        headers = {GEO_HEADER: f"{AT[0]},{AT[1]}"}
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers=headers) as client:
            hits = 0
            for n in range(PAGES):
                async with client.get(f"/api/products/S{n}") as reply:
                    await reply.read()
                    hits += reply.headers.get("Cache-Status", "").startswith("popcache; hit")
    finally:
        await emulator.stop()
        await runner.cleanup()
    busiest = max(
        (sum(1 for t in warming if start <= t < start + 60) for start in warming), default=0
    )
    return Run(warm, busiest, len(warming), hits)


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="popcache-bench-warming-") as tmp:
        bundle = _bundle(Path(tmp))
        cold = asyncio.run(_run(bundle, warm=False))
        warmed = asyncio.run(_run(bundle, warm=True))
    heading(
        f"Warming a promotion (in-process emulator on a fake clock, the repository's bundle with "
        f"one promotion: {PAGES:,} product pages for shoppers at {AT[0]},{AT[1]}, budget "
        f"{BUDGET}/min, lead {LEAD_S} s); at the opening {PAGES:,} shoppers there ask for one "
        f"page each:"
    )
    table(
        ["run", "origin requests while warming", "busiest 60 s", "hit ratio at open"],
        [
            [
                "with the cron's warming",
                f"{warmed.warming_requests:,}",
                f"{warmed.busiest_minute}",
                f"{warmed.hits / PAGES:.1%}",
            ],
            ["without", f"{cold.warming_requests:,}", "-", f"{cold.hits / PAGES:.1%}"],
        ],
    )
    print(
        f"\nWarming kept the origin at {warmed.busiest_minute} requests in its busiest minute "
        f"({verdict(warmed.busiest_minute <= BUDGET)} ≤ {BUDGET}); the first request of each "
        f"shopper at the opening was a hit {warmed.hits / PAGES:.1%} of the time with warming, "
        f"{cold.hits / PAGES:.1%} without.",
        flush=True,
    )
