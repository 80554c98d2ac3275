"""The hints an edge classifies origin responses by: Cache-Control, validators, Vary, Cache-Tag."""

from __future__ import annotations

import random

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from emulator.clock import FakeClock
from emulator.origin import create_app

SEEDED = "Thu, 01 Jan 2026 00:00:00 GMT"
RECOMMENDATIONS = "/api/recommendations?lat=37.7599&lon=-122.4148&limit=2"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_767_225_600.0 + 86_400)  # a day after the seed


@pytest.fixture
async def origin(aiohttp_client: AiohttpClient, clock: FakeClock) -> TestClient:
    return await aiohttp_client(create_app(None, rng=random.Random(1), clock=clock))


@pytest.mark.parametrize(
    ("path", "cache_control", "content_class"),
    [
        ("/api/inventory/BEV-COFFEE", "public, max-age=5", "hot"),
        ("/api/stores/sf-mission/inventory", "public, max-age=5", "hot"),
        ("/api/prices/BEV-COFFEE", "public, max-age=10", "hot"),
        ("/api/products", "public, max-age=300, stale-while-revalidate=60", "warm"),
        ("/api/products/BEV-COFFEE", "public, max-age=300, stale-while-revalidate=60", "warm"),
        ("/api/stores", "public, max-age=300, stale-while-revalidate=60", "warm"),
        ("/api/stores/sf-mission", "public, max-age=300, stale-while-revalidate=60", "warm"),
        (RECOMMENDATIONS, "public, max-age=120", "warm"),
        ("/pages/loyalty", "public, max-age=86400, stale-if-error=604800", "cold"),
        ("/help/delivery", "public, max-age=86400, stale-if-error=604800", "cold"),
        ("/api/cart", "private, no-store", "bypass"),
        ("/healthz", "no-store", "none"),
    ],
)
async def test_each_kind_of_response_carries_its_classs_cache_control(
    origin: TestClient, path: str, cache_control: str, content_class: str
) -> None:
    async with origin.get(path) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == cache_control
        assert response.headers["Popcache-Content-Class"] == content_class


@pytest.mark.parametrize(
    ("path", "tags"),
    [
        (
            "/api/products?category=dairy&limit=2",
            "products,category:dairy,product:DRY-BUTTER,product:DRY-EGGS-12,"
            "sku:DRY-BUTTER,sku:DRY-EGGS-12",
        ),
        (
            "/api/products/BEV-COFFEE",
            "products,product:BEV-COFFEE,category:beverages,sku:BEV-COFFEE",
        ),
        ("/api/stores?city=chicago", "stores,city:chicago,store:chi-loop,store:chi-wicker-park"),
        ("/api/stores/sf-mission", "stores,store:sf-mission,city:san-francisco"),
        (
            "/api/inventory/BEV-COFFEE?store_id=sf-mission",
            "inventory,store:sf-mission,stock:sf-mission,product:BEV-COFFEE,"
            "sku:BEV-COFFEE@sf-mission",
        ),
        (
            "/api/prices/BEV-COFFEE?city=london",
            "prices,product:BEV-COFFEE,city:london,price:BEV-COFFEE",
        ),
        ("/pages/loyalty", "page,page:loyalty"),
        ("/help/delivery", "help,help:delivery"),
    ],
)
async def test_cacheable_responses_carry_tags_naming_what_they_show(
    origin: TestClient, path: str, tags: str
) -> None:
    async with origin.get(path) as response:
        assert response.headers["Cache-Tag"] == tags


async def test_a_stores_inventory_is_tagged_with_its_stock_and_every_product(
    origin: TestClient,
) -> None:
    async with origin.get("/api/stores/lon-camden/inventory") as response:
        tags = response.headers["Cache-Tag"].split(",")
    assert tags[:3] == ["inventory", "store:lon-camden", "stock:lon-camden"]
    assert sum(tag.startswith("product:") for tag in tags) == 20


async def test_recommendations_are_tagged_with_the_stock_they_read(origin: TestClient) -> None:
    async with origin.get(RECOMMENDATIONS) as response:
        tags = response.headers["Cache-Tag"].split(",")
    assert tags[:3] == ["recommendations", "store:sf-mission", "stock:sf-mission"]
    assert len([tag for tag in tags if tag.startswith("product:")]) == 2


async def test_prices_vary_on_the_edge_geo_zone(origin: TestClient) -> None:
    async with origin.get("/api/prices/BEV-COFFEE") as response:
        assert response.headers["Vary"] == "Edge-Geo-Zone"


async def test_personal_responses_are_never_tagged_or_validated(origin: TestClient) -> None:
    async with origin.get("/api/cart") as response:
        assert "Cache-Tag" not in response.headers
        assert "ETag" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/api/products/BEV-COFFEE",
        "/api/inventory/BEV-COFFEE",
        "/api/prices/BEV-COFFEE",
        "/pages/loyalty",
    ],
)
async def test_cacheable_responses_carry_a_strong_etag_and_last_modified(
    origin: TestClient, path: str
) -> None:
    async with origin.get(path) as response:
        etag = response.headers["ETag"]
        assert etag.startswith('"')
        assert response.headers["Last-Modified"] == SEEDED


async def test_the_same_content_keeps_the_same_etag(origin: TestClient) -> None:
    async with origin.get("/api/products") as first, origin.get("/api/products") as second:
        assert first.headers["ETag"] == second.headers["ETag"]


async def test_a_matching_if_none_match_is_answered_304_with_the_hints_and_no_body(
    origin: TestClient,
) -> None:
    async with origin.get("/api/prices/BEV-COFFEE") as response:
        etag = response.headers["ETag"]
    async with origin.get("/api/prices/BEV-COFFEE", headers={"If-None-Match": etag}) as response:
        assert response.status == 304
        assert await response.read() == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == "public, max-age=10"
        assert response.headers["Vary"] == "Edge-Geo-Zone"
        assert response.headers["Cache-Tag"].startswith("prices,")


async def test_a_stale_if_none_match_gets_the_full_response(origin: TestClient) -> None:
    headers = {"If-None-Match": '"not-the-current-one"'}
    async with origin.get("/api/products/BEV-COFFEE", headers=headers) as response:
        assert response.status == 200


async def test_if_modified_since_the_last_change_is_answered_304(origin: TestClient) -> None:
    async with origin.get("/help/returns", headers={"If-Modified-Since": SEEDED}) as response:
        assert response.status == 304


async def test_a_stock_change_moves_the_etag_and_last_modified_of_inventory(
    origin: TestClient, clock: FakeClock
) -> None:
    async with origin.get("/api/inventory/PAN-HONEY?store_id=chi-loop") as response:
        etag = response.headers["ETag"]
    clock.advance(60)
    change = {"sku": "PAN-HONEY", "store_id": "chi-loop", "delta": 1}
    async with origin.post("/_admin/stock", json=change) as response:
        assert response.status == 200
    headers = {"If-None-Match": etag}
    async with origin.get(
        "/api/inventory/PAN-HONEY?store_id=chi-loop", headers=headers
    ) as response:
        assert response.status == 200
        assert response.headers["ETag"] != etag
        assert response.headers["Last-Modified"] == "Fri, 02 Jan 2026 00:01:00 GMT"
