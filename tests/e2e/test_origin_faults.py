"""The knobs acting on real requests: added latency, injected failures, and their reach."""

from __future__ import annotations

import random

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from emulator.clock import FakeClock
from emulator.origin import create_app


class RecordingSleep:
    """Stands in for asyncio.sleep: remembers each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def origin(aiohttp_client: AiohttpClient, sleep: RecordingSleep) -> TestClient:
    app = create_app(None, rng=random.Random(3), clock=FakeClock(), sleep=sleep)
    return await aiohttp_client(app)


async def put_knobs(origin: TestClient, **knobs: object) -> None:
    async with origin.put("/_admin/knobs", json=knobs) as response:
        assert response.status == 200, await response.text()


async def test_latency_is_waited_out_before_every_response(
    origin: TestClient, sleep: RecordingSleep
) -> None:
    await put_knobs(origin, latency_ms=250)
    sleep.waits.clear()
    for path in ("/api/products", "/pages/loyalty", "/api/products/NOPE"):
        async with origin.get(path):
            pass
    assert sleep.waits == [0.25, 0.25, 0.25]


async def test_jitter_adds_up_to_jitter_ms_on_top_of_latency(
    origin: TestClient, sleep: RecordingSleep
) -> None:
    await put_knobs(origin, latency_ms=100, jitter_ms=50)
    for _ in range(20):
        async with origin.get("/healthz"):
            pass
    assert all(0.1 <= wait <= 0.15 for wait in sleep.waits)
    assert len(set(sleep.waits)) > 1


async def test_admin_requests_are_never_delayed(origin: TestClient, sleep: RecordingSleep) -> None:
    await put_knobs(origin, latency_ms=250)
    async with origin.get("/_admin/knobs"):
        pass
    assert sleep.waits == []


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_an_injected_failure_is_a_problem_with_the_chosen_status(
    origin: TestClient, status: int
) -> None:
    await put_knobs(origin, fail_rate=1, fail_status=status)
    async with origin.get("/api/products") as response:
        assert response.status == status
        assert response.content_type == "application/problem+json"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Popcache-Injected"] == "fail_rate"
        assert "Retry-After" not in response.headers
        assert (await response.json())["status"] == status


@pytest.mark.parametrize("status", [429, 503])
async def test_429_and_503_carry_retry_after(origin: TestClient, status: int) -> None:
    await put_knobs(origin, fail_rate=1, fail_status=status, retry_after=30)
    async with origin.get("/api/inventory/BEV-COFFEE") as response:
        assert response.status == status
        assert response.headers["Retry-After"] == "30"


async def test_an_injected_failure_still_waits_out_the_latency(
    origin: TestClient, sleep: RecordingSleep
) -> None:
    await put_knobs(origin, fail_rate=1, latency_ms=40)
    async with origin.get("/api/products") as response:
        assert response.status == 503
    assert sleep.waits == [0.04]


async def test_an_injected_failure_changes_nothing(origin: TestClient) -> None:
    await put_knobs(origin, fail_rate=1, paths=["/api/checkout", "/api/cart"])
    async with origin.post(
        "/api/cart/items", json={"sku": "BEV-COFFEE", "store_id": "sf-mission"}
    ) as response:
        assert response.status == 503
        assert "Set-Cookie" not in response.headers
    await put_knobs(origin)
    async with origin.get("/api/cart") as response:
        assert (await response.json())["items"] == []


async def test_paths_limit_the_knobs_to_those_prefixes(
    origin: TestClient, sleep: RecordingSleep
) -> None:
    await put_knobs(origin, fail_rate=1, latency_ms=10, paths=["/api/prices"])
    async with origin.get("/api/prices/BEV-COFFEE") as response:
        assert response.status == 503
    async with origin.get("/api/products/BEV-COFFEE") as response:
        assert response.status == 200
    assert sleep.waits == [0.01]


async def test_a_partial_fail_rate_fails_some_requests_and_serves_the_rest(
    origin: TestClient,
) -> None:
    await put_knobs(origin, fail_rate=0.5)
    statuses = []
    for _ in range(40):
        async with origin.get("/healthz") as response:
            statuses.append(response.status)
    assert set(statuses) == {200, 503}


async def test_reset_makes_the_origin_behave_again(
    origin: TestClient, sleep: RecordingSleep
) -> None:
    await put_knobs(origin, fail_rate=1, latency_ms=10)
    async with origin.post("/_admin/knobs/reset"):
        pass
    sleep.waits.clear()
    async with origin.get("/api/products") as response:
        assert response.status == 200
    assert sleep.waits == []
