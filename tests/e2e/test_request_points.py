"""The edge bundle writes one Analytics Engine data point per request (docs/observability.md),
seen through the emulator's METRICS dataset with the demo origin behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.datapoints import DataPoint

PRODUCT = "/api/products/APL-GALA-1KG"


@pytest.fixture
async def edge(popcache_emulator, repo: Path) -> Any:  # type: ignore[no-untyped-def]
    return await popcache_emulator(repo / "wrangler.toml", origin="demo")


def request_points(edge: Any) -> list[DataPoint]:
    return [point for point in edge.emulator.datapoints if point.blobs[:1] == ("request",)]


async def get(edge: Any, path: str, pop: str = "SFO") -> int:
    async with edge.client(pop=pop).get(path) as reply:
        await reply.read()
        status: int = reply.status
        return status


async def test_a_miss_then_a_hit_are_told_apart_with_the_origin_exchange_on_the_miss(
    edge: Any,
) -> None:
    await get(edge, PRODUCT)
    await get(edge, PRODUCT)
    miss, hit = request_points(edge)
    assert (miss.blobs[1], miss.blobs[4], hit.blobs[4]) == ("SFO", "miss", "hit")
    origin_status, origin_requests = 1, 6
    assert (miss.doubles[origin_status], miss.doubles[origin_requests]) == (200, 1)
    assert (hit.doubles[origin_status], hit.doubles[origin_requests]) == (0, 0)


async def test_a_point_names_the_pop_class_scope_and_method(edge: Any) -> None:
    await get(edge, PRODUCT, pop="LHR")
    (point,) = request_points(edge)
    colo, scope, content_class, method = (point.blobs[i] for i in (1, 2, 3, 5))
    assert (colo, content_class, method, point.index) == ("LHR", "warm", "GET", "LHR")
    assert scope


async def test_the_status_and_body_size_are_those_the_client_got(edge: Any) -> None:
    async with edge.client(pop="ORD").get(PRODUCT) as reply:
        size = len(await reply.read())
    (point,) = request_points(edge)
    assert (point.doubles[0], point.doubles[3]) == (200, size)


async def test_a_batch_is_one_point_classed_as_the_endpoint(edge: Any) -> None:
    items = [
        {"id": "a", "method": "GET", "url": PRODUCT},
        {"id": "b", "method": "GET", "url": "/api/products/BEV-COFFEE"},
    ]
    body = {"requests": items}
    async with edge.client(pop="SFO").post("/_edge/batch", json=body) as reply:
        assert reply.status == 200
    (point,) = request_points(edge)
    assert (point.blobs[3], point.blobs[4]) == ("batch", "miss")
    assert point.doubles[6] == 2


async def test_an_edge_endpoint_refusing_a_request_is_an_error_point(edge: Any) -> None:
    async with edge.client(pop="SFO").post("/_edge/events", data=b"[]") as reply:
        assert reply.status == 401
    (point,) = request_points(edge)
    assert (point.blobs[3], point.blobs[4], point.doubles[0]) == ("events", "error", 401)
