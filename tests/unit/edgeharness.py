"""The proxy in-process, for edge unit tests: a dictionary for a cache, a function for an
origin, a settable clock, and a client placed wherever a test puts it (``request.cf``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from consumer import Decisions, Delivered
from eventports import EventPorts, Outgoing, PurgeTarget
from front import Front
from geoscope import Geo
from messages import EdgeRequest, EdgeResponse, Fields
from proxy import Proxy, Runtime
from routes import Routes, load_routes
from signature import sign
from zonesource import ZoneRead, ZoneSource

ROUTES = load_routes('[[rule]]\npath = "/p/**"\nclass = "warm"\ntimeout = "200ms"\n')
URL = "https://shop.example/p/1"
SHOP = "https://shop.example"


class DictStore:
    def __init__(self) -> None:
        self.entries: dict[str, EdgeResponse] = {}
        self.failing = False

    async def match(self, key: str) -> EdgeResponse | None:
        if self.failing:
            raise RuntimeError("cache unavailable")
        found = self.entries.get(key)
        return (
            None if found is None else EdgeResponse(found.status, found.headers.copy(), found.body)
        )

    async def put(self, key: str, response: EdgeResponse) -> None:
        if self.failing:
            raise RuntimeError("cache unavailable")
        self.entries[key] = response

    async def delete(self, key: str) -> bool:
        return self.entries.pop(key, None) is not None


class Harness:
    def __init__(
        self,
        answer: Callable[[EdgeRequest], Awaitable[EdgeResponse]],
        routes: Routes = ROUTES,
        proxy: Proxy | None = None,
    ) -> None:
        self.store = DictStore()
        self.now = 1000.0
        self.sent: list[EdgeRequest] = []
        self.background: list[Awaitable[Any]] = []
        self.answer = answer
        self.proxy = proxy or Proxy(routes, origin="http://origin", version="v1")
        self.geo = Geo()
        self.zones: ZoneRead | None = None

    async def origin(self, request: EdgeRequest) -> EdgeResponse:
        self.sent.append(request)
        return await self.answer(request)

    def runtime(self) -> Runtime:
        return Runtime(
            self.origin, self.store, lambda: self.now, self.background.append, self.zones
        )

    async def get(self, url: str = URL, *fields: tuple[str, str]) -> EdgeResponse:
        return await self.send(EdgeRequest("GET", url, Fields(fields)))

    async def send(self, request: EdgeRequest) -> EdgeResponse:
        return await self.proxy.handle(request, self.runtime(), self.geo)


def ok(cache_control: str = "public, max-age=60", *extra: tuple[str, str]) -> Callable[..., Any]:
    async def answer(request: EdgeRequest) -> EdgeResponse:
        return EdgeResponse(200, Fields([("cache-control", cache_control), *extra]), b"body")

    return answer


def detail(response: EdgeResponse) -> str:
    return response.headers.get("cache-status") or ""


class YieldingStore(DictStore):
    """A cache whose every call gives the event loop a turn first, as the Cache API's promises
    do on Cloudflare; concurrent requests interleave around it as they would there."""

    async def match(self, key: str) -> EdgeResponse | None:
        await asyncio.sleep(0)
        return await super().match(key)

    async def put(self, key: str, response: EdgeResponse) -> None:
        await asyncio.sleep(0)
        await super().put(key, response)

    async def delete(self, key: str) -> bool:
        await asyncio.sleep(0)
        return await super().delete(key)


class FrontHarness(Harness):
    """The edge's front (batch, views, proxy) in-process over the same fakes as ``Harness``,
    with a cache that yields as the Cache API does."""

    def __init__(
        self,
        answer: Callable[[EdgeRequest], Awaitable[EdgeResponse]],
        routes: Routes = ROUTES,
        zones: ZoneSource | None = None,
    ) -> None:
        self.front = Front(routes, origin="http://origin", version="v1", zones=zones)
        super().__init__(answer, routes, self.front.proxy)
        self.store = YieldingStore()

    async def send(self, request: EdgeRequest) -> EdgeResponse:
        return await self.front.handle(request, self.runtime(), self.geo)

    async def post_batch(
        self,
        body: bytes,
        *fields: tuple[str, str],
        method: str = "POST",
        client_ip: str | None = None,
    ) -> EdgeResponse:
        """``/_edge/batch`` with exactly these fields and body."""
        url = f"{SHOP}/_edge/batch"
        return await self.send(EdgeRequest(method, url, Fields(fields), body, client_ip))

    async def batch(
        self, *items: dict[str, Any], fields: tuple[tuple[str, str], ...] = (), **kwargs: Any
    ) -> EdgeResponse:
        """``POST /_edge/batch`` of ``items`` as JSON, with ``fields`` besides its type."""
        body = json.dumps({"requests": list(items)}).encode()
        return await self.post_batch(body, ("content-type", "application/json"), *fields, **kwargs)

    async def view(self, name: str, query: str = "", *fields: tuple[str, str]) -> EdgeResponse:
        """``GET /_edge/views/<name>?<query>``."""
        url = f"{SHOP}/_edge/views/{name}" + (f"?{query}" if query else "")
        return await self.send(EdgeRequest("GET", url, Fields(fields)))


def json_body(response: EdgeResponse) -> Any:
    return json.loads(response.body)


SECRET = "events-secret"
ADMIN = "admin-token"
PURGE_API = "https://api.example/client/v4"


class FakeLedger:
    """KV as the events use it, expiring by the harness clock."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.values: dict[str, tuple[str, float]] = {}
        self.now = now
        self.failing = False

    async def get(self, key: str) -> str | None:
        if self.failing:
            raise RuntimeError("KV unavailable")
        found = self.values.get(key)
        return found[0] if found is not None and found[1] > self.now() else None

    async def put(self, key: str, value: str, ttl: int) -> None:
        if self.failing:
            raise RuntimeError("KV unavailable")
        self.values[key] = (value, self.now() + ttl)


