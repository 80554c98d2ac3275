"""The proxy in-process, for edge unit tests: a dictionary for a cache, a function for an
origin, a settable clock, and a client placed wherever a test puts it (``request.cf``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from front import Front
from geoscope import Geo
from messages import EdgeRequest, EdgeResponse, Fields
from proxy import Proxy, Runtime
from routes import Routes, load_routes
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
