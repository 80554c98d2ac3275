"""The front door on 127.0.0.1:8787: anycast routing to PoPs, and the ``/cdn-cgi/`` endpoints.

For each request it places the client (:mod:`emulator.anycast`), builds the JS ``Request`` the
worker sees (``request.cf`` and Cloudflare's request headers included), runs the PoP and sends
the answer with ``CF-Ray: <16 hex>-<colo>``. Emulator endpoints live under Cloudflare's reserved
``/cdn-cgi/`` prefix:

- ``/cdn-cgi/handler/scheduled?cron=<expr>&time=<ms>`` runs the scheduled handler on the PoP the
  request is routed to, as ``wrangler dev --test-scheduled`` does; 200 ``ok`` or a 500 traceback.
- ``/cdn-cgi/popcache/faults``: ``GET`` shows the faults injected on the way to the origin,
  ``PUT`` replaces them (:mod:`emulator.faultconfig`'s schema, as JSON); a bad body is a 400
  problem naming the field and changes nothing.
- ``/cdn-cgi/popcache/client/v4/zones/<zone>/purge_cache`` (and ``invalidate_cache``): Cloudflare's
  zone purge API, applied to every PoP's caches (:mod:`emulator.purgeapi`); ``GET
  /cdn-cgi/popcache/purges`` lists the purges made.
- ``/cdn-cgi/popcache/metrics``: the emulator's figures for Prometheus (:mod:`emulator.metrics`).
- ``/cdn-cgi/popcache/stats[?window=N]``: the same figures as JSON (:mod:`emulator.figures`,
  docs/observability.md); ``window`` is whole seconds, 1 to 3600 (default 600), else a 400
  problem naming it.
- ``/cdn-cgi/popcache/internals``: the sizes of what could grow, per PoP and the emulator's own,
  and the process's memory, as JSON (:mod:`emulator.internals`).
- ``/cdn-cgi/popcache/``: the live dashboard, and ``/cdn-cgi/popcache/demo/*``, its buttons that
  drive the demo origin (:mod:`emulator.dashboard`).

With a request log (``popcache dev --log-format``), every request that is not for a
``/cdn-cgi/`` endpoint is one line to the log's writer (by default the ``popcache.requests``
logger; ``popcache dev`` writes stderr directly: :mod:`emulator.requestlog`), with the data
point the worker wrote while serving it (:mod:`emulator.requestnote`).

A response whose body an injected ``reset`` broke off (:class:`emulator.faults.BodyResetResponse`)
reaches the client as it would through Cloudflare: headers, part of the body, a closed
connection.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from .anycast import place
from .bodies import TooLarge, read_within
from .cf import cf_properties
from .dashboard import Dashboard
from .errors import PROBLEM_JSON, ProblemError
from .faultconfig import FaultSpecError, parse_faults
from .faults import BodyResetResponse, FaultInjector
from .figures import DEFAULT_WINDOW, MAX_WINDOW
from .geo import CityIndex
from .internals import INTERNALS_ENDPOINT
from .metrics import CONTENT_TYPE, METRICS_ENDPOINT
from .pop import Pop, error_response
from .purgeapi import PURGE_API_PATH, PURGES_ENDPOINT, PurgeApi, purges_response
from .requestlog import REQUEST_LOG, Seen, log_fields
from .requestnote import noting
from .runtime.cache_http import normalize_url
from .runtime.headers import JsHeaders
from .runtime.http import JsRequest, JsResponse
from .runtime.jsproxy import JsObject
from .topology import Placement, Topology

__all__ = ["FAULTS_ENDPOINT", "SERVER", "STATS_ENDPOINT", "FrontDoor", "stats_window"]

_fault_log = logging.getLogger("popcache.faults")

# Headers the emulator computes for the response itself (Cloudflare's edge answers with
# `Server: cloudflare` whatever the worker or its origin said).
_DROPPED_RESPONSE_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "content-encoding",
        "connection",
        "keep-alive",
        "server",
    }
)
_CONTROL_PREFIX = "x-popcache-"
SERVER = "cloudflare"
_BODYLESS = frozenset({"GET", "HEAD"})
MAX_BODY = 100 * 1024 * 1024
"""Cloudflare's request body limit on the Free and Pro plans; past it Cloudflare answers 413
before any Worker runs (developers.cloudflare.com/workers/platform/limits/)."""
FAULTS_ENDPOINT = "/cdn-cgi/popcache/faults"
CF_PLACES = 4096
"""Client placements whose ``request.cf`` is kept built; past it, the kept ones are forgotten."""
STATS_ENDPOINT = "/cdn-cgi/popcache/stats"
# Request headers Cloudflare's edge sets itself (a client's own values are replaced, except
# X-Forwarded-For, which it appends the client's address to).
_EDGE_REQUEST_HEADERS = frozenset(
    {
        "cf-connecting-ip",
        "cf-ipcountry",
        "cf-ray",
        "x-forwarded-proto",
        "cf-visitor",
        "x-forwarded-for",
    }
)


def _edge_headers(request: web.BaseRequest, cf: JsObject, ray: str) -> JsHeaders:
    """The headers a worker sees: the client's, minus emulator controls, plus Cloudflare's."""
    fields = [
        (name, value)
        for name, value in (
            (raw_name.decode("latin-1").lower(), raw_value.decode("latin-1"))
            for raw_name, raw_value in request.raw_headers
        )
        if not name.startswith(_CONTROL_PREFIX) and name not in _EDGE_REQUEST_HEADERS
    ]
    ip = request.headers.get("CF-Connecting-IP") or request.remote or "127.0.0.1"
    chain = request.headers.get("X-Forwarded-For")
    fields += [
        ("cf-connecting-ip", ip),
        ("x-forwarded-for", f"{chain}, {ip}" if chain else ip),
        ("cf-ipcountry", cf.country),
        ("cf-ray", ray),
        ("x-forwarded-proto", "http"),
        ("cf-visitor", '{"scheme":"http"}'),
    ]
    return JsHeaders.trusted(fields)


def _bad_url(url: str, host: str, target: str) -> ProblemError:
    """The 400 for a request whose URL the WHATWG parser refuses, naming the part at fault."""
    if target[:1] == "/":
        try:
            normalize_url(f"http://{host}/")
        except TypeError:
            return ProblemError(400, "Bad host", f"Host {host!r} is not a valid host", "Host")
    return ProblemError(400, "Bad URL", f"{url!r} is not a valid http URL", "url")


def stats_window(query: Mapping[str, str]) -> int:
    """The ``window`` of a stats request: whole seconds, 1 to ``MAX_WINDOW``."""
    raw = query.get("window")
    if raw is None:
        return DEFAULT_WINDOW
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_WINDOW:
        return int(raw)
    raise ProblemError(
        400,
        "Bad window",
        f"window must be whole seconds from 1 to {MAX_WINDOW}, got {raw[:40]!r}",
        "window",
    )


class FrontDoor:
    def __init__(
        self,
        topology: Topology,
        pops: dict[str, Pop],
        cities: Callable[[], CityIndex | None],
        now_ms: Callable[[], float],
        faults: FaultInjector,
        purge_api: PurgeApi | None = None,
        metrics: Callable[[], bytes] | None = None,
        dashboard: Dashboard | None = None,
        stats: Callable[[int], dict[str, Any]] | None = None,
        internals: Callable[[], dict[str, Any]] | None = None,
        request_log: Callable[[dict[str, Any]], str] | None = None,
        log_to: Callable[[str], None] = REQUEST_LOG.info,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        """``stats`` gives the figures of a window, ``internals`` the sizes of what could grow;
        ``request_log`` formats a request's log
        line (None: no request log), written to ``log_to``; ``timer`` measures how long a
        request took."""
        self._topology = topology
        self._metrics = metrics
        self._dashboard = dashboard
        self._stats = stats
        self._internals = internals
        self._request_log = request_log
        self._log_to = log_to
        self._timer = timer
        self._faults = faults
        self._purge_api = purge_api
        self._pops = pops
        self._cities = cities
        self._now_ms = now_ms
        self._cf_cache: dict[Any, dict[str, Any]] = {}
        self._default = topology.default_placement

    def _ray(self, colo: str) -> str:
        return f"{random.getrandbits(64):016x}-{colo}"

    def _cf(self, placement: Placement) -> JsObject:
        # The default placement is one object: keying on its identity skips hashing a Location.
        key = (
            placement.pop.colo
            if placement is self._default
            else (placement.pop.colo, placement.client)
        )
        fields = self._cf_cache.get(key)
        if fields is None:
            cities = self._cities()
            city = (
                cities.nearest(placement.client.latitude, placement.client.longitude)
                if cities
                else None
            )
            fields = cf_properties(placement.pop, placement.client, city)
            if city is not None:
                if len(self._cf_cache) >= CF_PLACES:
                    self._cf_cache.clear()
                self._cf_cache[key] = fields
        if placement.cf_overrides:
            return JsObject({**fields, **placement.cf_overrides})
        return JsObject(fields, shared=True)

    def cf_places(self) -> int:
        """Client placements whose ``request.cf`` is kept (at most ``CF_PLACES``)."""
        return len(self._cf_cache)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        form = self._request_log
        if form is None or request.raw_path.startswith("/cdn-cgi/"):
            return await self._serve(request)
        started = self._timer()
        with noting() as note:
            response = await self._serve(request)
        seen = Seen(
            response.headers.get("CF-Ray", "").rpartition("-")[2],
            request.method,
            request.raw_path,
            response.status,
            response.content_length or 0,
            (self._timer() - started) * 1000,
        )
        self._log_to(form(log_fields(self._now_ms() / 1000, note.point, seen)))
        return response

    async def _serve(self, request: web.BaseRequest) -> web.StreamResponse:
        request_headers = request.headers
        try:
            # The peer address matters only to a topology with client ranges.
            peer = request.remote if self._topology.clients else None
            placement = place(self._topology, request_headers, peer)
        except ProblemError as problem:
            return self._problem(problem, self._topology.pops[0].colo)
        colo = placement.pop.colo
        pop = self._pops[colo]
        ray = self._ray(colo)
        target = request.raw_path
        if target.startswith("/cdn-cgi/"):
            return await self._internal(request, pop, ray)
        cf = self._cf(placement)

        method = request.method
        body = None
        if method not in _BODYLESS and request.can_read_body:
            try:
                body = await _read_body(request)
            except ProblemError as problem:
                return self._problem(problem, colo)
        # An absolute-form target's authority wins over Host (RFC 9112 §3.2.2).
        host = request_headers.get("Host") or request.host
        url = f"http://{host}{target}" if target[:1] == "/" else target
        try:
            js_request = JsRequest.incoming(
                url,
                method,
                functools.partial(_edge_headers, request, cf, ray),
                body or None,
                cf,
            )
        except TypeError:
            return self._problem(_bad_url(url, host, target), colo)
        response = await pop.fetch(js_request)
        if isinstance(response, BodyResetResponse):
            return await self._send_reset(request, response, ray)
        return self._send(response, ray)

    def _send(self, response: JsResponse, ray: str) -> web.Response:
        headers = []
        for field in response.headers.fields:  # a loop: one frame fewer on the hot path
            if field[0] not in _DROPPED_RESPONSE_HEADERS:
                headers.append(field)
        headers.append(("CF-Ray", ray))
        headers.append(("Server", SERVER))
        return web.Response(
            status=response.status,
            reason=response.statusText or None,
            body=response._body,
            headers=headers,
        )

    async def _send_reset(
        self, request: web.BaseRequest, response: BodyResetResponse, ray: str
    ) -> web.StreamResponse:
        """The headers and half the body, then the connection closes: the client sees the body
        break off (chunked, so whatever the length, the message is visibly incomplete)."""
        stream = web.StreamResponse(status=response.status, reason=response.statusText or None)
        for name, value in response.headers.fields:
            if name not in _DROPPED_RESPONSE_HEADERS:
                stream.headers.add(name, value)
        stream.headers["CF-Ray"] = ray
        stream.headers["Server"] = SERVER
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        body = response._body or b""
        await stream.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.close()
        return stream

    def _problem(self, problem: ProblemError, colo: str) -> web.Response:
        return web.Response(
            status=problem.status,
            body=problem.body(),
            headers={"Content-Type": PROBLEM_JSON, "CF-Ray": self._ray(colo), "Server": SERVER},
        )

    async def _internal(self, request: web.BaseRequest, pop: Pop, ray: str) -> web.StreamResponse:
        if request.path == "/cdn-cgi/handler/scheduled":
            return await self._scheduled(request, pop, ray)
        if request.path == FAULTS_ENDPOINT:
            return await self._fault_endpoint(request, pop.colo, ray)
        if request.path == METRICS_ENDPOINT and self._metrics is not None:
            if request.method not in ("GET", "HEAD"):
                return self._refused(METRICS_ENDPOINT, ("GET",), pop.colo)
            text = self._metrics()
            return _stamped(web.Response(body=text, headers={"Content-Type": CONTENT_TYPE}), ray)
        if request.path == STATS_ENDPOINT and self._stats is not None:
            if request.method not in ("GET", "HEAD"):
                return self._refused(STATS_ENDPOINT, ("GET",), pop.colo)
            try:
                window = stats_window(request.query)
            except ProblemError as problem:
                return self._problem(problem, pop.colo)
            return _json(self._stats(window), ray)
        if request.path == INTERNALS_ENDPOINT and self._internals is not None:
            if request.method not in ("GET", "HEAD"):
                return self._refused(INTERNALS_ENDPOINT, ("GET",), pop.colo)
            return _json(self._internals(), ray)
        if self._dashboard is not None and self._dashboard.serves(request.path):
            return _stamped(await self._dashboard.handle(request), ray)
        purge_api = self._purge_api
        if purge_api is not None:
            if request.path.startswith(PURGE_API_PATH + "/"):
                return _stamped(await purge_api.handle(request), ray)
            if request.path == PURGES_ENDPOINT:
                return self._purges_endpoint(request, purge_api, pop.colo, ray)
        return self._problem(
            ProblemError(404, "Not found", f"{request.path} is not an emulator endpoint", "path"),
            pop.colo,
        )

    async def _scheduled(self, request: web.BaseRequest, pop: Pop, ray: str) -> web.Response:
        cron = request.query.get("cron", "")
        raw_time = request.query.get("time")
        try:
            scheduled_ms = float(raw_time) if raw_time is not None else self._now_ms()
        except ValueError:
            return self._problem(
                ProblemError(
                    400,
                    "Bad scheduled time",
                    "time must be milliseconds since the Unix epoch",
                    "time",
                ),
                pop.colo,
            )
        try:
            await pop.scheduled(cron, scheduled_ms)
        except Exception as exc:
            return self._send(error_response(exc), ray)
        return web.Response(text="ok", headers={"CF-Ray": ray})

    async def _fault_endpoint(self, request: web.BaseRequest, colo: str, ray: str) -> web.Response:
        """``GET`` the faults, or ``PUT`` new ones: all valid or nothing changes."""
        if request.method == "PUT":
            try:
                faults = parse_faults(_json_body(await _read_body(request)), self._pops)
            except FaultSpecError as exc:
                return self._problem(
                    ProblemError(400, "Invalid faults", exc.problem, exc.key), colo
                )
            except ProblemError as problem:
                return self._problem(problem, colo)
            self._faults.replace(faults)
            _fault_log.info("faults replaced through %s: %d fault(s)", FAULTS_ENDPOINT, len(faults))
        elif request.method != "GET":
            return self._refused(FAULTS_ENDPOINT, ("GET", "PUT"), colo)
        return _json(self._faults.to_json(), ray)

    def _purges_endpoint(
        self, request: web.BaseRequest, purge_api: PurgeApi, colo: str, ray: str
    ) -> web.Response:
        """``GET`` the purge log, newest first."""
        if request.method not in ("GET", "HEAD"):
            return self._refused(PURGES_ENDPOINT, ("GET",), colo)
        return _stamped(purges_response(purge_api.purges), ray)

    def _refused(self, endpoint: str, methods: tuple[str, ...], colo: str) -> web.Response:
        """The 405 for a method ``endpoint`` does not take."""
        refused = self._problem(
            ProblemError(
                405, "Method Not Allowed", f"{endpoint} takes {' or '.join(methods)}", "method"
            ),
            colo,
        )
        refused.headers["Allow"] = ", ".join(methods)
        return refused


def _json(data: object, ray: str) -> web.Response:
    """An emulator endpoint's JSON answer, never cached."""
    return _stamped(
        web.Response(
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
        ),
        ray,
    )


def _stamped(response: web.Response, ray: str) -> web.Response:
    response.headers["CF-Ray"] = ray
    response.headers["Server"] = SERVER
    return response


def _json_body(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise ProblemError(
            400, "Invalid faults", 'the body must be JSON: {"fault": [...]}', "body"
        ) from None


async def _read_body(request: web.BaseRequest) -> bytes:
    """The request body, up to ``MAX_BODY`` (aiohttp's own 1 MiB cap is not Cloudflare's)."""
    try:
        return await read_within(request, MAX_BODY)
    except TooLarge:
        raise ProblemError(
            413,
            "Content Too Large",
            f"the request body is larger than Cloudflare's {MAX_BODY // 2**20} MiB limit",
            "body",
        ) from None