class FakeQueue:
    """A queue producer keeping what was sent, as JSON bodies survive the trip."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.failing = False

    async def send(self, messages: Sequence[Outgoing]) -> None:
        if self.failing:
            raise RuntimeError("Queue sendBatch failed")
        self.sent.extend(Outgoing(json.loads(json.dumps(m.body)), m.delay) for m in messages)


def api_answer(status: int = 200, *fields: tuple[str, str], success: bool = True) -> EdgeResponse:
    envelope = {"success": success, "errors": [], "messages": [], "result": {"id": "zone"}}
    return EdgeResponse(status, Fields(fields), json.dumps(envelope).encode())


class EventsHarness(FrontHarness):
    """The front with its event ports: a fake queue, KV and purge API, and recorded latency."""

    def __init__(self, routes: Routes = ROUTES) -> None:
        super().__init__(ok(), routes)
        self.queue = FakeQueue()
        self.ledger = FakeLedger(lambda: self.now)
        self.purges: list[EdgeRequest] = []
        self.api_answers: list[EdgeResponse] = []
        self.recorded: list[tuple[str, float]] = []

    async def purge_api(self, request: EdgeRequest) -> EdgeResponse:
        self.purges.append(request)
        return self.api_answers.pop(0) if self.api_answers else api_answer()

    def ports(self) -> EventPorts:
        return EventPorts(
            lambda: self.now,
            send=self.queue.send,
            ledger=self.ledger,
            secrets=(SECRET,),
            admin_tokens=(ADMIN,),
            purge=PurgeTarget(PURGE_API, "zone", "api-token"),
            fetch=self.purge_api,
            record=lambda kind, seconds: self.recorded.append((kind, seconds)),
        )

    def runtime(self) -> Runtime:
        runtime = super().runtime()
        runtime.events = self.ports()
        return runtime

    async def post_events(
        self, events: list[dict[str, Any]], *, secret: str = SECRET, signed_at: float | None = None
    ) -> EdgeResponse:
        body = json.dumps(events).encode()
        header = sign(body, [secret], int(self.now if signed_at is None else signed_at))
        return await self.post_signed(body, header)

    async def post_signed(self, body: bytes, header: str | None) -> EdgeResponse:
        fields = Fields([("content-type", "application/json")])
        if header is not None:
            fields.set("popcache-signature", header)
        return await self.send(EdgeRequest("POST", f"{SHOP}/_edge/events", fields, body))

    async def consume(self) -> Decisions:
        """Deliver everything sent so far (delays ignored) as one batch, as the queue would."""
        delivered = [
            Delivered(f"m{index}", message.body, 1) for index, message in enumerate(self.queue.sent)
        ]
        self.queue.sent = []
        return await self.front.consumer.consume(delivered, self.ports())

    def purged(self) -> list[tuple[str, list[str]]]:
        """Each purge API call: its endpoint and its tags (lower-cased, as Cloudflare compares
        them)."""
        return [
            (
                request.url.rsplit("/", 1)[1],
                [tag.lower() for tag in json.loads(request.body or b"{}").get("tags", [])],
            )
            for request in self.purges
        ]


def event(event_id: str = "e1", type: str = "inventory.changed", **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": type, "sku": "A1", "store_id": "s1", "ts": 1000} | fields
