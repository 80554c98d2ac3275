"""Warming a city promotion (issue #9): the origin's load while warming, and the hit ratio at
the opening in every PoP, with and without it.

A copy of the edge bundle whose ``promotions.toml`` holds one promotion: 1,000 product pages
for shoppers in San Francisco, a budget of 600 requests a minute, a lead of 2 minutes. It runs
in an in-process emulator with Tiered Cache's upper tier on, on a fake clock (the queue's
delays are what spread the warming, so the clock is what they are measured by), in front of a
counting origin on loopback. The cron runs once, 2 minutes before the opening; then the clock
moves a second at a time and the queue delivers what is due. Measured: the most origin
requests in any 60 s of the warming (target: at most the budget), and, at the opening, for
each PoP (pinned with ``X-Popcache-Pop``), shoppers at the promotion's point asking for every
page once: the share that are hits, in the PoP's own cache (the lower tier: ``popcache; hit``)
or in the upper tier (its ``Cache-Status`` member says ``hit``), next to the same run without
the cron. Each PoP is measured in an emulator of its own, so that one PoP's shoppers never fill
the upper tier for the next: each figure is the first request of the promotion there.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path

import aiohttp
from aiohttp import web

from emulator.anycast import GEO_HEADER, POP_HEADER
from emulator.app import Emulator
from emulator.clock import FakeClock
from emulator.devwiring import dev_wiring
from emulator.topology import DEFAULT_TOPOLOGY
from emulator.wrangler import load_config

from .measure import free_port
from .report import heading, table, verdict

REPO = Path(__file__).resolve().parent.parent
PAGES = 1000
BUDGET = 600
LEAD_S = 120
OPENS = datetime(2026, 12, 1, 18, 0, tzinfo=UTC).timestamp()
AT = (37.7749, -122.4194)
LOWER = "popcache"  # the edge's own Cache-Status member (edge/cachestatus.py)


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
    lower_hits: int
    upper_hits: int

    @property
    def hit_ratio(self) -> float:
        return (self.lower_hits + self.upper_hits) / PAGES


def hit_layer(cache_status: str, upper: str) -> str | None:
    """Which cache a ``Cache-Status`` says answered: ``"lower"`` (the PoP's, popcache's member
    says hit), ``"upper"`` (the upper tier's member does), else None."""
    hits = {
        member.split(";")[0].strip()
        for member in cache_status.split(",")
        if "hit" in (part.strip() for part in member.split(";")[1:])
    }
    if LOWER in hits:
        return "lower"
    return "upper" if upper in hits else None


async def _run(bundle: Path, warm: bool, colo: str) -> Run:
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
        tiered=True,
    )
    assert emulator.upper_tier is not None
    upper = emulator.upper_tier.name
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
        headers = {GEO_HEADER: f"{AT[0]},{AT[1]}", POP_HEADER: colo}
        layers: Counter[str | None] = Counter()
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers=headers) as client:
            for n in range(PAGES):
                async with client.get(f"/api/products/S{n}") as reply:
                    await reply.read()
                    layers[hit_layer(reply.headers.get("Cache-Status", ""), upper)] += 1
    finally:
        await emulator.stop()
        await runner.cleanup()
    busiest = max(
        (sum(1 for t in warming if start <= t < start + 60) for start in warming), default=0
    )
    return Run(warm, busiest, len(warming), layers["lower"], layers["upper"])


def _hits(run: Run) -> str:
    return f"{run.hit_ratio:.1%} ({run.lower_hits:,} lower, {run.upper_hits:,} upper)"


def run(args: argparse.Namespace) -> None:
    colos = [site.colo for site in DEFAULT_TOPOLOGY.pops]
    with tempfile.TemporaryDirectory(prefix="popcache-bench-warming-") as tmp:
        bundle = _bundle(Path(tmp))
        warmed = {colo: asyncio.run(_run(bundle, True, colo)) for colo in colos}
        cold = {colo: asyncio.run(_run(bundle, False, colo)) for colo in colos}
    heading(
        f"Warming a promotion (in-process emulator with the upper tier on, on a fake clock, the "
        f"repository's bundle with one promotion: {PAGES:,} product pages for shoppers at "
        f"{AT[0]},{AT[1]}, budget {BUDGET}/min, lead {LEAD_S} s); at the opening, in each PoP "
        f"(an emulator of its own), shoppers there ask for each page once; a hit is the PoP's "
        f"(lower) or the upper tier's:"
    )
    table(
        [
            "PoP",
            "hit ratio at open, with warming",
            "without",
            "origin requests while warming",
            "busiest 60 s",
        ],
        [
            [
                colo,
                _hits(warmed[colo]),
                _hits(cold[colo]),
                f"{warmed[colo].warming_requests:,}",
                f"{warmed[colo].busiest_minute}",
            ]
            for colo in colos
        ],
    )
    busiest = max(run.busiest_minute for run in warmed.values())
    lowest = min(run.hit_ratio for run in warmed.values())
    paced = verdict(busiest <= BUDGET, f"warming ≤ {BUDGET} origin requests a minute", f"{busiest}")
    every_pop = verdict(lowest == 1, "a hit at the opening in every PoP", f"{lowest:.1%}")
    print(
        f"\nWarming kept the origin at {busiest} requests in its busiest minute "
        f"({paced} ≤ {BUDGET}); the first request of the promotion in "
        f"every PoP was a hit at least {lowest:.1%} of the time with warming "
        f"({every_pop} 100%), at most "
        f"{max(run.hit_ratio for run in cold.values()):.1%} without.",
        flush=True,
    )
