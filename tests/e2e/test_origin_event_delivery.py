"""Stock changes leave the origin as signed inventory events, POSTed to a real loopback receiver
standing in for the edge's ``/_edge/events``: their shape, their signature, retries, and that
the edge's trouble never becomes the stock write's."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict
from pytest_aiohttp import AiohttpClient, AiohttpServer
from signature import SIGNATURE_HEADER, verify

from emulator.clock import FakeClock
from emulator.origin import create_app
from emulator.origin.outbox import OUTBOX

NOW = 1_767_312_000.0
SECRET = "origin-to-edge"
COFFEE_AT_LOOP = {"sku": "BEV-COFFEE", "store_id": "chi-loop"}  # 31 in stock
Sleeps = list[float]
MakeOrigin = Callable[..., Awaitable[TestClient]]


@dataclass
class Receiver:
    """The edge's events endpoint: records each request, answers ``statuses`` in turn (202
    once they run out), and holds every answer while ``gate`` is closed."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[CIMultiDict[str], bytes]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.gate.set()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((CIMultiDict(request.headers), await request.read()))
        await self.gate.wait()
        status = self.statuses.pop(0) if self.statuses else 202
        return web.json_response({"answer": status}, status=status)

    def events(self, index: int = -1) -> list[dict[str, object]]:
        events: list[dict[str, object]] = json.loads(self.requests[index][1])
        return events


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def edge(aiohttp_server: AiohttpServer, receiver: Receiver) -> TestServer:
    app = web.Application()
    app.router.add_post("/_edge/events", receiver.handle)
    return await aiohttp_server(app)


@pytest.fixture
def sleeps() -> Sleeps:
    return []


@pytest.fixture
def make_origin(aiohttp_client: AiohttpClient, sleeps: Sleeps) -> MakeOrigin:
    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async def make(**events: str | None) -> TestClient:
        app = create_app(None, rng=random.Random(1), clock=FakeClock(NOW), sleep=record, **events)
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def origin(make_origin: MakeOrigin, edge: TestServer) -> TestClient:
    return await make_origin(events_url=str(edge.make_url("/_edge/events")), events_secret=SECRET)


async def set_stock(origin: TestClient, qty: int, **where: str) -> None:
    async with origin.post("/_admin/stock", json={**(where or COFFEE_AT_LOOP), "qty": qty}) as r:
        assert r.status == 200


async def settled(origin: TestClient) -> dict[str, object]:
    """``GET /_admin/events`` once nothing is under way."""
    for _ in range(500):
        async with origin.get("/_admin/events") as response:
            status: dict[str, object] = await response.json()
        if status["pending"] == 0:
            return status
        await asyncio.sleep(0.01)
    raise AssertionError(f"events still pending: {status}")


async def test_a_stock_edit_posts_its_event_to_the_edge(
    origin: TestClient, receiver: Receiver
) -> None:
    await set_stock(origin, 12)
    await settled(origin)
    [event] = receiver.events()
    assert str(event.pop("event_id")).startswith("evt-")
    assert event == {
        "type": "inventory.changed",
        "sku": "BEV-COFFEE",
        "store_id": "chi-loop",
        "zone_id": "chicago",
        "qty": 12,
        "ts": NOW,
    }


async def test_the_signature_verifies_with_the_edges_own_code(
    origin: TestClient, receiver: Receiver
) -> None:
    await set_stock(origin, 12)
    await settled(origin)
    [(headers, body)] = receiver.requests
    header = headers.get(SIGNATURE_HEADER)
    assert verify(header, body, [SECRET], now=NOW, tolerance=300) == int(NOW)


async def test_the_events_are_sent_as_json(origin: TestClient, receiver: Receiver) -> None:
    await set_stock(origin, 12)
    await settled(origin)
    assert receiver.requests[0][0]["Content-Type"] == "application/json"


async def test_stock_coming_back_from_sold_out_is_a_restock(
    origin: TestClient, receiver: Receiver
) -> None:
    await set_stock(origin, 0)
    await set_stock(origin, 5)
    await settled(origin)
    assert [receiver.events(i)[0]["type"] for i in range(2)] == ["inventory.changed", "restock"]


async def test_more_stock_where_there_was_some_is_an_inventory_change(
    origin: TestClient, receiver: Receiver
) -> None:
    await set_stock(origin, 3)
    async with origin.post("/_admin/stock", json={**COFFEE_AT_LOOP, "delta": 4}):
        pass
    await settled(origin)
    assert receiver.events()[0]["type"] == "inventory.changed"
    assert receiver.events()[0]["qty"] == 7


