"""Inventory events end to end: the demo origin signs them, the edge bundle on the emulator
queues, coalesces and purges them through the emulated purge API, on every PoP
(docs/events.md)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from signature import sign

from emulator.cli import main
from emulator.devwiring import DEV_EVENTS_SECRET
from emulator.purgeapi import PurgeSettings
from emulator.purgecli import DEV_ADMIN_TOKEN

SKU, STORE = "APL-GALA-1KG", "chi-loop"
STOCK = f"/api/stores/{STORE}/inventory"
PRODUCT = f"/api/products/{SKU}"


@pytest.fixture
async def edge(popcache_emulator, repo: Path) -> Any:  # type: ignore[no-untyped-def]
    return await popcache_emulator(repo / "wrangler.toml", origin="demo")


async def status_of(edge: Any, path: str, pop: str) -> str:
    async with edge.client(pop=pop).get(path) as reply:
        assert reply.status == 200
        return reply.headers["Cache-Status"]


async def set_stock(edge: Any, qty: int) -> None:
    """Change stock at the demo origin, and wait until it has sent its event."""
    async with aiohttp.ClientSession(base_url=edge.emulator.origin) as origin:
        async with origin.get("/_admin/events") as reply:
            before = (await reply.json())["sent"]
        body = {"sku": SKU, "store_id": STORE, "qty": qty}
        async with origin.post("/_admin/stock", json=body) as reply:
            assert reply.status == 200
        for _ in range(200):
            async with origin.get("/_admin/events") as reply:
                if (await reply.json())["sent"] > before:
                    return
            await asyncio.sleep(0.01)
    raise AssertionError("the demo origin sent no event")


async def post_events(edge: Any, events: list[dict[str, Any]], secret: str) -> Any:
    body = json.dumps(events).encode()
    header = sign(body, [secret], int(edge.clock.now()))
    async with edge.client().post(
        "/_edge/events", data=body, headers={"Popcache-Signature": header}
    ) as reply:
        return reply.status, await reply.json()


def event(event_id: str = "e1", **fields: Any) -> dict[str, Any]:
    base = {"event_id": event_id, "type": "inventory.changed", "sku": SKU, "store_id": STORE}
    return base | {"ts": 1} | fields


async def test_a_stock_change_at_the_origin_purges_that_stock_in_every_pop(edge: Any) -> None:
    for pop in ("SFO", "LHR"):
        await status_of(edge, STOCK, pop)
        assert "hit" in await status_of(edge, STOCK, pop)
    await set_stock(edge, 7)
    await edge.drain()
    [purge] = edge.purges
    assert (purge.mode, purge.selector, purge.values) == ("hard", "tags", (f"sku:{SKU}@{STORE}",))
    for pop in ("SFO", "LHR"):
        assert "fwd=uri-miss" in await status_of(edge, STOCK, pop)


async def test_a_restock_cascades_hard_now_then_soft_later(edge: Any) -> None:
    await set_stock(edge, 0)
    await edge.drain()
    await status_of(edge, PRODUCT, "SFO")
    await set_stock(edge, 5)  # 0 -> 5: a restock
    await edge.drain()
    restocked = edge.purges[0]
    assert (restocked.mode, sorted(restocked.values)) == (
        "hard",
        [f"price:{SKU}", f"sku:{SKU}@{STORE}"],
    )
    edge.clock.advance(10)
    await edge.drain()
    assert (edge.purges[0].mode, edge.purges[0].values) == ("soft", (f"sku:{SKU}",))
    # Marked stale, not gone: served stale while one request refreshes it.
    assert "hit; fwd=stale" in await status_of(edge, PRODUCT, "SFO")
    edge.clock.advance(20)
    await edge.drain()
    assert edge.purges[0].mode == "soft"
    assert f"store:{STORE}" in edge.purges[0].values


async def test_invalidation_latency_is_exported_with_its_quantiles(edge: Any) -> None:
    await set_stock(edge, 9)
    await edge.drain()
    async with edge.client().get("/cdn-cgi/popcache/metrics") as reply:
        text = await reply.text()
    assert 'popcache_invalidation_latency_seconds{kind="inventory.changed",quantile="0.5"}' in text
    assert 'popcache_invalidation_latency_seconds{kind="inventory.changed",quantile="0.99"}' in text
    assert 'popcache_invalidation_latency_seconds_count{kind="inventory.changed"} 1.0' in text


async def test_a_bad_signature_is_401_and_nothing_is_queued(edge: Any) -> None:
    status, problem = await post_events(edge, [event()], "not-the-secret")
    assert (status, problem["reason"]) == (401, "mismatch")
    assert edge.queue_pending("popcache-events") == 0


async def test_a_redelivered_event_is_applied_once(popcache_emulator, repo: Path) -> None:  # type: ignore[no-untyped-def]
    edge = await popcache_emulator(repo / "wrangler.toml", origin="demo", queue_duplicates=1.0)
    status, _ = await post_events(edge, [event()], DEV_EVENTS_SECRET)
    assert status == 202
    await edge.drain()  # delivered, acknowledged, delivered again
    assert len(edge.purges) == 1
    assert edge.queue_pending("popcache-events") == 0


async def test_a_purge_api_that_keeps_refusing_lands_the_event_in_the_dead_letter_queue(
    edge: Any,
) -> None:
    edge.emulator.purge_api.configure(PurgeSettings(token="another-token"))
    assert (await post_events(edge, [event()], DEV_EVENTS_SECRET))[0] == 202
    for _ in range(8):  # max_retries = 5, retry_delay = 2 s
        await edge.drain()
        edge.clock.advance(3)
    assert edge.queue_pending("popcache-events") == 0
    assert edge.queue_pending("popcache-events-dlq") == 1
    assert edge.purges == []


async def test_the_purge_plans_rate_limit_is_kept_by_retrying_later(
    popcache_emulator, repo: Path
) -> None:  # type: ignore[no-untyped-def]
    edge = await popcache_emulator(
        repo / "wrangler.toml", origin="demo", purge=PurgeSettings(plan="free")
    )
    for n in range(3):
        body = [event(f"e{n}", sku=f"S{n}")]
        assert (await post_events(edge, body, DEV_EVENTS_SECRET))[0] == 202
        await edge.drain()
    assert len(edge.purges) == 3  # one call per delivered batch, within the free bucket


async def test_a_checkout_through_the_edge_purges_the_groups_it_names(edge: Any) -> None:
    client = edge.client(pop="SFO")
    item = {"sku": SKU, "store_id": STORE, "qty": 1}
    async with client.post("/api/cart/items", json=item) as reply:
        assert reply.status == 201
        session = reply.cookies["session"].value
    async with client.post("/api/checkout", headers={"Cookie": f"session={session}"}) as reply:
        assert reply.status == 201
        assert reply.headers["Cache-Group-Invalidation"] == f'"sku:{SKU}@{STORE}"'
    await edge.drain()
    assert any(
        purge.mode == "hard" and f"sku:{SKU.lower()}@{STORE}" in purge.values
        for purge in edge.purges
    )


async def test_the_admin_purge_needs_the_token_and_purges_every_pop(edge: Any) -> None:
    for pop in ("SFO", "ORD"):
        await status_of(edge, STOCK, pop)
    async with edge.client().post(
        "/_edge/purge", json={"tags": [f"store:{STORE}"]}, headers={"Authorization": "Bearer no"}
    ) as reply:
        assert reply.status == 401
    async with edge.client().post(
        "/_edge/purge",
        json={"tags": [f"store:{STORE}"]},
        headers={"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"},
    ) as reply:
        assert reply.status == 200
        assert (await reply.json())["tags"] == [f"store:{STORE}"]
    for pop in ("SFO", "ORD"):
        assert "fwd=uri-miss" in await status_of(edge, STOCK, pop)


async def test_popcache_purge_purges_through_the_edge(edge: Any, capsys) -> None:  # type: ignore[no-untyped-def]
    await status_of(edge, STOCK, "SFO")
    argv = ["purge", "--tag", f"store:{STORE}", "--soft", "--url", edge.url]
    assert await asyncio.to_thread(main, argv) == 0
    assert '"mode": "soft"' in capsys.readouterr().out
    assert (edge.purges[0].mode, edge.purges[0].values) == ("soft", (f"store:{STORE}",))


async def test_popcache_purge_names_the_option_at_fault(edge: Any, capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ["purge", "--tag", "two words", "--url", edge.url]
    assert await asyncio.to_thread(main, argv) == 2
    assert capsys.readouterr().err.startswith("popcache: --tag: ")
