"""Tiered Cache's upper tier over real HTTP: a Worker that relays to its origin without a cache
of its own, so what the PoPs get is what the tier gave them, and a scripted origin that counts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from scripted import ScriptedOrigin, answer, serve

from emulator.purgeapi import DEV_API_TOKEN, DEV_ZONE_ID, PURGE_API_PATH
from emulator.pytest_plugin import EmulatorHandle

RELAY = '''
"""Relays every request to the origin and answers with what it got, caching nothing itself."""
from workers import WorkerEntrypoint, fetch


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("://", 1)[1].partition("/")[2]
        method = f"{request.method}"
        body = None if method in ("GET", "HEAD") else await request.text()
        return await fetch(f"{self.env.ORIGIN}/{path}", method=method, body=body)
'''
PAGE = "/api/products/1"
AUTH = {"Authorization": f"Bearer {DEV_API_TOKEN}"}
ZONE = f"{PURGE_API_PATH}/zones/{DEV_ZONE_ID}"

Start = Callable[..., Awaitable[EmulatorHandle]]


@pytest.fixture
def relay(tmp_path: Path) -> Path:
    (tmp_path / "worker.py").write_text(RELAY)
    config = tmp_path / "wrangler.toml"
    config.write_text(
        'name = "relay"\nmain = "worker.py"\ncompatibility_flags = ["python_workers"]\n'
    )
    return config


@pytest.fixture
async def origin(aiohttp_raw_server: Any) -> ScriptedOrigin:
    scripted = await serve(aiohttp_raw_server)
    scripted.answers(
        PAGE, lambda: answer("product 1", "public, max-age=60", **{"Cache-Tag": "product:1"})
    )
    return scripted


@pytest.fixture
def start(popcache_emulator: Start, relay: Path, origin: ScriptedOrigin) -> Start:
    async def run(**options: Any) -> EmulatorHandle:
        return await popcache_emulator(relay, origin=origin.url, **options)

    return run


async def get(emu: EmulatorHandle, colo: str, path: str = PAGE) -> tuple[int, str, Any]:
    async with emu.client(pop=colo).get(path) as response:
        return response.status, await response.text(), response.headers.copy()


async def purge(emu: EmulatorHandle, endpoint: str, body: dict[str, Any]) -> None:
    async with emu.client().post(f"{ZONE}/{endpoint}", json=body, headers=AUTH) as response:
        assert response.status == 200, await response.text()


async def test_a_miss_in_sfo_makes_lhr_a_hit_and_the_origin_is_asked_once(start, origin):
    emu = await start()
    _, _, sfo = await get(emu, "SFO")
    status, body, lhr = await get(emu, "LHR")
    assert (status, body) == (200, "product 1")
    assert origin.hits[PAGE] == 1
    assert sfo["CF-Cache-Status"] == "MISS"
    assert sfo["Cache-Status"] == "popcache-upper; fwd=uri-miss; fwd-status=200; stored"
    assert lhr["CF-Cache-Status"] == "HIT"
    assert lhr["Cache-Status"].startswith("popcache-upper; hit; ttl=")


async def test_the_worker_gets_the_origins_cache_tag_from_a_hit(start):
    emu = await start()
    await get(emu, "SFO")
    _, _, headers = await get(emu, "ORD")
    assert headers["Cache-Tag"] == "product:1"


async def test_a_tag_purge_through_the_purge_api_sends_the_next_request_to_the_origin(
    start, origin
):
    emu = await start()
    await get(emu, "SFO")
    await purge(emu, "purge_cache", {"tags": ["product:1"]})
    _, _, headers = await get(emu, "LHR")
    assert origin.hits[PAGE] == 2
    assert headers["CF-Cache-Status"] == "MISS"
    assert emu.purges[0].pops["UPPER"] == 1


async def test_an_invalidation_makes_the_next_request_refetch_as_expired(start, origin):
    emu = await start()
    await get(emu, "SFO")
    await purge(emu, "invalidate_cache", {"tags": ["product:1"]})
    _, _, headers = await get(emu, "LHR")
    assert origin.hits[PAGE] == 2
    assert headers["CF-Cache-Status"] == "EXPIRED"


async def test_the_entry_expires_with_the_emulators_clock(start, origin):
    emu = await start()
    await get(emu, "SFO")
    emu.clock.advance(60)
    await get(emu, "ORD")
    assert origin.hits[PAGE] == 2


async def test_a_stampede_from_every_pop_reaches_the_origin_once(start, origin):
    async def slow(request: web.BaseRequest) -> web.Response:
        await asyncio.sleep(0.3)
        return answer("slow product", "public, max-age=60")

    origin.on("/slow", slow)
    emu = await start()
    results = await asyncio.gather(
        *(get(emu, colo, "/slow") for colo in ("SFO", "ORD", "LHR") for _ in range(5))
    )
    assert origin.hits["/slow"] == 1
    assert {body for _, body, _ in results} == {"slow product"}
    assert emu.upper_tier is not None
    assert (emu.upper_tier.misses, emu.upper_tier.collapsed) == (1, 14)


async def test_without_tiered_cache_every_pop_reaches_the_origin(start, origin):
    emu = await start(tiered=False)
    for colo in ("SFO", "ORD", "LHR"):
        _, _, headers = await get(emu, colo)
        assert "popcache-upper" not in headers.get("Cache-Status", "")
    assert origin.hits[PAGE] == 3
    assert emu.upper_tier is None


async def test_a_topology_file_can_turn_the_tier_off(start, origin, tmp_path):
    topology = tmp_path / "topology.toml"
    pops = "".join(
        f'[[pop]]\ncolo = "{colo}"\ncity = "{colo}"\ncountry = "US"\n'
        f"latitude = {lat}\nlongitude = -100\n"
        for colo, lat in (("AAA", 30), ("BBB", 40))
    )
    topology.write_text(pops + "[upper_tier]\nenabled = false\n")
    emu = await start(topology=topology)
    await get(emu, "AAA")
    await get(emu, "BBB")
    assert origin.hits[PAGE] == 2


async def test_a_post_passes_the_tier_by(start, origin):
    emu = await start()
    for _ in range(2):
        async with emu.client(pop="SFO").post(PAGE, data="x") as response:
            assert "CF-Cache-Status" not in response.headers
    assert origin.hits[PAGE] == 2
    assert emu.upper_tier is not None
    assert emu.upper_tier.to_json()["misses"] == 0


async def test_popcache_dev_no_tiered_cache_sends_every_pop_to_the_origin(
    relay: Path, origin: ScriptedOrigin
):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "dev",
        "-c",
        str(relay),
        "--port",
        "0",
        "--in-memory",
        "--no-reload",
        "--origin",
        origin.url,
        "--no-tiered-cache",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("popcache dev: ready on "), line
        url = line.split()[4]
        async with aiohttp.ClientSession() as session:
            for colo in ("SFO", "LHR"):
                async with session.get(f"{url}{PAGE}", headers={"X-Popcache-Pop": colo}) as reply:
                    assert reply.status == 200
                    assert "popcache-upper" not in reply.headers.get("Cache-Status", "")
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), 30)
    assert origin.hits[PAGE] == 2