async def test_a_checkout_posts_one_request_with_an_event_per_line(
    origin: TestClient, receiver: Receiver
) -> None:
    lines = [("DRY-EGGS-12", "sf-mission", 2), ("PAN-HONEY", "chi-loop", 3)]
    for sku, store, qty in lines:
        await set_stock(origin, 10, sku=sku, store_id=store)
        async with origin.post("/api/cart/items", json={"sku": sku, "store_id": store, "qty": qty}):
            pass
    await settled(origin)
    before = len(receiver.requests)
    async with origin.post("/api/checkout") as response:
        assert response.status == 201
    await settled(origin)
    assert len(receiver.requests) == before + 1
    assert [(e["sku"], e["store_id"], e["zone_id"], e["qty"]) for e in receiver.events()] == [
        ("PAN-HONEY", "chi-loop", "chicago", 7),
        ("DRY-EGGS-12", "sf-mission", "san-francisco", 8),
    ]


@pytest.mark.parametrize("status", [503, 500, 429])
async def test_a_busy_edge_is_tried_again_until_it_takes_the_events(
    origin: TestClient, edge: TestServer, receiver: Receiver, sleeps: Sleeps, status: int
) -> None:
    receiver.statuses = [status, status]
    await set_stock(origin, 12)
    assert await settled(origin) == {
        "url": str(edge.make_url("/_edge/events")),
        "sent": 1,
        "failed": 0,
        "pending": 0,
    }
    assert len(receiver.requests) == 3
    assert sleeps == [0.2, 0.4]


async def test_each_attempt_is_signed(origin: TestClient, receiver: Receiver) -> None:
    receiver.statuses = [503]
    await set_stock(origin, 12)
    await settled(origin)
    for headers, body in receiver.requests:
        verify(headers.get(SIGNATURE_HEADER), body, [SECRET], now=NOW, tolerance=300)


async def test_an_edge_busy_three_times_is_given_up_on_with_a_warning(
    origin: TestClient, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.statuses = [503, 503, 503]
    with caplog.at_level(logging.WARNING, logger="popcache.origin.events"):
        await set_stock(origin, 12)
        status = await settled(origin)
    assert (status["sent"], status["failed"], len(receiver.requests)) == (0, 1, 3)
    assert "gave up after 3 attempts" in caplog.text


async def test_a_refusal_is_not_retried_and_is_logged(
    origin: TestClient, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.statuses = [401]
    with caplog.at_level(logging.WARNING, logger="popcache.origin.events"):
        await set_stock(origin, 12)
        status = await settled(origin)
    assert (status["sent"], status["failed"], len(receiver.requests)) == (0, 1, 1)
    assert "HTTP 401" in caplog.text


@pytest.mark.parametrize(
    "config", [{}, {"events_url": "http://127.0.0.1:9/_edge/events"}, {"events_secret": SECRET}]
)
async def test_without_both_a_url_and_a_secret_nothing_is_sent(
    make_origin: MakeOrigin, config: dict[str, str]
) -> None:
    origin = await make_origin(**config)
    await set_stock(origin, 12)
    assert await settled(origin) == {"url": None, "sent": 0, "failed": 0, "pending": 0}


async def test_a_dead_edge_never_breaks_the_stock_edit(
    make_origin: MakeOrigin, sleeps: Sleeps
) -> None:
    origin = await make_origin(events_url=f"http://127.0.0.1:{closed_port()}/", events_secret="s")
    async with origin.post("/_admin/stock", json={**COFFEE_AT_LOOP, "qty": 12}) as response:
        assert response.status == 200
        assert (await response.json())["qty"] == 12
    status = await settled(origin)
    assert (status["sent"], status["failed"], len(sleeps)) == (0, 1, 2)


async def test_the_stock_edit_answers_before_the_edge_does(
    origin: TestClient, receiver: Receiver
) -> None:
    receiver.gate.clear()
    await set_stock(origin, 12)
    async with origin.get("/_admin/events") as response:
        assert (await response.json())["pending"] == 1
    receiver.gate.set()
    assert (await settled(origin))["sent"] == 1


async def test_sends_under_way_are_finished_when_the_origin_shuts_down(
    origin: TestClient, receiver: Receiver
) -> None:
    assert origin.app is not None
    outbox = origin.app[OUTBOX]
    receiver.gate.clear()
    await set_stock(origin, 12)
    closing = asyncio.ensure_future(origin.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    receiver.gate.set()
    await closing
    assert (outbox.sent, outbox.pending) == (1, 0)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
