"""Warming end to end: the cron queues a promotion's paths, the queue spreads them, the edge
fetches them as a shopper of the city, and that shopper's first request is a hit
(docs/promotions.md)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from emulator.clock import FakeClock

# sf-coffee-week's first delivery window opens 2026-12-01 10:00 in San Francisco; lead 15 min.
BEFORE_OPENING = datetime.fromisoformat("2026-12-01T09:50:00-08:00").timestamp()
SF = (37.7749, -122.4194)
PRODUCT = "/api/products/BEV-COFFEE"


async def start(popcache_emulator: Any, repo: Path) -> Any:
    edge = await popcache_emulator(
        repo / "wrangler.toml", origin="demo", clock=FakeClock(BEFORE_OPENING)
    )
    return edge


async def cache_status(edge: Any, path: str) -> str:
    async with edge.client(geo=SF).get(path) as reply:
        assert reply.status == 200
        assert reply.headers["CF-Ray"].endswith("-SFO")
        return reply.headers["Cache-Status"]


async def test_the_first_shopper_after_warming_gets_a_hit(
    popcache_emulator: Any, repo: Path
) -> None:
    edge = await start(popcache_emulator, repo)
    await edge.scheduled("* * * * *")
    assert edge.queue_pending("popcache-events") == 4  # three URLs and the pdp view
    edge.clock.advance(10)  # budget 60/min: one a second
    await edge.drain()
    assert edge.queue_pending("popcache-events") == 0
    assert (await cache_status(edge, PRODUCT)).startswith("popcache; hit")


async def test_without_warming_the_first_shopper_misses(popcache_emulator: Any, repo: Path) -> None:
    edge = await start(popcache_emulator, repo)
    assert "fwd=uri-miss" in await cache_status(edge, PRODUCT)


async def test_each_opening_is_warmed_once(popcache_emulator: Any, repo: Path) -> None:
    edge = await start(popcache_emulator, repo)
    await edge.scheduled("* * * * *")
    edge.clock.advance(60)
    await edge.scheduled("* * * * *")
    assert edge.queue_pending("popcache-events") == 4


async def test_warmed_entries_carry_the_promotions_tag(popcache_emulator: Any, repo: Path) -> None:
    edge = await start(popcache_emulator, repo)
    await edge.scheduled("* * * * *")
    edge.clock.advance(10)
    await edge.drain()
    api = edge.emulator.purge_api.settings
    async with edge.client().post(
        f"{edge.purge_api_base}/zones/{api.zone_id}/purge_cache",
        json={"tags": ["promo:sf-coffee-week"]},
        headers={"Authorization": f"Bearer {api.token}"},
    ) as reply:
        assert reply.status == 200
    assert edge.purges[0].affected >= 1
    assert "fwd=uri-miss" in await cache_status(edge, PRODUCT)


async def test_popcache_warm_warms_the_pop_serving_the_promotions_shoppers(
    popcache_emulator: Any, repo: Path, capsys: Any
) -> None:
    from emulator.cli import main

    edge = await start(popcache_emulator, repo)
    argv = ["warm", "--promotion", "sf-coffee-week", "--url", edge.url]
    assert await asyncio.to_thread(main, argv) == 0
    assert "warmed 4 of 4 path(s)" in capsys.readouterr().out
    assert (await cache_status(edge, PRODUCT)).startswith("popcache; hit")


def test_popcache_warm_dry_run_shows_the_plan_and_fetches_nothing(capsys: Any) -> None:
    from emulator.cli import main

    assert main(["warm", "--promotion", "chicago-bake-sale", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "one every 2 s (budget 30/min)" in out
    assert "+    6.0 s  /_edge/views/pdp?sku=BRD-SOURDOUGH" in out


def test_popcache_warm_names_an_unknown_promotion(capsys: Any) -> None:
    from emulator.cli import main

    assert main(["warm", "--promotion", "nope", "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("popcache: --promotion: no promotion 'nope'")
