"""The edge bundle as a caching proxy, over real HTTP, in front of a real origin that counts.

Each test scripts the origin's answer for a path, drives the emulator's front door with a real
client, and checks what the client got and how often the origin was asked. Time moves with the
emulator's fake clock, which the edge reads through ``Date.now()`` as it would on Cloudflare.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from aiohttp import web
from multidict import CIMultiDict
from scripted import ScriptedOrigin, answer, serve

WARM = "/api/products/BEV-COFFEE"


@pytest.fixture
async def origin(aiohttp_raw_server) -> ScriptedOrigin:  # type: ignore[no-untyped-def]
    return await serve(aiohttp_raw_server)


@pytest.fixture
async def edge(popcache_emulator, repo: Path, origin: ScriptedOrigin):  # type: ignore[no-untyped-def]
    return await popcache_emulator(repo / "wrangler.toml", origin=origin.url)


@pytest.fixture
async def edge_alone(popcache_emulator, repo: Path, origin: ScriptedOrigin):  # type: ignore[no-untyped-def]
    """The edge with no upper tier: every PoP miss reaches the origin, which these tests count."""
    return await popcache_emulator(repo / "wrangler.toml", origin=origin.url, tiered=False)


async def get(edge, path: str, **headers: str) -> tuple[int, str, CIMultiDict[str]]:  # type: ignore[no-untyped-def]
    async with edge.client(pop="SFO").get(path, headers=headers) as response:
        return response.status, await response.text(), response.headers.copy()


def cache_status(headers: Mapping[str, str]) -> list[str]:
    return [part.strip() for part in headers["Cache-Status"].split(";")]


async def test_a_second_get_is_a_hit_and_the_origin_is_asked_once(edge_alone, origin):
    edge = edge_alone
    first = await get(edge, WARM)
    second = await get(edge, WARM)
    assert origin.hits[WARM] == 1
    assert cache_status(first[2])[:2] == ["popcache", "fwd=uri-miss"]
    assert "stored" in cache_status(first[2])
    assert cache_status(second[2])[:2] == ["popcache", "hit"]
    assert second[1] == first[1] == f"default {WARM}"


async def test_a_hit_carries_its_age(edge):
    await get(edge, WARM)
    edge.clock.advance(7)
    _, _, headers = await get(edge, WARM)
    assert headers["Age"] == "7"
    assert "ttl=53" in cache_status(headers)


async def test_a_response_with_set_cookie_is_never_stored(edge, origin):
    origin.answers(WARM, lambda: answer("mine", "public, max-age=60", **{"Set-Cookie": "s=1"}))
    await get(edge, WARM)
    _, _, headers = await get(edge, WARM)
    assert origin.hits[WARM] == 2
    assert "detail=set-cookie" in cache_status(headers)


async def test_a_request_with_authorization_bypasses_the_cache(edge, origin):
    await get(edge, WARM)
    _, _, headers = await get(edge, WARM, Authorization="Bearer t")
    assert origin.hits[WARM] == 2
    assert "fwd=request" in cache_status(headers)
    assert origin.requests[-1].headers["Authorization"] == "Bearer t"


async def test_tracking_parameters_share_one_key(edge, origin):
    await get(edge, "/api/products?category=dairy&utm_source=mail")
    _, _, headers = await get(edge, "/api/products?gclid=x&category=dairy")
    assert origin.hits["/api/products"] == 1
    assert "hit" in cache_status(headers)


async def test_a_304_from_the_origin_refreshes_the_stored_entry(edge, origin):
    origin.answers(
        WARM,
        lambda: answer("v1", "public, max-age=10", ETag='"v1"'),
        lambda: web.Response(status=304, headers={"ETag": '"v1"', "Cache-Control": "max-age=30"}),
    )
    await get(edge, WARM)
    edge.clock.advance(100)  # past the warm class's stale-while-revalidate too
    status, body, headers = await get(edge, WARM)
    assert (status, body) == (200, "v1")
    assert origin.requests[-1].headers["If-None-Match"] == '"v1"'
    assert {"fwd=stale", "fwd-status=304", "stored"} <= set(cache_status(headers))
    edge.clock.advance(20)
    _, _, headers = await get(edge, WARM)
    assert "hit" in cache_status(headers)
    assert origin.hits[WARM] == 2


async def test_stale_while_revalidate_serves_stale_and_refreshes_in_the_background(edge, origin):
    origin.answers(
        WARM,
        lambda: answer("v1", "public, max-age=10, stale-while-revalidate=60"),
        lambda: answer("v2", "public, max-age=10, stale-while-revalidate=60"),
    )
    await get(edge, WARM)
    edge.clock.advance(15)
    _, body, headers = await get(edge, WARM)
    assert body == "v1"
    assert {"hit", "fwd=stale", "detail=stale-while-revalidate"} <= set(cache_status(headers))
    await edge.drain()
    assert origin.hits[WARM] == 2
    _, body, headers = await get(edge, WARM)
    assert body == "v2"
    assert "hit" in cache_status(headers)


async def test_stale_if_error_serves_the_stored_copy_when_the_origin_fails(edge, origin):
    origin.answers(
        WARM,
        lambda: answer("good", "public, max-age=10, stale-if-error=600"),
        lambda: web.Response(status=503, text="down", headers={"Cache-Control": "no-store"}),
    )
    await get(edge, WARM)
    edge.clock.advance(100)  # past the warm class's stale-while-revalidate
    status, body, headers = await get(edge, WARM)
    assert (status, body) == (200, "good")
    assert {"fwd=stale", "fwd-status=503", "detail=stale-if-error"} <= set(cache_status(headers))


async def test_stale_if_error_serves_the_stored_copy_when_the_origin_refuses_connections(
    popcache_emulator, repo, aiohttp_raw_server
):
    async def good(request: web.BaseRequest) -> web.Response:
        return answer("good", "public, max-age=10, stale-if-error=600")

    server = await aiohttp_raw_server(good)
    edge = await popcache_emulator(
        repo / "wrangler.toml", origin=str(server.make_url("")).rstrip("/")
    )
    await get(edge, WARM)
    await server.close()
    edge.clock.advance(100)
    status, body, headers = await get(edge, WARM)
    assert (status, body) == (200, "good")
    assert "detail=stale-if-error" in cache_status(headers)


async def test_an_unreachable_origin_without_a_stored_copy_is_a_502_problem(
    popcache_emulator, repo, unused_tcp_port
):
    edge = await popcache_emulator(
        repo / "wrangler.toml", origin=f"http://127.0.0.1:{unused_tcp_port}"
    )
    status, body, headers = await get(edge, WARM)
    assert status == 502
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 502
    assert headers["Proxy-Status"].startswith("popcache; error=connection_refused")


async def test_a_successful_unsafe_request_invalidates_its_target(edge_alone, origin):
    edge = edge_alone
    await get(edge, WARM)
    async with edge.client(pop="SFO").post(WARM, data="{}") as response:
        assert "fwd=method" in cache_status(response.headers)
    _, _, headers = await get(edge, WARM)
    assert origin.hits[WARM] == 3
    assert "fwd=uri-miss" in cache_status(headers)


async def test_an_unsafe_request_invalidates_the_location_it_names(edge_alone, origin):
    edge = edge_alone

    async def created(request: web.BaseRequest) -> web.Response:
        return web.Response(status=201, headers={"Location": WARM})

    origin.on("/api/products", created)
    await get(edge, WARM)
    async with edge.client(pop="SFO").post("/api/products", data="{}") as response:
        assert response.status == 201
    await get(edge, WARM)
    assert origin.hits[WARM] == 2


async def test_a_stampede_on_one_cold_key_makes_one_origin_request(edge, origin):
    async def slow(request: web.BaseRequest) -> web.Response:
        await asyncio.sleep(0.3)
        return answer("fresh", "public, max-age=60")

    origin.on(WARM, slow)
    results = await asyncio.gather(*(get(edge, WARM) for _ in range(50)))
    assert origin.hits[WARM] == 1
    assert {body for _, body, _ in results} == {"fresh"}
    assert sum("collapsed" in cache_status(headers) for _, _, headers in results) == 49


async def test_head_is_answered_from_a_stored_get(edge, origin):
    await get(edge, WARM)
    async with edge.client(pop="SFO").head(WARM) as response:
        assert response.status == 200
        assert "hit" in cache_status(response.headers)
        assert await response.read() == b""
    assert origin.hits[WARM] == 1


async def test_responses_vary_on_accept_language(edge, origin):
    async def localized(request: web.BaseRequest) -> web.Response:
        language = request.headers.get("Accept-Language", "")
        return answer(language, "public, max-age=60", Vary="Accept-Language")

    origin.on(WARM, localized)
    for language in ("en-US", "fr-FR", "en-US,en;q=0.5", "fr-FR"):
        _, body, _ = await get(edge, WARM, **{"Accept-Language": language})
        assert body.startswith(language[:5])
    assert origin.hits[WARM] == 2


async def test_vary_star_is_never_stored(edge, origin):
    origin.answers(WARM, lambda: answer("x", "public, max-age=60", Vary="*"))
    await get(edge, WARM)
    _, _, headers = await get(edge, WARM)
    assert origin.hits[WARM] == 2
    assert "detail=vary" in cache_status(headers)


async def test_the_key_is_shown_only_to_a_debug_request(edge):
    _, _, plain = await get(edge, WARM)
    _, _, debug = await get(edge, WARM, **{"Popcache-Debug": "1"})
    assert "key=" not in plain["Cache-Status"]
    assert '/warm/city%3Aus%3Aca%3Adaly-city/~/~/api/products/BEV-COFFEE"' in debug["Cache-Status"]


async def test_cache_tags_never_reach_the_client(edge, origin):
    origin.answers(
        WARM,
        lambda: answer(
            "x",
            "public, max-age=60",
            **{"Cache-Tag": "a,b", "Surrogate-Key": "c d", "Cache-Groups": '"e"'},
        ),
    )
    for _ in range(2):
        _, _, headers = await get(edge, WARM)
        assert not {"Cache-Tag", "Surrogate-Key", "Cache-Groups"} & set(headers)


async def test_stored_tags_purge_the_entry(edge_alone, origin):
    edge = edge_alone
    origin.answers(WARM, lambda: answer("x", "public, max-age=60", **{"Cache-Tag": "Product:1"}))
    await get(edge, WARM)
    assert edge.emulator.pops["SFO"].caches.purge_tags(["product:1"]) == 1
    await get(edge, WARM)
    assert origin.hits[WARM] == 2


async def test_hot_content_tells_browsers_not_to_store_it(edge, origin):
    _, _, headers = await get(edge, "/api/inventory/BEV-COFFEE")
    assert headers["Cache-Control"] == "no-store"


async def test_bypass_routes_are_never_looked_up_or_stored(edge_alone, origin):
    edge = edge_alone
    for _ in range(2):
        _, _, headers = await get(edge, "/api/cart")
        assert "fwd=bypass" in cache_status(headers)
    assert origin.hits["/api/cart"] == 2


async def test_the_origin_learns_who_asked_and_for_which_host(edge, origin):
    await get(edge, WARM, **{"X-Forwarded-For": "198.51.100.7", "Connection": "close"})
    seen = origin.requests[-1].headers
    assert seen["CF-Connecting-IP"] == "127.0.0.1"
    assert seen["X-Forwarded-For"] == "198.51.100.7, 127.0.0.1"
    assert seen["X-Forwarded-Proto"] == "http"
    assert seen["X-Forwarded-Host"].startswith("127.0.0.1:")


@pytest.mark.parametrize(
    "hostile",
    [
        {"Cache-Control": 'max-age="', "Age": "-5", "Expires": "tomorrow", "Date": "\x80"},
        {"Cache-Control": "max-age=99999999999999999999999", "Age": "9" * 40},
        CIMultiDict(("Cache-Tag", f"t{line}-" + "x" * 7000) for line in range(4)),
        {"CDN-Cache-Control": "max-age=?1;;", "Surrogate-Key": " " * 9000},
    ],
)
async def test_hostile_origin_headers_are_served_never_raised(edge, origin, hostile):
    origin.answers(WARM, lambda: web.Response(text="ok", headers=hostile))
    for _ in range(2):
        status, body, _ = await get(edge, WARM)
        assert (status, body) == (200, "ok")


@pytest.fixture
def bundle(tmp_path: Path, repo: Path) -> Callable[[str], Path]:
    """A copy of the edge bundle with its own routes.toml (and so no promotions: theirs name
    the demo's views); returns its wrangler.toml."""

    def make(routes: str) -> Path:
        shutil.copytree(repo / "edge", tmp_path / "edge", ignore=shutil.ignore_patterns("__*"))
        (tmp_path / "edge" / "routes.toml").write_text(routes)
        (tmp_path / "edge" / "promotions.toml").write_text("")
        shutil.copy(repo / "wrangler.toml", tmp_path / "wrangler.toml")
        return tmp_path / "wrangler.toml"

    return make


async def test_an_origin_slower_than_the_timeout_is_a_504_problem(
    popcache_emulator, bundle, origin
):
    async def slow(request: web.BaseRequest) -> web.Response:
        await asyncio.sleep(2)
        return answer("late", "public, max-age=60")

    origin.on("/slow", slow)
    config = bundle('[[rule]]\npath = "/slow"\nclass = "warm"\ntimeout = "200ms"\n')
    edge = await popcache_emulator(config, origin=origin.url)
    status, body, headers = await get(edge, "/slow")
    assert status == 504
    assert json.loads(body)["field"] == "origin"
    assert headers["Proxy-Status"].startswith("popcache; error=http_response_timeout")


async def test_a_bad_routes_file_stops_start_up_with_one_line(bundle, tmp_path):
    config = bundle('[[rule]]\npath = "/x"\nclass = "tepid"\n')
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "dev",
        "-c",
        str(config),
        "--port",
        "0",
        "--origin",
        "http://127.0.0.1:9",
        "--in-memory",
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1
    assert "edge/routes.toml: rule 1 ('/x')" in lines[0]
    assert "tepid" in lines[0]


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/api/products/%zz%?a=%&b=%ff&utm_source=%", {}),
        ("/api/products/..%2f..%2f_admin/knobs", {}),
        (WARM, {"Cache-Control": 'max-age="x, no-store=', "Pragma": 'no-cache="'}),
        (WARM, {"If-Modified-Since": "yesterday", "If-None-Match": 'W/"'}),
        (WARM, {"Accept-Language": "q=;;,,*;q=2", "Accept-Encoding": "br;q=x"}),
        (WARM, {"X-Forwarded-For": "not, an, address", "Range": "bytes=9-1"}),
        ("/api/products?lat=91&lon=1e999&lat=37.7", {}),
    ],
)
async def test_hostile_requests_are_served_or_refused_never_a_500(edge, target, headers):
    async with edge.client(pop="SFO").get(target, headers=headers) as response:
        assert response.status < 500
        assert response.headers["Cache-Status"].startswith("popcache")


async def test_the_origins_server_header_is_replaced_by_cloudflares(edge, origin):
    origin.answers(WARM, lambda: answer("x", "public, max-age=60", Server="origin/1.0"))
    for _ in range(2):
        _, _, headers = await get(edge, WARM)
        assert headers.getall("Server") == ["cloudflare"]
