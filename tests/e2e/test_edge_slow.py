"""A slow or overloaded origin end to end: the edge bundle on the emulator, a real origin on
loopback, and the emulator's fault injection slowing the way to it (docs/placeholders.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from scripted import ScriptedOrigin, answer, serve

STOCK = "/api/inventory/BEV-COFFEE"  # hot: a 500 ms budget


@pytest.fixture
async def origin(aiohttp_raw_server) -> ScriptedOrigin:  # type: ignore[no-untyped-def]
    return await serve(aiohttp_raw_server)


async def start(popcache_emulator, repo: Path, origin: ScriptedOrigin, **faults: object):  # type: ignore[no-untyped-def]
    spec = [{"path": "/api/**", **faults}] if faults else None
    return await popcache_emulator(repo / "wrangler.toml", origin=origin.url, faults=spec)


async def get(edge, path: str = STOCK, **headers: str):  # type: ignore[no-untyped-def]
    async with edge.client(pop="SFO").get(path, headers=headers) as reply:
        return reply.status, await reply.read(), reply.headers.copy()


async def test_a_slow_origin_gets_a_placeholder_and_the_poll_is_a_hit(
    popcache_emulator, repo: Path, origin: ScriptedOrigin
) -> None:
    edge = await start(popcache_emulator, repo, origin, latency_ms=1500)
    status, _, headers = await get(edge)
    assert status == 202
    assert headers["Location"] == STOCK
    assert int(headers["Retry-After"]) >= 1
    assert "detail=placeholder" in headers["Cache-Status"]
    await edge.drain()  # the fetch goes on through waitUntil and stores its answer
    status, body, headers = await get(edge)
    assert status == 200
    assert body == f"default {STOCK}".encode()
    assert headers["Cache-Status"].startswith("popcache; hit")
    assert origin.hits[STOCK] == 1


async def test_prefer_respond_async_answers_at_once(
    popcache_emulator, repo: Path, origin: ScriptedOrigin
) -> None:
    edge = await start(popcache_emulator, repo, origin, latency_ms=400)
    status, _, headers = await get(edge, Prefer="respond-async")
    assert status == 202
    assert headers["Preference-Applied"] == "respond-async"


async def test_an_overloaded_origin_is_a_503_problem_and_is_left_alone(
    popcache_emulator, repo: Path, origin: ScriptedOrigin
) -> None:
    async def overloaded(request: web.BaseRequest) -> web.Response:
        return web.Response(status=429, text="busy", headers={"Retry-After": "30"})

    origin.on(STOCK, overloaded)
    edge = await start(popcache_emulator, repo, origin)
    first = await get(edge)
    second = await get(edge)
    assert (first[0], second[0]) == (503, 503)
    assert first[2]["Content-Type"] == "application/problem+json"
    assert first[2]["Retry-After"] == "30"
    assert "received-status=429" in first[2]["Proxy-Status"]
    assert origin.hits[STOCK] == 1  # the second was held back while the origin rests


async def test_a_fast_origin_never_sees_a_placeholder(
    popcache_emulator, repo: Path, origin: ScriptedOrigin
) -> None:
    origin.on(STOCK, _quick)
    edge = await start(popcache_emulator, repo, origin)
    status, _, headers = await get(edge)
    assert status == 200
    assert "placeholder" not in headers["Cache-Status"]


async def _quick(request: web.BaseRequest) -> web.Response:
    return answer("3 in stock", "public, max-age=5")
