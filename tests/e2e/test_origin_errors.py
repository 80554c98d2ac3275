"""Bad input over HTTP: always RFC 9457 problem details naming the field, never a traceback."""

from __future__ import annotations

import random

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from emulator.clock import FakeClock
from emulator.origin import create_app


@pytest.fixture
async def origin(aiohttp_client: AiohttpClient) -> TestClient:
    return await aiohttp_client(create_app(None, rng=random.Random(1), clock=FakeClock()))


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/products/NOPE", 404, "sku"),
        ("/api/stores/nope", 404, "store_id"),
        ("/api/stores/nope/inventory", 404, "store_id"),
        ("/api/inventory/NOPE", 404, "sku"),
        ("/api/inventory/BEV-COFFEE?store_id=nope", 404, "store_id"),
        ("/api/prices/NOPE", 404, "sku"),
        ("/pages/nope", 404, "slug"),
        ("/help/loyalty", 404, "slug"),
        ("/api/products?limit=0", 400, "limit"),
        ("/api/products?limit=101", 400, "limit"),
        ("/api/products?limit=ten", 400, "limit"),
        ("/api/products?offset=-1", 400, "offset"),
        ("/api/products?category=toys", 400, "category"),
        ("/api/stores?city=paris", 400, "city"),
        ("/api/prices/BEV-COFFEE?city=paris", 400, "city"),
        ("/api/recommendations?lon=-122.4", 400, "lat"),
        ("/api/recommendations?lat=37.7", 400, "lon"),
        ("/api/recommendations?lat=91&lon=0", 400, "lat"),
        ("/api/recommendations?lat=nan&lon=0", 400, "lat"),
        ("/api/recommendations?lat=0&lon=east", 400, "lon"),
        ("/api/recommendations?lat=0&lon=0&limit=21", 400, "limit"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field(
    origin: TestClient, path: str, status: int, field: str
) -> None:
    async with origin.get(path) as response:
        assert response.status == status
        assert response.content_type == "application/problem+json"
        assert response.headers["Cache-Control"] == "no-store"
        problem = await response.json()
    assert problem["status"] == status
    assert problem["field"] == field
    assert {"type", "title", "detail"} <= set(problem)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/_admin/knobs", b"{not json"),
        ("PUT", "/_admin/knobs", b"[1, 2]"),
        ("PUT", "/_admin/knobs", b'{"fail_rate": NaN}'),
        ("POST", "/_admin/stock", b""),
        ("POST", "/api/cart/items", b"\xff\xfe"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_a_400_naming_the_body(
    origin: TestClient, method: str, path: str, body: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    async with origin.request(method, path, data=body, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["field"] == "body"


async def test_an_unknown_route_is_a_404_problem(origin: TestClient) -> None:
    async with origin.get("/api/nothing-here") as response:
        assert response.status == 404
        assert response.content_type == "application/problem+json"


async def test_a_wrong_method_is_a_405_problem_saying_what_is_allowed(origin: TestClient) -> None:
    async with origin.delete("/api/products/BEV-COFFEE") as response:
        assert response.status == 405
        assert response.content_type == "application/problem+json"
        assert "GET" in response.headers["Allow"]


async def test_a_problem_never_carries_a_traceback(origin: TestClient) -> None:
    async with origin.put("/_admin/knobs", data=b"{not json") as response:
        text = await response.text()
    assert "Traceback" not in text
    assert 'File "' not in text
