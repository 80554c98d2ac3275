"""The edge's front: its own endpoints under ``/_edge/``, every other request to the proxy.

``/_edge/`` belongs to the edge on every storefront host: ``POST /_edge/batch`` (``batch``),
``GET /_edge/views/<name>`` (``views``), ``POST /_edge/events`` (``intake``), ``POST
/_edge/purge`` (``adminpurge``), and a 404 for anything else there, so a storefront path can
never be mistaken for one of them or reach the origin under that prefix. The front also holds
the isolate's events consumer, which ``queue()`` hands each batch to.
"""

from __future__ import annotations

import re
import string

from adminpurge import ADMIN_PURGE_PATH, AdminPurge
from batch import BatchEndpoint
from consumer import Consumer
from eventports import EventPorts
from geoscope import Geo
from intake import EVENTS_PATH, EventsEndpoint
from messages import EdgeRequest, EdgeResponse
from problem import problem
from proxy import Proxy, Runtime
from routes import Routes
from views import VIEWS_PREFIX, ViewEndpoint
from zonesource import ZoneSource

__all__ = ["EDGE_PATHS", "Front"]

EDGE_PATHS = "/_edge/"
_BATCH = "/_edge/batch"
_NOWHERE = Geo()
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")


def _unreserved(escape: re.Match[str]) -> str:
    char = chr(int(escape[1], 16))
    return char if char in _UNRESERVED else escape[0]


class Front:
    """One isolate's edge for one origin and one deployed version."""

    def __init__(
        self, routes: Routes, *, origin: str, version: str, zones: ZoneSource | None = None
    ) -> None:
        self.proxy = Proxy(routes, origin=origin, version=version, zones=zones)
        self.batch = BatchEndpoint(self.proxy, routes.batch)
        self.views = ViewEndpoint(self.proxy, routes.views, routes.batch.prefixes)
        self.events = EventsEndpoint(routes.events)
        self.consumer = Consumer(routes.events, routes.purge)
        self.purge = AdminPurge(routes.purge, self.consumer.bucket)

    def sizes(self) -> dict[str, tuple[int, int | None]]:
        """The proxy's tables (``Proxy.sizes``), the views in flight, and the promotions whose
        warming pace the consumer keeps (one per promotion of ``promotions.toml``)."""
        return {
            **self.proxy.sizes(),
            "view_renders": (len(self.views.renders), None),
            "warm_paces": (len(self.consumer.pace), None),
        }

    async def handle(
        self, request: EdgeRequest, runtime: Runtime, geo: Geo | None = None
    ) -> EdgeResponse:
        url = request.url
        start = url.find("/", url.find("://") + 3)  # where the path starts
        if start < 0:
            return await self.proxy.handle(request, runtime, geo)
        if "%" in url[start : start + len(EDGE_PATHS)]:
            # "/%5Fedge/" is "/_edge/" (RFC 3986 §6.2.2.2), and the origin would read it so.
            url = url[:start] + _ESCAPE.sub(_unreserved, url[start:])
            request.url = url
        if not url.startswith(EDGE_PATHS, start):
            return await self.proxy.handle(request, runtime, geo)
        path = url[start:].partition("?")[0]
        tally = runtime.tally
        if path == _BATCH:
            tally.endpoint = "batch"
            return await self.batch.handle(request, runtime, geo or _NOWHERE)
        if path.startswith(VIEWS_PREFIX):
            tally.endpoint = "view"
            return await self.views.handle(request, runtime, geo or _NOWHERE)
        if path in (EVENTS_PATH, ADMIN_PURGE_PATH):
            ports = runtime.events or EventPorts(runtime.now)
            tally.endpoint, endpoint = (
                ("events", self.events) if path == EVENTS_PATH else ("purge", self.purge)
            )
            return await endpoint.handle(request, ports)
        tally.endpoint = "edge"
        return problem(404, f"{path[:200]!r} is not an edge endpoint", field="url")
