"""The admin API over HTTP: reading, replacing and resetting knobs, and editing stock."""

from __future__ import annotations

import random

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from emulator.clock import FakeClock
from emulator.origin import create_app

DEFAULTS = {
    "latency_ms": 0,
    "jitter_ms": 0,
    "fail_rate": 0.0,
    "fail_status": 503,
    "retry_after": 1,
    "paths": [],
}
NOW = 1_767_225_600.0 + 3600


@pytest.fixture
async def origin(aiohttp_client: AiohttpClient) -> TestClient:
    return await aiohttp_client(create_app(None, rng=random.Random(1), clock=FakeClock(NOW)))


async def knobs(origin: TestClient) -> object:
    async with origin.get("/_admin/knobs") as response:
        assert response.headers["Cache-Control"] == "no-store"
        return await response.json()


async def stock(origin: TestClient, sku: str, store_id: str) -> int:
    async with origin.get(f"/api/inventory/{sku}?store_id={store_id}") as response:
        return int((await response.json())["total_qty"])


async def test_the_knobs_start_at_their_defaults(origin: TestClient) -> None:
    assert await knobs(origin) == DEFAULTS


async def test_put_replaces_the_knobs_and_answers_with_them(origin: TestClient) -> None:
    wanted = {**DEFAULTS, "latency_ms": 20, "fail_rate": 0.1, "paths": ["/api/prices"]}
    async with origin.put("/_admin/knobs", json=wanted) as response:
        assert response.status == 200
        assert await response.json() == wanted
    assert await knobs(origin) == wanted


async def test_fields_left_out_of_a_put_return_to_their_defaults(origin: TestClient) -> None:
    async with origin.put("/_admin/knobs", json={"latency_ms": 20, "fail_rate": 0.5}):
        pass
    async with origin.put("/_admin/knobs", json={"latency_ms": 30}):
        pass
    assert await knobs(origin) == {**DEFAULTS, "latency_ms": 30}


async def test_a_rejected_put_is_a_400_naming_the_field_and_keeps_the_knobs(
    origin: TestClient,
) -> None:
    async with origin.put("/_admin/knobs", json={"latency_ms": 20}):
        pass
    async with origin.put("/_admin/knobs", json={"latency_ms": 10, "fail_rate": 2}) as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        problem = await response.json()
    assert problem["field"] == "fail_rate"
    assert (await knobs(origin))["latency_ms"] == 20


async def test_reset_restores_the_defaults(origin: TestClient) -> None:
    async with origin.put("/_admin/knobs", json={"latency_ms": 20, "fail_rate": 1}):
        pass
    async with origin.post("/_admin/knobs/reset") as response:
        assert await response.json() == DEFAULTS
    assert await knobs(origin) == DEFAULTS


async def test_admin_answers_even_when_every_request_fails(origin: TestClient) -> None:
    async with origin.put("/_admin/knobs", json={"fail_rate": 1}):
        pass
    async with origin.get("/api/products") as response:
        assert response.status == 503
    assert (await knobs(origin))["fail_rate"] == 1.0


async def test_setting_stock_returns_the_new_row_and_shows_at_once(origin: TestClient) -> None:
    change = {"sku": "PAN-RICE-2KG", "store_id": "lon-brixton", "qty": 42}
    async with origin.post("/_admin/stock", json=change) as response:
        assert response.status == 200
        row = await response.json()
    assert row == {
        "sku": "PAN-RICE-2KG",
        "store_id": "lon-brixton",
        "qty": 42,
        "updated_at": NOW,
        "purge_tags": ["stock:lon-brixton"],
    }
    assert await stock(origin, "PAN-RICE-2KG", "lon-brixton") == 42


async def test_a_delta_adjusts_stock(origin: TestClient) -> None:
    before = await stock(origin, "PAN-RICE-2KG", "lon-brixton")
    change = {"sku": "PAN-RICE-2KG", "store_id": "lon-brixton", "delta": 5}
    async with origin.post("/_admin/stock", json=change) as response:
        assert (await response.json())["qty"] == before + 5
    assert await stock(origin, "PAN-RICE-2KG", "lon-brixton") == before + 5


async def test_a_stock_change_shows_in_the_stores_inventory_and_recommendations(
    origin: TestClient,
) -> None:
    change = {"sku": "HOM-CANDLE", "store_id": "sf-mission", "qty": 999}
    async with origin.post("/_admin/stock", json=change):
        pass
    async with origin.get("/api/stores/sf-mission/inventory") as response:
        items = (await response.json())["items"]
    assert {"sku": "HOM-CANDLE", "qty": 999} in items
    async with origin.get("/api/recommendations?lat=37.7599&lon=-122.4148&limit=1") as response:
        assert (await response.json())["items"][0]["sku"] == "HOM-CANDLE"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"sku": "NOPE", "store_id": "sf-mission", "qty": 1}, 404, "sku"),
        ({"sku": "PAN-HONEY", "store_id": "nope", "qty": 1}, 404, "store_id"),
        ({"sku": "PAN-HONEY", "store_id": "sf-mission"}, 400, "qty"),
        ({"sku": "PAN-HONEY", "store_id": "sf-mission", "qty": 1, "delta": 1}, 400, "qty"),
        ({"sku": "PAN-HONEY", "store_id": "sf-mission", "qty": -1}, 400, "qty"),
        ({"sku": "PAN-HONEY", "store_id": "sf-mission", "qty": 1.5}, 400, "qty"),
        ({"sku": "PAN-HONEY", "store_id": "sf-mission", "delta": "1"}, 400, "delta"),
        ({"sku": "PAN-HONEY", "store_id": "sf-mission", "delta": -10_000}, 409, "delta"),
        ({"sku": "PAN-HONEY", "store_id": "sf-mission", "qty": 1, "note": "x"}, 400, "note"),
        ({"store_id": "sf-mission", "qty": 1}, 400, "sku"),
    ],
)
async def test_a_rejected_stock_edit_names_the_field_and_changes_nothing(
    origin: TestClient, body: dict[str, object], status: int, field: str
) -> None:
    before = await stock(origin, "PAN-HONEY", "sf-mission")
    async with origin.post("/_admin/stock", json=body) as response:
        assert response.status == status
        assert (await response.json())["field"] == field
    assert await stock(origin, "PAN-HONEY", "sf-mission") == before
