"""popcache's edge Worker: the thin adapter between the Workers runtime and the proxy core.

Everything runtime-specific is here and only here: reading the routes file that ships beside
this module, turning the SDK's request into the core's ``EdgeRequest`` and back, the origin
through ``workers.fetch``, the cache through ``caches.default``, time through ``Date.now()``
(the runtime's clock, which the emulator can drive) and background work through
``ctx.waitUntil``, where the client is through ``request.cf``, and the dynamic zones through
the KV binding ``[zones]`` names. The front (the proxy and the ``/_edge/`` endpoints) lives
once per isolate, so request collapsing spans every request and batch the isolate serves.

Events and purges (docs/events.md) reach the runtime through ``EventPorts``, built from the
env: the ``EVENTS`` queue, the ``EVENT_LEDGER`` KV namespace, the ``EVENTS_SECRET`` (and
``EVENTS_SECRET_PREVIOUS``), ``ADMIN_TOKEN`` and ``PURGE_API_TOKEN`` secrets, the ``PURGE_API``
and ``ZONE_ID`` vars, and the ``METRICS`` Analytics Engine dataset for invalidation latency.
``queue()`` consumes the events queue.

``__popcache_internals__`` is a development hook, never called by the Workers runtime:
``popcache dev`` asks it how big this isolate's tables are (docs/emulator.md).
"""

from pathlib import Path
from typing import Any

from consumer import Delivered
from eventmessages import WarmMessage
from eventports import EventPorts, Outgoing, PurgeTarget
from front import Front
from geoscope import Geo, geo_from_cf
from js import Date, caches, console
from memo import Memo
from messages import EdgeRequest, EdgeResponse, Fields
from promotions import load_promotions_toml
from proxy import Runtime
from requestpoint import request_point
from respond import private_forms
from routes import load_routes
from upstream import OriginError, unreachable
from views import VIEWS_PREFIX
from warmer import plan_warming
from workers import Request, Response, WorkerEntrypoint, fetch
from zonefile import ZoneError, load_zones
from zonesource import ZoneRead, ZoneSource

_HERE = Path(__file__).parent
# Parsed once at start-up: a bad file stops the Worker from loading, with one line naming it.
ROUTES = load_routes((_HERE / "routes.toml").read_text(encoding="utf-8"), "edge/routes.toml")


