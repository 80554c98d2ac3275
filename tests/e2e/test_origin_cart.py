"""Personal routes over HTTP: a session cookie, a cart, and a checkout that takes stock."""

from __future__ import annotations

import random

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from emulator.clock import FakeClock
from emulator.origin import create_app

EGGS_AT_MISSION = {"sku": "DRY-EGGS-12", "store_id": "sf-mission"}


@pytest.fixture
async def origin(aiohttp_client: AiohttpClient) -> TestClient:
    return await aiohttp_client(create_app(None, rng=random.Random(1), clock=FakeClock()))


async def stock(origin: TestClient, sku: str, store_id: str) -> int:
    async with origin.get(f"/api/inventory/{sku}?store_id={store_id}") as response:
        return int((await response.json())["total_qty"])


async def set_stock(origin: TestClient, sku: str, store_id: str, qty: int) -> None:
    change = {"sku": sku, "store_id": store_id, "qty": qty}
    async with origin.post("/_admin/stock", json=change) as response:
        assert response.status == 200


async def test_a_first_cart_request_sets_an_httponly_session_cookie(origin: TestClient) -> None:
    async with origin.get("/api/cart") as response:
        cookie = response.headers["Set-Cookie"]
        assert await response.json() == {"items": [], "totals": {}}
    assert cookie.startswith("session=s-")
    assert "HttpOnly" in cookie
    assert "Path=/" in cookie


async def test_a_known_session_is_not_issued_a_new_cookie(origin: TestClient) -> None:
    async with origin.get("/api/cart"):
        pass
    async with origin.get("/api/cart") as response:
        assert "Set-Cookie" not in response.headers


async def test_cart_responses_are_private_and_never_stored(origin: TestClient) -> None:
    async with origin.post("/api/cart/items", json=EGGS_AT_MISSION) as response:
        assert response.headers["Cache-Control"] == "private, no-store"


async def test_added_items_are_priced_and_totalled_by_currency(origin: TestClient) -> None:
    async with origin.post("/api/cart/items", json={**EGGS_AT_MISSION, "qty": 2}) as response:
        assert response.status == 201
    async with origin.post(
        "/api/cart/items", json={"sku": "BEV-EARL-GREY", "store_id": "lon-camden"}
    ):
        pass
    async with origin.get("/api/cart") as response:
        cart = await response.json()
    assert [(i["sku"], i["qty"], i["currency"]) for i in cart["items"]] == [
        ("BEV-EARL-GREY", 1, "GBP"),
        ("DRY-EGGS-12", 2, "USD"),
    ]
    assert cart["totals"] == {"GBP": 647, "USD": 2 * 755}  # 699 * 1.08 = 755


async def test_two_clients_have_separate_carts(
    origin: TestClient, aiohttp_client: AiohttpClient
) -> None:
    other = await aiohttp_client(origin.server)
    async with origin.post("/api/cart/items", json=EGGS_AT_MISSION):
        pass
    async with other.get("/api/cart") as response:
        assert (await response.json())["items"] == []


async def test_checkout_takes_the_cart_out_of_stock_at_once(origin: TestClient) -> None:
    await set_stock(origin, "DRY-EGGS-12", "sf-mission", 10)
    async with origin.post("/api/cart/items", json={**EGGS_AT_MISSION, "qty": 3}):
        pass
    async with origin.post("/api/checkout") as response:
        assert response.status == 201
        assert response.headers["Cache-Control"] == "private, no-store"
        order = await response.json()
    assert order["order_id"].startswith("ord-")
    assert order["totals"] == {"USD": 3 * 755}
    assert await stock(origin, "DRY-EGGS-12", "sf-mission") == 7


async def test_checkout_names_the_tags_to_purge(origin: TestClient) -> None:
    await set_stock(origin, "DRY-EGGS-12", "sf-mission", 10)
    async with origin.post("/api/cart/items", json=EGGS_AT_MISSION):
        pass
    async with origin.post("/api/checkout") as response:
        assert (await response.json())["purge_tags"] == ["stock:sf-mission"]


async def test_checkout_empties_the_cart(origin: TestClient) -> None:
    await set_stock(origin, "DRY-EGGS-12", "sf-mission", 10)
    async with origin.post("/api/cart/items", json=EGGS_AT_MISSION):
        pass
    async with origin.post("/api/checkout"):
        pass
    async with origin.get("/api/cart") as response:
        assert (await response.json())["items"] == []


async def test_checkout_beyond_the_stock_is_a_409_that_takes_nothing(origin: TestClient) -> None:
    await set_stock(origin, "DRY-EGGS-12", "sf-mission", 1)
    async with origin.post("/api/cart/items", json={**EGGS_AT_MISSION, "qty": 2}):
        pass
    async with origin.post("/api/checkout") as response:
        assert response.status == 409
        assert response.content_type == "application/problem+json"
    assert await stock(origin, "DRY-EGGS-12", "sf-mission") == 1


async def test_checkout_without_a_session_is_a_409_and_sets_no_cookie(origin: TestClient) -> None:
    async with origin.post("/api/checkout") as response:
        assert response.status == 409
        assert (await response.json())["field"] == "cart"
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"sku": "NOPE", "store_id": "sf-mission"}, 404, "sku"),
        ({"sku": "DRY-EGGS-12", "store_id": "nope"}, 404, "store_id"),
        ({"store_id": "sf-mission"}, 400, "sku"),
        ({**EGGS_AT_MISSION, "qty": 0}, 400, "qty"),
        ({**EGGS_AT_MISSION, "qty": "2"}, 400, "qty"),
        ({**EGGS_AT_MISSION, "qty": 100}, 400, "qty"),
        ({**EGGS_AT_MISSION, "colour": "red"}, 400, "colour"),
    ],
)
async def test_a_rejected_item_stores_nothing_not_even_a_session(
    origin: TestClient, body: dict[str, object], status: int, field: str
) -> None:
    async with origin.post("/api/cart/items", json=body) as response:
        assert response.status == status
        assert (await response.json())["field"] == field
        assert "Set-Cookie" not in response.headers
