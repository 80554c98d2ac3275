"""popcache's edge Worker: the thin adapter between the Workers runtime and the proxy core.

Everything runtime-specific is here and only here: reading the routes file that ships beside
this module, turning the SDK's request into the core's ``EdgeRequest`` and back, the origin
through ``workers.fetch``, the cache through ``caches.default``, time through ``Date.now()``
(the runtime's clock, which the emulator can drive) and background work through
``ctx.waitUntil``. The proxy itself lives once per isolate, so request collapsing spans every
request the isolate serves.
"""

from pathlib import Path
from typing import Any

from js import Date, caches
from messages import EdgeRequest, EdgeResponse, Fields
from proxy import Proxy, Runtime
from routes import load_routes
from upstream import OriginError
from workers import Request, Response, WorkerEntrypoint, fetch

# Parsed once at start-up: a bad file stops the Worker from loading, with one line naming it.
ROUTES = load_routes(
    (Path(__file__).parent / "routes.toml").read_text(encoding="utf-8"), "edge/routes.toml"
)
_proxies: dict[tuple[str, str], Proxy] = {}


def _proxy(origin: str, version: str) -> Proxy:
    key = (origin, version)
    if key not in _proxies:
        _proxies[key] = Proxy(ROUTES, origin=origin, version=version)
    return _proxies[key]


async def _origin(request: EdgeRequest) -> EdgeResponse:
    try:
        response = await fetch(
            request.url,
            method=request.method,
            headers=list(request.headers),
            body=request.body,
            redirect="manual",
        )
    except Exception as exc:  # the runtime's network errors have no common type
        kind = "connection_refused" if "connect" in str(exc).lower() else "destination_unavailable"
        raise OriginError(kind, f"the origin is unreachable: {exc}") from exc
    try:
        body = await response.bytes()
    except Exception as exc:
        raise OriginError("connection_terminated", f"the origin's body broke off: {exc}") from exc
    return EdgeResponse(response.status, Fields.lowered(response.js_object.headers), body)


class _CacheStore:
    """The proxy's ``Store`` over the Cache API of this data center."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    async def match(self, key: str) -> EdgeResponse | None:
        hit = await self._cache.match(key)
        if hit is None:
            return None
        response = Response(hit)
        return EdgeResponse(response.status, Fields.lowered(hit.headers), await response.bytes())

    async def put(self, key: str, response: EdgeResponse) -> None:
        stored = Response(response.body, status=response.status, headers=list(response.headers))
        await self._cache.put(key, stored.js_object)

    async def delete(self, key: str) -> bool:
        return bool(await self._cache.delete(key))


def _now() -> float:
    return Date.now() / 1000.0


class Default(WorkerEntrypoint):
    async def fetch(self, request: Request) -> Response:
        version = getattr(self.env, "CF_VERSION_METADATA", None)
        proxy = _proxy(self.env.ORIGIN, version.id if version is not None else "dev")
        incoming = request.js_object  # the JS request: plain strings, no SDK conversions
        method = incoming.method
        headers = Fields.lowered(incoming.headers)
        body = None if method in ("GET", "HEAD") else await request.bytes()
        edge_request = EdgeRequest(
            method, incoming.url, headers, body, headers.get("cf-connecting-ip")
        )
        runtime = Runtime(_origin, _CacheStore(caches.default), _now, self.ctx.waitUntil)
        response = await proxy.handle(edge_request, runtime)
        body = response.body or None  # 204/304 and HEAD answers have a null body
        return Response(body, status=response.status, headers=list(response.headers))
