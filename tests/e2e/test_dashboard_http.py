"""The dashboard's files and demo buttons over real HTTP, on an in-process emulator in front of
the real demo origin (docs/observability.md#dashboard)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator.app import Emulator
from emulator.clock import FakeClock
from emulator.dashboard import DASHBOARD_PATH, MODE_ENDPOINT, RESTOCK_ENDPOINT
from emulator.wrangler import load_config

# Sold out at that store in the seed data, so setting it is a restock.
RESTOCK = {"sku": "BEV-COFFEE", "store_id": "sf-mission", "qty": 24}


@pytest.fixture
async def edge(popcache_emulator: Any, repo: Path) -> Any:
    return await popcache_emulator(repo / "wrangler.toml", origin="demo")


@pytest.fixture
async def client(edge: Any) -> aiohttp.ClientSession:
    session: aiohttp.ClientSession = edge.client()
    return session


async def post(client: aiohttp.ClientSession, path: str, body: Any) -> tuple[int, Any]:
    async with client.post(path, json=body) as reply:
        return reply.status, await reply.json(content_type=None)


async def origin_json(edge: Any, path: str) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{edge.emulator.origin}{path}") as reply,
    ):
        return await reply.json()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        (DASHBOARD_PATH, "text/html"),
        (f"{DASHBOARD_PATH}dashboard.js", "text/javascript"),
        (f"{DASHBOARD_PATH}dashboard.css", "text/css"),
    ],
)
async def test_the_dashboard_files_are_served_from_the_package(
    client: aiohttp.ClientSession, path: str, content_type: str
) -> None:
    async with client.get(path) as reply:
        assert reply.status == 200
        assert reply.content_type == content_type
        assert await reply.read()


async def test_the_page_may_load_only_its_own_files(client: aiohttp.ClientSession) -> None:
    async with client.get(DASHBOARD_PATH) as reply:
        policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy


async def test_the_bare_prefix_redirects_to_the_page(client: aiohttp.ClientSession) -> None:
    async with client.get(DASHBOARD_PATH.rstrip("/"), allow_redirects=False) as reply:
        assert reply.status == 301
        assert reply.headers["Location"] == DASHBOARD_PATH


async def test_the_mode_button_switches_the_demo_origin(
    edge: Any, client: aiohttp.ClientSession
) -> None:
    status, answer = await post(client, MODE_ENDPOINT, {"mode": "overloaded"})
    assert (status, answer["mode"]) == (200, "overloaded")
    assert (await origin_json(edge, "/_admin/mode"))["mode"] == "overloaded"


async def test_a_restock_sets_the_stock_at_the_demo_origin(
    edge: Any, client: aiohttp.ClientSession
) -> None:
    status, answer = await post(client, RESTOCK_ENDPOINT, RESTOCK)
    assert (status, answer["qty"]) == (200, RESTOCK["qty"])
    stock = await origin_json(
        edge, f"/api/inventory/{RESTOCK['sku']}?store_id={RESTOCK['store_id']}"
    )
    assert stock["total_qty"] == RESTOCK["qty"]


async def test_a_restock_reaches_the_edge_as_an_event_and_purges(
    edge: Any, client: aiohttp.ClientSession
) -> None:
    await post(client, RESTOCK_ENDPOINT, RESTOCK)
    for _ in range(200):
        if (await origin_json(edge, "/_admin/events"))["sent"]:
            break
        await asyncio.sleep(0.01)
    await edge.drain()
    assert f"sku:{RESTOCK['sku']}@{RESTOCK['store_id']}" in edge.purges[-1].values


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (MODE_ENDPOINT, {"mode": "sleepy"}, "mode"),
        (MODE_ENDPOINT, {}, "mode"),
        (MODE_ENDPOINT, {"mode": "slow", "for": 5}, "for"),
        (MODE_ENDPOINT, ["slow"], "body"),
        (RESTOCK_ENDPOINT, {**RESTOCK, "sku": ""}, "sku"),
        (RESTOCK_ENDPOINT, {**RESTOCK, "store_id": "x" * 65}, "store_id"),
        (RESTOCK_ENDPOINT, {**RESTOCK, "qty": "24"}, "qty"),
        (RESTOCK_ENDPOINT, {**RESTOCK, "qty": 0}, "qty"),
        (RESTOCK_ENDPOINT, {**RESTOCK, "qty": True}, "qty"),
        (RESTOCK_ENDPOINT, {"sku": "BEV-COFFEE", "store_id": "sf-mission"}, "qty"),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field(
    client: aiohttp.ClientSession, path: str, body: Any, field: str
) -> None:
    async with client.post(path, json=body) as reply:
        assert reply.status == 400
        assert reply.content_type == "application/problem+json"
        assert (await reply.json(content_type=None))["field"] == field


async def test_a_body_that_is_not_json_is_a_400_naming_the_body(
    client: aiohttp.ClientSession,
) -> None:
    async with client.post(MODE_ENDPOINT, data=b"slow") as reply:
        assert reply.status == 400
        assert (await reply.json(content_type=None))["field"] == "body"


async def test_an_unknown_sku_is_the_origins_404_naming_it(
    client: aiohttp.ClientSession,
) -> None:
    status, problem = await post(client, RESTOCK_ENDPOINT, {**RESTOCK, "sku": "NOPE"})
    assert (status, problem["field"]) == (404, "sku")


async def test_the_demo_buttons_take_only_post(client: aiohttp.ClientSession) -> None:
    async with client.get(MODE_ENDPOINT) as reply:
        assert reply.status == 405
        assert reply.headers["Allow"] == "POST"


async def test_a_post_from_another_site_is_refused(client: aiohttp.ClientSession) -> None:
    headers = {"Origin": "http://elsewhere.example"}
    async with client.post(MODE_ENDPOINT, json={"mode": "slow"}, headers=headers) as reply:
        assert reply.status == 403
        assert (await reply.json(content_type=None))["field"] == "Origin"


async def test_the_demo_buttons_are_a_404_in_front_of_another_origin(
    popcache_emulator: Any, repo: Path
) -> None:
    edge = await popcache_emulator(repo / "wrangler.toml", origin="http://127.0.0.1:9")
    status, problem = await post(edge.client(), MODE_ENDPOINT, {"mode": "slow"})
    assert status == 404
    assert problem["title"] == "No demo origin"


@pytest.fixture
async def unreachable_demo(repo: Path) -> AsyncIterator[str]:
    """An emulator told its demo origin is at a port nothing listens on; its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator = Emulator(
        load_config(repo / "wrangler.toml"),
        clock=FakeClock(),
        origin=f"http://127.0.0.1:{port}",
        demo_origin=True,
        queue_loop=False,
    )
    url = await emulator.start("127.0.0.1", 0)
    yield url
    await emulator.stop()


async def test_an_unreachable_demo_origin_is_a_502(unreachable_demo: str) -> None:
    async with aiohttp.ClientSession(base_url=unreachable_demo) as client:
        status, problem = await post(client, MODE_ENDPOINT, {"mode": "slow"})
    assert status == 502
    assert problem["field"] == "origin"
