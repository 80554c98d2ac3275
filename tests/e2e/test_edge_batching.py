"""Batches and views end to end: the edge bundle on the emulated PoPs over real HTTP, in front
of the demo storefront or of a scripted origin on loopback that records what reaches it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from scripted import ScriptedOrigin, answer, serve

MISSION = (37.7567, -122.4187)  # inside sf-mission's delivery area (edge/zones.geojson)
PDP = "/_edge/views/pdp?sku=BEV-COFFEE"


@pytest.fixture
async def demo(popcache_emulator, repo: Path):  # type: ignore[no-untyped-def]
    return await popcache_emulator(repo / "wrangler.toml", origin="demo")


@pytest.fixture
async def origin(aiohttp_raw_server) -> ScriptedOrigin:  # type: ignore[no-untyped-def]
    return await serve(aiohttp_raw_server)


@pytest.fixture
async def edge(popcache_emulator, repo: Path, origin: ScriptedOrigin):  # type: ignore[no-untyped-def]
    return await popcache_emulator(repo / "wrangler.toml", origin=origin.url)


async def batch(edge, *items: dict[str, Any], **headers: str) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
    body = {"requests": list(items)}
    async with edge.client(pop="SFO").post("/_edge/batch", json=body, headers=headers) as reply:
        return reply.status, await reply.json(content_type=None)


def get(item_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "method": "GET", "url": url, **extra}


async def view(edge, *, at: tuple[float, float] = MISSION, **headers: str):  # type: ignore[no-untyped-def]
    async with edge.client(geo=at, pop="SFO").get(PDP, headers=headers) as reply:
        return reply.status, await reply.read(), reply.headers.copy()


def readme_client(repo: Path, url: str) -> str:
    """The README's httpx batch client block, pointed at ``url``."""
    readme = (repo / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- batch-client:.*?-->\n```python\n(.*?)```", readme, re.DOTALL)
    assert found is not None, "README.md lost its batch-client block"
    return found[1].replace("http://localhost:8787", url)


async def test_the_readme_batch_client_maps_each_item_back_by_id(demo, repo: Path) -> None:
    code, printed = readme_client(repo, demo.url), io.StringIO()

    def run() -> None:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), {"__name__": "readme"})

    await asyncio.to_thread(run)
    # The stock's Cache-Status: the upper tier's member first, then the edge's (RFC 9211 §2).
    name, status = printed.getvalue().strip().split(" popcache-upper; ", 1)
    assert name == "House blend coffee, 340 g"
    assert "popcache; fwd=uri-miss" in status


async def test_the_pdp_view_shows_stock_in_the_shoppers_zone_and_price_in_their_city(
    demo,
) -> None:
    status, body, _ = await view(demo)
    document = json.loads(body)
    assert status == 200
    assert {line["store_id"] for line in document["stock"]} == {"sf-mission"}
    assert document["price"]["city"] == "san-francisco"
    assert document["product"]["sku"] == "BEV-COFFEE"


async def test_a_view_is_served_from_the_cache_with_its_etag_until_a_part_tag_is_purged(
    demo,
) -> None:
    _, first, headers = await view(demo)
    status, again, cached = await view(demo)
    assert status == 200
    assert again == first
    assert cached["ETag"] == headers["ETag"]
    assert cached["Cache-Status"].startswith("popcache; hit")
    assert (await view(demo, **{"If-None-Match": headers["ETag"]}))[0] == 304
    assert demo.emulator.pops["SFO"].caches.purge_tags(["stock:sf-mission"]) >= 2
    assert "fwd=uri-miss" in (await view(demo))[2]["Cache-Status"]


async def test_a_view_stays_fresh_no_longer_than_its_shortest_lived_part(demo) -> None:
    await view(demo)
    demo.clock.advance(11)  # stock: max-age=5 and swr 5; the product page: five minutes
    _, _, headers = await view(demo)
    assert "fwd=stale" in headers["Cache-Status"]
    assert "stored" in headers["Cache-Status"]


async def test_identical_reads_in_concurrent_batches_on_one_pop_make_one_origin_request(
    edge, origin: ScriptedOrigin
) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.BaseRequest) -> web.Response:
        arrived.set()
        await release.wait()
        return answer("stock", "public, max-age=60")

    origin.on("/api/slow", slow)
    items = (get("a", "/api/slow"), get("b", "/api/slow"))
    batches = [asyncio.ensure_future(batch(edge, *items)) for _ in range(3)]
    await arrived.wait()
    await asyncio.sleep(0.1)  # the other batches reach the edge and join the flight meanwhile
    release.set()
    answers = await asyncio.gather(*batches)
    assert origin.hits["/api/slow"] == 1
    assert all(item["status"] == 200 for _, body in answers for item in body["responses"])


async def test_a_malformed_batch_is_refused_whole_and_nothing_reaches_the_origin(
    edge, origin: ScriptedOrigin
) -> None:
    write = {
        "id": "add",
        "method": "POST",
        "url": "/api/cart/items",
        "headers": {"Content-Type": "application/json"},
        "body": {"sku": "BEV-COFFEE"},
    }
    status, problem = await batch(edge, write, get("x", "/api/a"), get("X", "/api/b"))
    assert status == 400
    assert (problem["field"], problem["item"], problem["pointer"]) == ("id", "X", "/requests/2/id")
    assert not origin.requests


async def test_an_item_refused_for_its_url_answers_400_and_its_dependent_424(
    edge, origin: ScriptedOrigin
) -> None:
    status, body = await batch(
        edge,
        get("evil", "//evil.example/steal"),
        get("after", "/api/products", dependsOn=["evil"]),
        get("fine", "/api/stores"),
    )
    statuses = {item["id"]: item["status"] for item in body["responses"]}
    assert status == 200
    assert statuses == {"evil": 400, "after": 424, "fine": 200}
    assert [request.path for request in origin.requests] == ["/api/stores"]


async def test_items_get_neither_the_batchs_cookie_nor_its_authorization(
    edge, origin: ScriptedOrigin
) -> None:
    await batch(edge, get("a", "/api/who"), Cookie="session=s3cret", Authorization="Bearer t0ken")
    (request,) = origin.requests
    assert "Cookie" not in request.headers
    assert "Authorization" not in request.headers


async def test_a_text_item_body_comes_back_base64_with_its_encoding(
    edge, origin: ScriptedOrigin
) -> None:
    _, body = await batch(edge, get("page", "/api/notes"))
    (item,) = body["responses"]
    assert item["encoding"] == "base64"
    assert item["body"] == "ZGVmYXVsdCAvYXBpL25vdGVz"  # "default /api/notes"
