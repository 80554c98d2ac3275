"""The proxy in-process, for edge unit tests: a dictionary for a cache, a function for an
origin, a settable clock, and a client placed wherever a test puts it (``request.cf``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from geoscope import Geo
from messages import EdgeRequest, EdgeResponse, Fields
from proxy import Proxy, Runtime
from routes import Routes, load_routes
from zonesource import ZoneRead

ROUTES = load_routes('[[rule]]\npath = "/p/**"\nclass = "warm"\ntimeout = "200ms"\n')
URL = "https://shop.example/p/1"


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