def _static_zones(name: str | None) -> tuple[Any, ...]:
    if name is None:
        return ()
    source = f"edge/{name}"
    try:
        text = (_HERE / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ZoneError(
            f'{source}: cannot be read ({exc.strerror}); set [zones] file = "" for none'
        ) from None
    return load_zones(text, source)


ZONES = ZoneSource(_static_zones(ROUTES.zones.file), ROUTES.zones, console.warn)
# City promotions to warm caches for (docs/promotions.md), checked against the routes' own
# prefixes and views; a bad file stops the Worker from loading, with one line naming it.
PROMOTIONS = load_promotions_toml(
    (_HERE / "promotions.toml").read_text(encoding="utf-8"),
    "edge/promotions.toml",
    prefixes=ROUTES.batch.prefixes,
    known_views=[view.name for view in ROUTES.views],
)
_CF_FIELDS = ("latitude", "longitude", "metroCode", "city", "regionCode", "country")
_CF_PLACE = ("latitude", "longitude")
_NOWHERE = Geo()
_geos: Memo[tuple[Any, ...], Geo] = Memo()
_fronts: dict[tuple[str, str], Front] = {}
_reader_env: Any = None
_reader: ZoneRead | None = None


def _front(origin: str, version: str) -> Front:
    key = (origin, version)
    if key not in _fronts:
        _fronts[key] = Front(ROUTES, origin=origin, version=version, zones=ZONES)
    return _fronts[key]


def __popcache_internals__() -> dict[str, dict[str, int | None]]:
    """How many entries each table this isolate keeps between requests holds, and the most it
    may (None: as many as are in flight), for ``popcache dev``'s
    ``/cdn-cgi/popcache/internals``, so a soak can show that none grows without bound. It
    only reads; the Workers runtime never calls it."""
    sizes: dict[str, tuple[int, int | None]] = {
        "fronts": (len(_fronts), None),
        "memo.geos": (len(_geos), _geos.limit),
        "memo.private_forms": (len(private_forms), private_forms.limit),
        **ZONES.sizes(),
    }
    for front in _fronts.values():  # one per deployed version: in practice one
        for name, (size, limit) in front.sizes().items():
            held, most = sizes.get(name, (0, 0))
            sizes[name] = (held + size, None if limit is None or most is None else most + limit)
    return {name: {"size": size, "limit": limit} for name, (size, limit) in sizes.items()}


def _geo(cf: Any) -> Geo:
    """Where ``request.cf`` places the client; memoised, as a PoP sees the same few places.

    Cloudflare derives every location field from one geolocation of the client, so its
    coordinates identify the rest; the other fields (``metroCode`` is often absent, and reading
    an absent field off a JS object raises) are read only for a place not seen yet.
    """
    if cf is None:
        return _NOWHERE
    place = tuple(getattr(cf, name, None) for name in _CF_PLACE)
    geo = _geos.get(place)
    if geo is None:
        geo = _geos.keep(place, geo_from_cf({name: getattr(cf, name, None) for name in _CF_FIELDS}))
    return geo


def _zone_reader(env: Any) -> ZoneRead | None:
    """How this isolate reads the dynamic zones; the env is the isolate's own, so once."""
    global _reader_env, _reader
    if env is not _reader_env:
        _reader_env, _reader = env, _make_zone_reader(env)
    return _reader


def _make_zone_reader(env: Any) -> ZoneRead | None:
    binding = ROUTES.zones.kv_binding
    namespace = getattr(env, binding, None) if binding is not None else None
    if namespace is None:
        return None
    key = ROUTES.zones.kv_key

    async def read() -> str | None:
        value = await namespace.get(key)
        # None for an absent key (the SDK's binding wrapper turns JS null into None; a bare
        # JsProxy would give pyodide.ffi.jsnull, which is not a str either).
        return value if isinstance(value, str) else None

    return read


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
        raise unreachable(str(exc)) from exc
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


class _Ledger:
    """The events' ``Ledger`` over a KV namespace."""

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    async def get(self, key: str) -> str | None:
        value = await self._namespace.get(key)
        return value if isinstance(value, str) else None

    async def put(self, key: str, value: str, ttl: int) -> None:
        await self._namespace.put(key, value, expirationTtl=ttl)


def _sender(queue: Any) -> Any:
    async def send(messages: list[Outgoing]) -> None:
        batch = [
            {"body": message.body, "contentType": "json", "delaySeconds": message.delay}
            for message in messages
        ]
        await queue.sendBatch(batch)

    return send


def _recorder(dataset: Any) -> Any:
    def record(kind: str, seconds: float) -> None:
        if dataset is None:
            print(f'{{"invalidation":"{kind}","seconds":{seconds:.6f}}}')
        else:
            point = {"blobs": ["invalidation", kind], "doubles": [seconds], "indexes": [kind]}
            dataset.writeDataPoint(point)

    return record


def _write_point(dataset: Any, point: dict[str, Any]) -> None:
    """Write a request's data point; a binding that throws never fails the request it
    describes."""
    try:
        dataset.writeDataPoint(point)
    except Exception as exc:  # a JS Error over the limits, or a TypeError
        console.error(f"data point not written: {exc}")


def _colo(cf: Any) -> str:
    colo = getattr(cf, "colo", None) if cf is not None else None
    return colo if isinstance(colo, str) else ""


def _secrets(env: Any, *names: str) -> tuple[str, ...]:
    values = (getattr(env, name, None) for name in names)
    return tuple(value for value in values if isinstance(value, str) and value)


def _warmer(env: Any, front: Front, ctx: Any) -> Any:
    """Fetch a promotion's path as a shopper of its city, through this PoP's edge."""
    storefront = getattr(env, "STOREFRONT", None)
    if not isinstance(storefront, str) or not storefront:
        return None

    async def warm(message: WarmMessage) -> int:
        request = EdgeRequest("GET", storefront.rstrip("/") + message.path, Fields())
        runtime = Runtime(
            _origin, _CacheStore(caches.default), _now, ctx.waitUntil, _zone_reader(env)
        )
        lat, lon = message.at if message.at is not None else (None, None)
        geo = Geo(lat=lat, lon=lon, city=message.city)
        if message.path.startswith(VIEWS_PREFIX):
            return (await front.handle(request, runtime, geo)).status
        response, _ = await front.proxy.serve(request, runtime, geo, tags=(message.tag,))
        return response.status

    return warm


def _event_ports(env: Any, front: Front | None = None, ctx: Any = None) -> EventPorts:
    """What the event endpoints and the consumer may use of this env (absent parts: None)."""
    api, zone = getattr(env, "PURGE_API", None), getattr(env, "ZONE_ID", None)
    token = _secrets(env, "PURGE_API_TOKEN")
    target = PurgeTarget(api, zone, token[0]) if api and zone and token else None
    queue, ledger = getattr(env, "EVENTS", None), getattr(env, "EVENT_LEDGER", None)
    return EventPorts(
        _now,
        send=_sender(queue) if queue is not None else None,
        ledger=_Ledger(ledger) if ledger is not None else None,
        secrets=_secrets(env, "EVENTS_SECRET", "EVENTS_SECRET_PREVIOUS"),
        admin_tokens=_secrets(env, "ADMIN_TOKEN"),
        purge=target,
        fetch=_origin,
        warm=_warmer(env, front, ctx) if front is not None else None,
        record=_recorder(getattr(env, "METRICS", None)),
    )


class Default(WorkerEntrypoint):
    async def fetch(self, request: Request) -> Response:
        version = getattr(self.env, "CF_VERSION_METADATA", None)
        front = _front(self.env.ORIGIN, version.id if version is not None else "dev")
        incoming = request.js_object  # the JS request: plain strings, no SDK conversions
        method = incoming.method
        headers = Fields.lowered(incoming.headers)
        body = None if method in ("GET", "HEAD") else await request.bytes()
        edge_request = EdgeRequest(
            method, incoming.url, headers, body, headers.get("cf-connecting-ip")
        )
        runtime = Runtime(
            _origin,
            _CacheStore(caches.default),
            _now,
            self.ctx.waitUntil,
            _zone_reader(self.env),
            _event_ports(self.env),
        )
        # A request from outside Cloudflare's edge (a test, a service binding) has no cf.
        cf = getattr(incoming, "cf", None)
        started = _now()
        response = await front.handle(edge_request, runtime, _geo(cf))
        if (metrics := getattr(self.env, "METRICS", None)) is not None:
            point = request_point(
                runtime.tally,
                colo=_colo(cf),
                method=method,
                status=response.status,
                size=len(response.body),
                seconds=_now() - started,
            )
            _write_point(metrics, point)
        body = response.body or None  # 204/304 and HEAD answers have a null body
        return Response(body, status=response.status, headers=list(response.headers))

    async def queue(self, batch: Any, env: Any, ctx: Any) -> None:
        """Consume the events queue: purge, then tell the queue what was done with each.

        The runtime passes ``env`` and ``ctx`` as None to a class entrypoint's handlers; they
        are ``self.env`` and ``self.ctx``."""
        env = self.env
        version = getattr(env, "CF_VERSION_METADATA", None)
        front = _front(env.ORIGIN, version.id if version is not None else "dev")
        messages = list(batch.messages)
        delivered = [
            Delivered(message.id, _plain(message.body), message.attempts) for message in messages
        ]
        decisions = await front.consumer.consume(delivered, _event_ports(env, front, self.ctx))
        for message in messages:
            if message.id in decisions.retried:
                delay = decisions.retried[message.id]
                message.retry() if delay is None else message.retry(delaySeconds=delay)
            else:
                message.ack()

    async def scheduled(self, controller: Any, env: Any, ctx: Any) -> None:
        """Each cron run: queue the warming of every promotion opening within its lead (the
        runtime passes ``env`` and ``ctx`` as None here too)."""
        now = controller.scheduledTime / 1000.0
        for line in await plan_warming(PROMOTIONS, now, _event_ports(self.env)):
            print(line)


def _plain(body: Any) -> Any:
    """A message body as Python data (a JS object comes as a proxy with ``to_py``)."""
    return body.to_py() if hasattr(body, "to_py") else body
