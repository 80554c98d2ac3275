"""The origin's public catalogue over HTTP: products, stores, stock, prices, picks and pages."""

from __future__ import annotations

import random

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from emulator.clock import FakeClock
from emulator.origin import create_app

NEAR_SF_MISSION = (37.7599, -122.4148)
MID_ATLANTIC = (40.0, -40.0)


@pytest.fixture
async def origin(aiohttp_client: AiohttpClient) -> TestClient:
    return await aiohttp_client(create_app(None, rng=random.Random(1), clock=FakeClock()))


async def get_json(origin: TestClient, path: str, **kwargs: object) -> object:
    async with origin.get(path, **kwargs) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "application/json"
        return await response.json()


async def test_products_are_listed_twenty_to_a_page_with_the_total(origin: TestClient) -> None:
    page = await get_json(origin, "/api/products")
    assert page["total"] == 20
    assert len(page["items"]) == 20
    assert set(page["items"][0]) == {
        "sku",
        "name",
        "description",
        "category",
        "base_price_cents",
        "currency",
    }


async def test_limit_and_offset_page_through_the_products(origin: TestClient) -> None:
    first = await get_json(origin, "/api/products?limit=3")
    second = await get_json(origin, "/api/products?limit=3&offset=3")
    whole = await get_json(origin, "/api/products?limit=6")
    assert [p["sku"] for p in first["items"] + second["items"]] == [
        p["sku"] for p in whole["items"]
    ]


async def test_products_can_be_filtered_by_category(origin: TestClient) -> None:
    page = await get_json(origin, "/api/products?category=bakery")
    assert page["total"] == 3
    assert {p["category"] for p in page["items"]} == {"bakery"}


async def test_a_product_is_found_by_its_sku(origin: TestClient) -> None:
    product = await get_json(origin, "/api/products/BEV-COFFEE")
    assert (product["sku"], product["base_price_cents"], product["currency"]) == (
        "BEV-COFFEE",
        1699,
        "USD",
    )


async def test_stores_can_be_filtered_by_city(origin: TestClient) -> None:
    stores = await get_json(origin, "/api/stores?city=london")
    assert [s["id"] for s in stores["items"]] == ["lon-brixton", "lon-camden", "lon-shoreditch"]


async def test_a_store_shows_its_location_and_delivery_radius(origin: TestClient) -> None:
    store = await get_json(origin, "/api/stores/chi-loop")
    assert store["city_id"] == "chicago"
    assert store["lat"] == pytest.approx(41.88, abs=0.01)
    assert store["delivery_radius_km"] > 0


async def test_a_stores_inventory_lists_every_product(origin: TestClient) -> None:
    inventory = await get_json(origin, "/api/stores/sf-marina/inventory")
    assert inventory["store_id"] == "sf-marina"
    assert len(inventory["items"]) == 20


async def test_a_products_inventory_covers_every_store_and_sums_them(origin: TestClient) -> None:
    stock = await get_json(origin, "/api/inventory/DRY-MILK-1L")
    assert len(stock["items"]) == 8
    assert stock["total_qty"] == sum(row["qty"] for row in stock["items"])


async def test_a_products_inventory_can_be_narrowed_to_one_store(origin: TestClient) -> None:
    stock = await get_json(origin, "/api/inventory/DRY-MILK-1L?store_id=lon-camden")
    assert [row["store_id"] for row in stock["items"]] == ["lon-camden"]


async def test_prices_cover_every_city_by_default(origin: TestClient) -> None:
    prices = await get_json(origin, "/api/prices/BEV-COFFEE")
    by_city = {p["city"]: p for p in prices["prices"]}
    assert set(by_city) == {"chicago", "london", "san-francisco"}
    assert by_city["london"]["currency"] == "GBP"
    assert by_city["san-francisco"]["promotion"] == "Coffee week"
    assert by_city["san-francisco"]["amount_cents"] < by_city["san-francisco"]["list_cents"]


async def test_a_city_parameter_narrows_prices_to_that_city(origin: TestClient) -> None:
    prices = await get_json(origin, "/api/prices/BRD-SOURDOUGH?city=chicago")
    assert prices["prices"] == [
        {
            "city": "chicago",
            "currency": "USD",
            "list_cents": 799,
            "amount_cents": 639,
            "promotion": "Bake sale",
            "percent_off": 20,
        }
    ]


@pytest.mark.parametrize(("zone", "city"), [("london", "london"), ("sf-mission", "san-francisco")])
async def test_an_edge_geo_zone_of_a_city_or_store_narrows_prices(
    origin: TestClient, zone: str, city: str
) -> None:
    prices = await get_json(origin, "/api/prices/BEV-COFFEE", headers={"Edge-Geo-Zone": zone})
    assert [p["city"] for p in prices["prices"]] == [city]


async def test_an_edge_geo_zone_the_origin_does_not_price_gets_every_city(
    origin: TestClient,
) -> None:
    prices = await get_json(origin, "/api/prices/BEV-COFFEE", headers={"Edge-Geo-Zone": "tokyo"})
    assert len(prices["prices"]) == 3


async def test_the_city_parameter_wins_over_the_edge_geo_zone(origin: TestClient) -> None:
    prices = await get_json(
        origin, "/api/prices/BEV-COFFEE?city=chicago", headers={"Edge-Geo-Zone": "london"}
    )
    assert [p["city"] for p in prices["prices"]] == ["chicago"]


async def test_recommendations_come_from_stores_delivering_to_the_point(origin: TestClient) -> None:
    lat, lon = NEAR_SF_MISSION
    picks = await get_json(origin, f"/api/recommendations?lat={lat}&lon={lon}&limit=4")
    assert [s["id"] for s in picks["stores"]] == ["sf-mission"]
    assert len(picks["items"]) == 4
    assert all(item["store_ids"] == ["sf-mission"] and item["qty"] > 0 for item in picks["items"])
    qtys = [item["qty"] for item in picks["items"]]
    assert qtys == sorted(qtys, reverse=True)


async def test_recommendations_skip_products_sold_out_nearby(origin: TestClient) -> None:
    lat, lon = NEAR_SF_MISSION
    inventory = await get_json(origin, "/api/stores/sf-mission/inventory")
    sold_out = {row["sku"] for row in inventory["items"] if row["qty"] == 0}
    picks = await get_json(origin, f"/api/recommendations?lat={lat}&lon={lon}&limit=20")
    assert sold_out
    assert not sold_out & {item["sku"] for item in picks["items"]}


async def test_a_point_no_store_delivers_to_gets_no_recommendations(origin: TestClient) -> None:
    lat, lon = MID_ATLANTIC
    picks = await get_json(origin, f"/api/recommendations?lat={lat}&lon={lon}")
    assert (picks["stores"], picks["items"]) == ([], [])


@pytest.mark.parametrize(
    ("path", "title"),
    [("/pages/summer-market", "Summer market week"), ("/help/returns", "Returns and refunds")],
)
async def test_marketing_and_help_pages_are_html_documents(
    origin: TestClient, path: str, title: str
) -> None:
    async with origin.get(path) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        html = await response.text()
    assert html.startswith("<!doctype html>")
    assert f"<title>{title}</title>" in html


async def test_the_health_check_answers_ok(origin: TestClient) -> None:
    assert await get_json(origin, "/healthz") == {"status": "ok"}
