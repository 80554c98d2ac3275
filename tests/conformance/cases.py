"""The conformance cases: requests in, responses and side effects out, as data.

Each ``Case`` names its worker (``edge``: the repo's bundle; ``probe``: ``probe/entry.py``, which
reports what the runtime hands a Python Worker), scripts the origin (``Answer``s per path) and
lists steps: ``Fetch`` (a request as the runtime hands it to the worker, with the ``request.cf``
Cloudflare's edge would give it, if any), ``Advance`` (the clock), ``PurgeTags`` (Cloudflare's
purge by tag), ``Scheduled`` (a cron event), ``Queue`` (a batch) and ``KVPut`` (a write to a KV
namespace, as ``wrangler kv key put`` makes one; every case starts with empty namespaces).
The driver runs every case on the CPython emulator and on the Pyodide harness with the real SDK
and compares what each step produced (see ``test_conformance.py``). After every step both legs
wait for the ``ctx.waitUntil`` work it started (the harness's ``drain``, ``Emulator.drain``), so a
step's side effects include its background work: when that work starts relative to the response
is up to each runtime's event loop, and comparing it would compare schedulers. ``Expect`` on a
step states what the case is about, checked on the real SDK's side, so a case that stops
exercising its subject fails even when both sides agree. A case where the two differ is a bug
in the emulator or the harness: fixed, never marked as expected to fail.

Every request carries ``BASE_HEADERS``: what a browser sends plus what Cloudflare's edge adds
before a Worker sees it. Sending ``Accept``, ``Accept-Language``, ``Accept-Encoding`` and
``User-Agent`` explicitly also keeps each side's HTTP client (Node's fetch, aiohttp) from adding
its own defaults on the way to the origin.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .origin import Answer

__all__ = [
    "BASE_HEADERS",
    "CASES",
    "START",
    "STOREFRONT",
    "Advance",
    "Case",
    "Expect",
    "Fetch",
    "KVPut",
    "PurgeTags",
    "Queue",
    "Scheduled",
]

STOREFRONT = "https://shop.example"
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z, the emulator's FakeClock default
BASE_HEADERS: Mapping[str, str] = {
    "accept": "*/*",
    "accept-encoding": "gzip, br",
    "accept-language": "en-GB",
    "user-agent": "popcache-conformance/1",
    "cf-connecting-ip": "203.0.113.7",
    "cf-ipcountry": "US",
    "cf-ray": "8f3a2b1c0d9e8f7a-SFO",
    "cf-visitor": '{"scheme":"https"}',
    "x-forwarded-for": "203.0.113.7",
    "x-forwarded-proto": "https",
}
PRODUCT = "/api/products/BEV-COFFEE"  # class warm: ttl 5m, hints honoured, swr 1m, sie 1h
INVENTORY = "/api/inventory/BEV-COFFEE"  # class hot: ttl 5s, shared per store zone
STORES = "/api/stores"  # class warm
STORE_PAGE = "/api/stores/sfo-1"  # class warm; scripted as HTML where a case needs a non-JSON body
STORE_HTML = "<h1>Mission</h1>"
PRICES = "/api/prices/BEV-COFFEE"  # class hot, scope city
PDP_VIEW = "/_edge/views/pdp?sku=BEV-COFFEE"  # [views.pdp] of edge/routes.toml
# The pdp view's strong ETag over the bytes view-cached-whole renders (edge/views.py): a change
# to the document, its member order or its serialisation changes it.
PDP_ETAG = '"2jS1g2TPxS6WIoRGdcMSuDgA"'
# Points of edge/zones.geojson, (latitude, longitude): the centre of store zone sf-mission, and
# a point of city zone san-francisco that no store zone covers.
SF_MISSION = (37.7567, -122.4187)
SF_NO_STORE = (37.72, -122.47)


@dataclass(frozen=True)
class Expect:
    """What a step must show: status, body, members of ``Cache-Status``, origin requests.

    ``origin_headers`` must be on every request the origin received during the step;
    ``key_contains`` is part of the cache key ``Cache-Status`` shows (``Popcache-Debug: 1``);
    ``json_at`` maps JSON Pointers (RFC 6901) into the body, read as JSON, to the value found
    there, or, for a ``frozenset``, to members that ``;``-separated string must include (an
    item's ``cache-status`` in a batch's responses); ``header_members`` maps response fields
    to members their ``;``-separated value must include, as ``cache_status`` does for
    ``Cache-Status`` (``received-status=429`` in a ``Proxy-Status``).
    """

    status: int | None = None
    body: str | None = None
    cache_status: frozenset[str] = frozenset()
    origin_requests: int | None = None
    absent_headers: frozenset[str] = frozenset()
    headers: Mapping[str, str] = field(default_factory=dict)
    origin_headers: Mapping[str, str] = field(default_factory=dict)
    key_contains: str | None = None
    json_at: Mapping[str, object] = field(default_factory=dict)
    header_members: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Fetch:
    path: str  # a path on STOREFRONT, or an absolute URL
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    expect: Expect | None = None
    cf: Mapping[str, object] | None = None
    """``request.cf`` (IncomingRequestCfProperties); None: the request has none."""

    @property
    def url(self) -> str:
        return self.path if "://" in self.path else STOREFRONT + self.path

    def all_headers(self) -> list[tuple[str, str]]:
        host = self.url.split("://", 1)[1].split("/", 1)[0]
        fields = {"host": host, **BASE_HEADERS}
        fields.update({name.lower(): value for name, value in self.headers.items()})
        return sorted(fields.items())

    def label(self) -> str:
        extra = ", ".join(f"{name}: {value}" for name, value in self.headers.items())
        where = f" from {self.cf.get('latitude')},{self.cf.get('longitude')}" if self.cf else ""
        return f"{self.method} {self.path}" + (f" [{extra}]" if extra else "") + where


@dataclass(frozen=True)
class Advance:
    seconds: float

    def label(self) -> str:
        return f"advance {self.seconds:g} s"


@dataclass(frozen=True)
class PurgeTags:
    tags: tuple[str, ...]

    def label(self) -> str:
        return f"purge tags {', '.join(self.tags)}"


@dataclass(frozen=True)
class Scheduled:
    cron: str

    def label(self) -> str:
        return f"scheduled {self.cron!r}"


@dataclass(frozen=True)
class Queue:
    queue: str
    bodies: tuple[object, ...]

    def label(self) -> str:
        return f"queue {self.queue!r}, {len(self.bodies)} message(s)"


@dataclass(frozen=True)
class KVPut:
    binding: str
    key: str
    value: str

    def label(self) -> str:
        return f"kv put {self.binding}/{self.key} ({len(self.value)} characters)"


Step = Fetch | Advance | PurgeTags | Scheduled | Queue | KVPut


@dataclass(frozen=True)
class Case:
    """One scenario: the origin's scripted answers per path, the steps, and which worker."""

    name: str
    doc: str
    origin: Mapping[str, Sequence[Answer]]
    steps: Sequence[Step]
    worker: str = "edge"


def _cs(*members: str) -> frozenset[str]:
    return frozenset(members)


def _ok(body: str, cache_control: str | None, **headers: str) -> Answer:
    fields = dict(headers)
    if cache_control is not None:
        fields["Cache-Control"] = cache_control
    return Answer(200, body, {name.replace("_", "-"): value for name, value in fields.items()})


def _json_ok(document: object, cache_control: str) -> Answer:
    headers = {"Content-Type": "application/json", "Cache-Control": cache_control}
    return Answer(200, json.dumps(document), headers)


def _batch_fetch(*items: Mapping[str, object], expect: Expect) -> Fetch:
    body = json.dumps({"requests": list(items)})
    return Fetch("/_edge/batch", "POST", {"Content-Type": "application/json"}, body, expect)


THREE_GETS = (
    {"id": "product", "method": "GET", "url": PRODUCT},
    {"id": "stores", "method": "GET", "url": STORES},
    {"id": "page", "method": "GET", "url": STORE_PAGE},
)


def _three_gets(item_cache_status: frozenset[str], origin_requests: int) -> Expect:
    """A 200 for ``THREE_GETS``: the items in order, each a 200 with ``item_cache_status``."""
    json_at: dict[str, object] = {
        "/responses/0/body": {"sku": "BEV-COFFEE", "name": "Coffee"},
        "/responses/1/body/stores/0": "sfo-1",
        "/responses/2/headers/content-type": "text/html",
        "/responses/2/body": base64.b64encode(STORE_HTML.encode()).decode(),
        "/responses/2/encoding": "base64",
    }
    for index, item in enumerate(THREE_GETS):
        json_at[f"/responses/{index}/id"] = item["id"]
        json_at[f"/responses/{index}/status"] = 200
        json_at[f"/responses/{index}/headers/cache-status"] = item_cache_status
    headers = {"content-type": "application/json", "cache-control": "no-store"}
    return Expect(200, origin_requests=origin_requests, headers=headers, json_at=json_at)


def _pdp(cache_status: frozenset[str], origin_requests: int) -> Expect:
    """The pdp view of BEV-COFFEE as view-cached-whole scripts its parts."""
    return Expect(
        200,
        cache_status=cache_status,
        origin_requests=origin_requests,
        headers={"content-type": "application/json", "etag": PDP_ETAG},
        json_at={
            "/sku": "BEV-COFFEE",
            "/product/name": "Coffee",
            "/stock/0/qty": 12,
            "/in_stock": 12,
            "/price/amount": 4.2,
            "/recommendations": None,
        },
    )


SLOW = 2.0  # seconds the slow origin takes: 4x the hot budget, so a loaded runner never wins
SLOW_STOCK = "/api/inventory/SLOW-1"  # class hot: a 500 ms budget
SLOW_STOCK_POLL = SLOW_STOCK + "?fields=qty"
BUSY_STOCK = "/api/inventory/BUSY-1"  # class hot, answered 429 by the origin
RESPOND_ASYNC = {"Prefer": "respond-async"}


def _slow_stock() -> Answer:
    return Answer(200, "3 in stock", {"Cache-Control": "public, max-age=60"}, delay=SLOW)


def _placeholder(poll: str, headers: Mapping[str, str] | None = None) -> Expect:
    """The 202 for ``poll``, the origin asked once (its answer stored by the step's drain).
    ``Retry-After`` and ``retry_after`` come from the origin's measured latency, so they are
    not stated here; the transcripts still compare them, and they agree: both runtimes time
    the origin on the conformance clock, which stands still within a step."""
    return Expect(
        202,
        cache_status=_cs("fwd=uri-miss", "detail=placeholder"),
        origin_requests=1,
        headers={
            "content-type": "application/json",
            "cache-control": "no-store",
            "location": poll,
            **(headers or {}),
        },
        json_at={"/status": "pending", "/poll": poll},
    )


def _resting(
    cache_status: frozenset[str], origin_requests: int, proxy_status: frozenset[str]
) -> Expect:
    """The 503 problem while the origin rests for the 30 s it asked (the clock stands still)."""
    return Expect(
        503,
        cache_status=cache_status,
        origin_requests=origin_requests,
        headers={
            "content-type": "application/problem+json",
            "cache-control": "no-store",
            "retry-after": "30",
        },
        header_members={"proxy-status": _cs("popcache", *proxy_status)},
        json_at={"/status": 503, "/field": "origin"},
    )


def _sf_client(at: tuple[float, float]) -> Mapping[str, object]:
    """``request.cf`` of a client in San Francisco: coordinates are strings, as Cloudflare's."""
    lat, lon = at
    return {
        "latitude": f"{lat:.5f}",
        "longitude": f"{lon:.5f}",
        "city": "San Francisco",
        "regionCode": "CA",
        "country": "US",
    }


def _rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stock() -> dict[str, list[Answer]]:
    """The inventory, echoing the zone the edge told the origin (not cacheable by browsers)."""
    answer = Answer(200, "stock", {"Cache-Control": "public, max-age=60"}, echo=("Edge-Geo-Zone",))
    return {INVENTORY: [answer]}


def _in_zone(
    zone: str,
    level: str = "zone",
    *,
    cache_status: frozenset[str] = frozenset(),
    origin_requests: int | None = None,
) -> Expect:
    """A 200 answered for ``zone``: the origin is told it, and the key is scoped by it."""
    return Expect(
        200,
        f"stock Edge-Geo-Zone={zone}",
        cache_status,
        origin_requests,
        origin_headers={"Edge-Geo-Zone": zone, "Edge-Geo-Level": level},
        key_contains=f"/hot/{zone}/",
    )


DEBUG = {"Popcache-Debug": "1"}


def _popup_at_mission(starts_at: float, ends_at: float) -> str:
    """The ZONES value: one pop-up of 200 m at sf-mission's centre, outranking it, open from
    ``starts_at`` to ``ends_at``."""
    popup = {
        "type": "Feature",
        "id": "mission-popup",
        "geometry": {"type": "Point", "coordinates": [SF_MISSION[1], SF_MISSION[0]]},
        "properties": {
            "kind": "popup",
            "radius_m": 200,
            "priority": 50,
            "starts_at": _rfc3339(starts_at),
            "ends_at": _rfc3339(ends_at),
        },
    }
    return json.dumps({"type": "FeatureCollection", "features": [popup]})


CASES: tuple[Case, ...] = (
    Case(
        "miss-then-hit",
        "A first GET misses and is stored; the next one is a hit with its Age, and the origin "
        "is asked once.",
        {PRODUCT: [_ok("coffee v1", "public, max-age=60")]},
        [
            Fetch(PRODUCT, expect=Expect(200, "coffee v1", _cs("fwd=uri-miss", "stored"), 1)),
            Advance(7),
            Fetch(PRODUCT, expect=Expect(200, "coffee v1", _cs("hit", "ttl=53"), 0)),
        ],
    ),
    Case(
        "tracking-params-share-a-key",
        "utm_* and gclid are dropped from the key: two URLs that differ only in them share one "
        "entry (the origin still gets the exact query of the first).",
        {"/api/products": [_ok("dairy", "public, max-age=60")]},
        [
            Fetch("/api/products?category=dairy&utm_source=mail", expect=Expect(origin_requests=1)),
            Fetch(
                "/api/products?gclid=x&category=dairy",
                expect=Expect(200, "dairy", _cs("hit"), 0),
            ),
        ],
    ),
    Case(
        "set-cookie-never-stored",
        "A response that sets a cookie is passed on but never stored.",
        {PRODUCT: [_ok("mine", "public, max-age=60", Set_Cookie="session=1; Path=/")]},
        [
            Fetch(PRODUCT, expect=Expect(200, "mine", _cs("detail=set-cookie"), 1)),
            Fetch(PRODUCT, expect=Expect(200, "mine", _cs("fwd=uri-miss"), 1)),
        ],
    ),
    Case(
        "authorization-bypasses",
        "A request with Authorization is never answered from the cache; the origin gets the "
        "credentials, and a response that is not public is not stored.",
        {PRODUCT: [_ok("shared", "max-age=60")]},
        [
            Fetch(PRODUCT, expect=Expect(origin_requests=1)),
            Fetch(
                PRODUCT,
                headers={"Authorization": "Bearer t0ken"},
                expect=Expect(200, "shared", _cs("fwd=request"), 1),
            ),
            Fetch(PRODUCT, expect=Expect(200, "shared", _cs("hit"), 0)),
        ],
    ),
    Case(
        "revalidation-304",
        "Past its lifetime and stale-while-revalidate, an entry with an ETag is revalidated; "
        "the origin's 304 refreshes it and the stored body is served.",
        {
            PRODUCT: [
                _ok("v1", "public, max-age=10", ETag='"v1"'),
                Answer(304, headers={"ETag": '"v1"', "Cache-Control": "public, max-age=30"}),
            ]
        },
        [
            Fetch(PRODUCT, expect=Expect(200, "v1", _cs("stored"), 1)),
            Advance(100),
            Fetch(
                PRODUCT,
                expect=Expect(200, "v1", _cs("fwd=stale", "fwd-status=304", "stored"), 1),
            ),
            Advance(20),
            Fetch(PRODUCT, expect=Expect(200, "v1", _cs("hit"), 0)),
        ],
    ),
    Case(
        "stale-while-revalidate",
        "Within stale-while-revalidate the stale copy is served at once and one background "
        "request (ctx.waitUntil, drained after the step) refreshes it: the next GET is a hit on "
        "the fresh copy.",
        {
            PRODUCT: [
                _ok("v1", "public, max-age=10, stale-while-revalidate=60"),
                _ok("v2", "public, max-age=10, stale-while-revalidate=60"),
            ]
        },
        [
            Fetch(PRODUCT, expect=Expect(200, "v1", origin_requests=1)),
            Advance(15),
            Fetch(
                PRODUCT,
                expect=Expect(
                    200, "v1", _cs("hit", "fwd=stale", "detail=stale-while-revalidate"), 1
                ),
            ),
            Fetch(PRODUCT, expect=Expect(200, "v2", _cs("hit"), 0)),
        ],
    ),
    Case(
        "stale-if-error-on-503",
        "The origin fails with a 503 past the entry's stale-while-revalidate: the stored copy "
        "is served within stale-if-error, and the 503 is never stored.",
        {
            PRODUCT: [
                _ok("good", "public, max-age=10, stale-if-error=600"),
                Answer(503, "down", {"Cache-Control": "no-store"}),
            ]
        },
        [
            Fetch(PRODUCT, expect=Expect(200, "good", origin_requests=1)),
            Advance(100),
            Fetch(
                PRODUCT,
                expect=Expect(
                    200, "good", _cs("fwd=stale", "fwd-status=503", "detail=stale-if-error"), 1
                ),
            ),
        ],
    ),
    Case(
        "post-invalidates",
        "A successful POST to a stored URL goes to the origin as is and removes the entry "
        "(RFC 9111 §4.4): the next GET misses.",
        {PRODUCT: [_ok("before", "public, max-age=300"), _ok("after", "public, max-age=300")]},
        [
            Fetch(PRODUCT, expect=Expect(200, "before", _cs("stored"), 1)),
            Fetch(
                PRODUCT,
                method="POST",
                headers={"Content-Type": "application/json"},
                body='{"price": 4.2}',
                expect=Expect(200, cache_status=_cs("fwd=method"), origin_requests=1),
            ),
            Fetch(PRODUCT, expect=Expect(200, "after", _cs("fwd=uri-miss"), 1)),
        ],
    ),
    Case(
        "head-from-a-stored-get",
        "HEAD is looked up as GET: a stored GET answers it without a body, and a HEAD miss "
        "fetches (and stores) the GET.",
        {
            PRODUCT: [_ok("full body", "public, max-age=60")],
            "/api/products/TEA-GREEN": [_ok("tea", "public, max-age=60")],
        },
        [
            Fetch(PRODUCT, expect=Expect(origin_requests=1)),
            Fetch(PRODUCT, method="HEAD", expect=Expect(200, "", _cs("hit"), 0)),
            Fetch(
                "/api/products/TEA-GREEN", method="HEAD", expect=Expect(200, "", origin_requests=1)
            ),
            Fetch("/api/products/TEA-GREEN", expect=Expect(200, "tea", _cs("hit"), 0)),
        ],
    ),
    Case(
        "vary-accept-language",
        "A response that varies on Accept-Language is stored per preferred language, behind "
        "a Vary marker under the base key.",
        {
            "/pages/about": [
                Answer(
                    200,
                    "about",
                    {"Cache-Control": "public, max-age=600", "Vary": "Accept-Language"},
                    echo=("Accept-Language",),
                )
            ]
        },
        [
            Fetch(
                "/pages/about", expect=Expect(200, "about Accept-Language=en-GB", origin_requests=1)
            ),
            Fetch(
                "/pages/about",
                headers={"Accept-Language": "fr-FR,fr;q=0.9"},
                expect=Expect(200, "about Accept-Language=fr-FR,fr;q=0.9", _cs("fwd=vary-miss"), 1),
            ),
            Fetch(
                "/pages/about",
                headers={"Accept-Language": "en-GB;q=1, de;q=0.5"},
                expect=Expect(200, "about Accept-Language=en-GB", _cs("hit"), 0),
            ),
            Fetch(
                "/pages/about",
                headers={"Accept-Language": "fr-FR"},
                expect=Expect(200, "about Accept-Language=fr-FR,fr;q=0.9", _cs("hit"), 0),
            ),
        ],
    ),
    Case(
        "bypass-route",
        "The cart is class bypass: never looked up, never stored, whatever the origin says.",
        {"/api/cart": [_ok("cart", "public, max-age=600")]},
        [
            Fetch("/api/cart", expect=Expect(200, "cart", _cs("fwd=bypass"), 1)),
            Fetch("/api/cart", expect=Expect(200, "cart", _cs("fwd=bypass"), 1)),
        ],
    ),
    Case(
        "origin-redirect-passed-on",
        "The edge fetches with redirect: manual: an origin 301 reaches the client as is, with "
        "its Location, and is stored like any 301 (RFC 9111 §4.2.2).",
        {
            "/api/products/OLD-SKU": [
                Answer(
                    301,
                    "moved",
                    {"Location": "/api/products/NEW-SKU", "Cache-Control": "public, max-age=60"},
                )
            ]
        },
        [
            Fetch("/api/products/OLD-SKU", expect=Expect(301, "moved", _cs("stored"), 1)),
            Fetch("/api/products/OLD-SKU", expect=Expect(301, "moved", _cs("hit"), 0)),
        ],
    ),
    Case(
        "unusable-url",
        "A URL the WHATWG parser accepts but no cache key can come from (an empty host label) "
        "is a 400 problem+json naming the url; the origin is not asked.",
        {},
        [Fetch("https://a..b/api/products", expect=Expect(400, origin_requests=0))],
    ),
    Case(
        "hot-class-caps-and-hides",
        "Class hot caps the origin's lifetime at 5 s and tells browsers no-store; the "
        "inventory tag from Cache-Tag is kept with the entry and hidden from the client.",
        {
            "/api/inventory/BEV-COFFEE": [
                _ok("12 left", "public, max-age=60", Cache_Tag="stock:sfo-1, SKU:BEV-COFFEE")
            ]
        },
        [
            Fetch(
                "/api/inventory/BEV-COFFEE",
                expect=Expect(
                    200,
                    "12 left",
                    _cs("ttl=5", "stored"),
                    1,
                    _cs("cache-tag"),
                    {"cache-control": "no-store"},
                ),
            ),
            Advance(3),
            Fetch(
                "/api/inventory/BEV-COFFEE", expect=Expect(200, "12 left", _cs("hit", "ttl=2"), 0)
            ),
            Advance(3),
            Fetch(
                "/api/inventory/BEV-COFFEE",
                expect=Expect(200, "12 left", _cs("hit", "detail=stale-while-revalidate"), 1),
            ),
        ],
    ),
    Case(
        "purge-by-tag",
        "Tags from Cache-Tag, Surrogate-Key and Cache-Groups reach the Cache API entry; a purge "
        "of one of them (case-insensitive) empties it and the next GET misses.",
        {
            PRODUCT: [
                _ok(
                    "tagged",
                    "public, max-age=600",
                    Cache_Tag="Coffee",
                    Surrogate_Key="beverages hot-drinks",
                    Cache_Groups='"catalogue"',
                )
            ]
        },
        [
            Fetch(PRODUCT, expect=Expect(200, "tagged", _cs("stored"), 1, _cs("surrogate-key"))),
            PurgeTags(("HOT-DRINKS",)),
            Fetch(PRODUCT, expect=Expect(200, "tagged", _cs("fwd=uri-miss"), 1)),
        ],
    ),
    Case(
        "expires-lifetime",
        "Without Cache-Control, Expires minus Date is the lifetime (Date is the origin's); the "
        "Cache API keeps the entry as long as the edge says.",
        {"/help/delivery": [_ok("delivery", None, Expires="Thu, 01 Jan 2026 00:02:00 GMT")]},
        [
            Fetch("/help/delivery", expect=Expect(200, "delivery", _cs("ttl=120", "stored"), 1)),
            Advance(119),
            Fetch("/help/delivery", expect=Expect(200, "delivery", _cs("hit", "ttl=1"), 0)),
        ],
    ),
    Case(
        "client-conditional-304",
        "A client's If-None-Match matching the stored ETag is answered 304 by the edge, "
        "without a body and without asking the origin.",
        {PRODUCT: [_ok("etagged", "public, max-age=60", ETag='W/"e1"')]},
        [
            Fetch(PRODUCT, expect=Expect(origin_requests=1)),
            Fetch(
                PRODUCT, headers={"If-None-Match": '"e1"'}, expect=Expect(304, "", _cs("hit"), 0)
            ),
        ],
    ),
    Case(
        "request-no-cache-and-no-store",
        "Cache-Control: no-cache in a request revalidates before serving; no-store forwards "
        "and stores nothing.",
        {PRODUCT: [_ok("v1", "public, max-age=60"), _ok("v2", "public, max-age=60")]},
        [
            Fetch(PRODUCT, expect=Expect(origin_requests=1)),
            Fetch(
                PRODUCT,
                headers={"Cache-Control": "no-cache"},
                expect=Expect(200, "v2", _cs("fwd=request"), 1),
            ),
            Fetch(
                PRODUCT,
                headers={"Cache-Control": "no-store"},
                expect=Expect(200, "v2", _cs("detail=no-store"), 1),
            ),
            Fetch(PRODUCT, expect=Expect(200, "v2", _cs("hit"), 0)),
        ],
    ),
    Case(
        "debug-key",
        "Popcache-Debug: 1 shows the cache key, whose version slot is the deployed version's "
        "id (normalised away) and whose query is sorted.",
        {"/api/stores": [_ok("stores", "public, max-age=60")]},
        [
            Fetch(
                "/api/stores?b=2&a=1&utm_medium=x",
                headers={"Popcache-Debug": "1"},
                expect=Expect(200, "stores", origin_requests=1),
            ),
        ],
    ),
    Case(
        "dot-segments-in-the-path",
        "The runtime hands the worker request.url as the WHATWG URL parser serialises it: dot "
        "segments removed, host lower-cased. The edge forwards that host as X-Forwarded-Host.",
        {PRODUCT: [_ok("coffee", "public, max-age=60")]},
        [
            Fetch(
                "https://SHOP.example/api/products/../products/./BEV-COFFEE",
                expect=Expect(200, "coffee", origin_requests=1),
            ),
            Fetch(PRODUCT, expect=Expect(200, "coffee", _cs("hit"), 0)),
        ],
    ),
    Case(
        "scheduled-without-a-handler",
        "The edge bundle has no scheduled(): a cron event fails on both runtimes.",
        {},
        [Scheduled("*/5 * * * *")],
    ),
    # Geofenced keys: request.cf places the client, the zones come from the bundle and from KV.
    Case(
        "geo-zone-key",
        "A hot response is shared per store zone: a client request.cf places in sf-mission gets "
        "that zone's entry, and the origin is told the zone; a client elsewhere in San "
        "Francisco, in no store's zone, falls back to the city's entry.",
        _stock(),
        [
            Fetch(
                INVENTORY,
                headers=DEBUG,
                cf=_sf_client(SF_MISSION),
                expect=_in_zone("sf-mission", cache_status=_cs("stored"), origin_requests=1),
            ),
            Fetch(
                INVENTORY,
                headers=DEBUG,
                cf=_sf_client(SF_MISSION),
                expect=_in_zone("sf-mission", cache_status=_cs("hit"), origin_requests=0),
            ),
            Fetch(
                INVENTORY,
                headers=DEBUG,
                cf=_sf_client(SF_NO_STORE),
                expect=_in_zone("san-francisco", "city", cache_status=_cs("fwd=uri-miss")),
            ),
        ],
    ),
    Case(
        "geo-client-header-ignored",
        "Only request.cf places a client: an Edge-Geo-Zone the client sends is dropped, so a "
        "client outside sf-mission is not put in it, and one without request.cf is global.",
        _stock(),
        [
            Fetch(
                INVENTORY,
                headers={**DEBUG, "Edge-Geo-Zone": "sf-mission", "Edge-Geo-Level": "zone"},
                cf=_sf_client(SF_NO_STORE),
                expect=_in_zone("san-francisco", "city", origin_requests=1),
            ),
            Fetch(
                INVENTORY,
                headers={**DEBUG, "Edge-Geo-Zone": "sf-mission"},
                expect=_in_zone("global", "global", origin_requests=1),
            ),
        ],
    ),
    Case(
        "geo-popup-from-kv",
        "A pop-up in the ZONES KV namespace outranks the store zone under it while it is open "
        "(starts_at inclusive, ends_at exclusive), on the runtime's clock: the isolate's first "
        "request waits for the KV read, later ones refresh it in the background.",
        _stock(),
        [
            KVPut("ZONES", "zones", _popup_at_mission(START + 3600, START + 7200)),
            Fetch(
                INVENTORY, headers=DEBUG, cf=_sf_client(SF_MISSION), expect=_in_zone("sf-mission")
            ),
            Advance(3600),
            Fetch(
                INVENTORY,
                headers=DEBUG,
                cf=_sf_client(SF_MISSION),
                expect=_in_zone("mission-popup"),
            ),
            Advance(3600),
            Fetch(
                INVENTORY, headers=DEBUG, cf=_sf_client(SF_MISSION), expect=_in_zone("sf-mission")
            ),
        ],
    ),
    Case(
        "geo-kv-first-request-waits",
        "An isolate's very first request waits for the KV read (up to first_wait), so a pop-up "
        "open already keys it; a client outside the pop-up's 200 m keeps the store zone.",
        _stock(),
        [
            KVPut("ZONES", "zones", _popup_at_mission(START - 60, START + 3600)),
            Fetch(
                INVENTORY,
                headers=DEBUG,
                cf=_sf_client(SF_MISSION),
                expect=_in_zone("mission-popup", origin_requests=1),
            ),
            Fetch(
                INVENTORY,
                headers=DEBUG,
                cf=_sf_client((SF_MISSION[0] + 0.005, SF_MISSION[1])),
                expect=_in_zone("sf-mission", origin_requests=1),
            ),
        ],
    ),
    Case(
        "geo-kv-garbage",
        "A KV value that is not JSON is logged and ignored, at the first read and at the "
        "background refresh: requests are still served, with the static zones.",
        _stock(),
        [
            KVPut("ZONES", "zones", "{not json"),
            Fetch(
                INVENTORY, headers=DEBUG, cf=_sf_client(SF_MISSION), expect=_in_zone("sf-mission")
            ),
            Advance(31),
            Fetch(
                INVENTORY, headers=DEBUG, cf=_sf_client(SF_MISSION), expect=_in_zone("sf-mission")
            ),
        ],
    ),
    # The edge's own endpoints: POST /_edge/batch and GET /_edge/views/<name>.
    Case(
        "batch-items-through-the-cache",
        "A batch of GETs is answered 200 with one response per item, in item order, each "
        "through the caching proxy: a JSON body stays JSON, an HTML one is base64 with its "
        "encoding. The same batch again is answered from the cache, the origin not asked.",
        {
            PRODUCT: [_json_ok({"sku": "BEV-COFFEE", "name": "Coffee"}, "public, max-age=60")],
            STORES: [_json_ok({"stores": ["sfo-1"]}, "public, max-age=60")],
            STORE_PAGE: [_ok(STORE_HTML, "public, max-age=60", Content_Type="text/html")],
        },
        [
            _batch_fetch(*THREE_GETS, expect=_three_gets(_cs("fwd=uri-miss", "stored"), 3)),
            Advance(5),
            _batch_fetch(*THREE_GETS, expect=_three_gets(_cs("hit", "ttl=55"), 0)),
        ],
    ),
    Case(
        "batch-refused-and-dependent-items",
        "An item whose URL names another host or the edge's own endpoints is refused alone "
        "(400 problem+json naming the url), an item depending on it fails with 424 without "
        "being sent, and the rest of the batch is served.",
        {PRODUCT: [_json_ok({"sku": "BEV-COFFEE"}, "public, max-age=60")]},
        [
            _batch_fetch(
                {"id": "evil", "method": "GET", "url": "//evil.example/x"},
                {"id": "nested", "method": "GET", "url": "/_edge/batch"},
                {"id": "after", "method": "GET", "url": PRODUCT, "dependsOn": ["evil"]},
                {"id": "fine", "method": "GET", "url": PRODUCT},
                expect=Expect(
                    200,
                    origin_requests=1,
                    json_at={
                        "/responses/0/id": "evil",
                        "/responses/0/status": 400,
                        "/responses/0/headers/content-type": "application/problem+json",
                        "/responses/0/body/field": "url",
                        "/responses/1/id": "nested",
                        "/responses/1/status": 400,
                        "/responses/1/body/field": "url",
                        "/responses/2/id": "after",
                        "/responses/2/status": 424,
                        "/responses/2/body/field": "dependsOn",
                        "/responses/3/id": "fine",
                        "/responses/3/status": 200,
                        "/responses/3/body/sku": "BEV-COFFEE",
                    },
                ),
            ),
        ],
    ),
    Case(
        "batch-malformed",
        "A batch with two ids equal but for case is refused whole, before any item runs: 400 "
        "problem+json naming the field, the item and a JSON Pointer to it; the origin is not "
        "asked.",
        {
            PRODUCT: [_json_ok({"sku": "BEV-COFFEE"}, "public, max-age=60")],
            STORES: [_json_ok({"stores": ["sfo-1"]}, "public, max-age=60")],
        },
        [
            _batch_fetch(
                {"id": "a", "method": "GET", "url": PRODUCT},
                {"id": "A", "method": "GET", "url": STORES},
                expect=Expect(
                    400,
                    origin_requests=0,
                    headers={"content-type": "application/problem+json"},
                    json_at={
                        "/status": 400,
                        "/field": "id",
                        "/item": "A",
                        "/pointer": "/requests/1/id",
                    },
                ),
            ),
        ],
    ),
    Case(
        "view-cached-whole",
        "GET /_edge/views/pdp (edge/routes.toml) fetches its parts through the proxy and "
        "renders its template: JSON with a strong ETag, stored for its shortest part's "
        "lifetime (the hot stock's 5 s). The next request is a hit with the same ETag, and an "
        "If-None-Match with it a 304; the origin is asked once per part. A client without "
        "request.cf has no coordinates, so the optional recommendations part is null.",
        {
            PRODUCT: [_json_ok({"sku": "BEV-COFFEE", "name": "Coffee"}, "public, max-age=60")],
            INVENTORY: [
                _json_ok(
                    {"items": [{"store": "sfo-1", "qty": 12}], "total_qty": 12},
                    "public, max-age=60",
                )
            ],
            PRICES: [_json_ok({"prices": [{"amount": 4.2}]}, "public, max-age=60")],
        },
        [
            Fetch(PDP_VIEW, expect=_pdp(_cs("fwd=uri-miss", "ttl=5", "stored"), 3)),
            Advance(2),
            Fetch(PDP_VIEW, expect=_pdp(_cs("hit", "ttl=3"), 0)),
            Fetch(
                PDP_VIEW,
                headers={"If-None-Match": PDP_ETAG},
                expect=Expect(304, "", _cs("hit"), 0, headers={"etag": PDP_ETAG}),
            ),
        ],
    ),
    # A slow origin (docs/placeholders.md): the origin's Answer waits SLOW seconds of real time,
    # against a hot budget of 500 ms timed on each runtime's event loop; the drain after the
    # step waits for the fetch that goes on through waitUntil and stores its answer.
    Case(
        "slow-origin-placeholder-then-hit",
        "A hot miss whose origin answers after the class's 500 ms budget gets a 202 placeholder "
        "at once: Location the path and query asked for, no-store, detail=placeholder and the "
        "pending JSON body. The origin fetch goes on in the background and stores its answer, "
        "so the poll is a hit and the origin is asked once.",
        {SLOW_STOCK: [_slow_stock()]},
        [
            Fetch(SLOW_STOCK_POLL, expect=_placeholder(SLOW_STOCK_POLL)),
            Fetch(SLOW_STOCK_POLL, expect=Expect(200, "3 in stock", _cs("hit"), 0)),
        ],
    ),
    Case(
        "prefer-respond-async",
        "Prefer: respond-async answers a miss at once with the 202 placeholder and "
        "Preference-Applied: respond-async, the fetch going on in the background; once the "
        "answer is stored, the same preference gets the hit, and nothing is applied.",
        {SLOW_STOCK: [_slow_stock()]},
        [
            Fetch(
                SLOW_STOCK,
                headers=RESPOND_ASYNC,
                expect=_placeholder(SLOW_STOCK, {"preference-applied": "respond-async"}),
            ),
            Fetch(
                SLOW_STOCK,
                headers=RESPOND_ASYNC,
                expect=Expect(
                    200,
                    "3 in stock",
                    _cs("hit"),
                    0,
                    absent_headers=frozenset({"preference-applied"}),
                ),
            ),
        ],
    ),
    Case(
        "origin-429-rests",
        "An origin 429 with Retry-After: 30 gets the client a 503 problem+json with Retry-After "
        "30 and received-status=429 in Proxy-Status. While that rest lasts the key does not "
        "reach the origin: the next request is the same 503, detail=origin-resting.",
        {BUSY_STOCK: [Answer(429, "busy", {"Retry-After": "30"})]},
        [
            Fetch(
                BUSY_STOCK,
                expect=_resting(
                    _cs("fwd=uri-miss", "fwd-status=429"),
                    1,
                    _cs("error=destination_unavailable", "received-status=429"),
                ),
            ),
            Fetch(
                BUSY_STOCK,
                expect=_resting(
                    _cs("fwd=request", "detail=origin-resting"),
                    0,
                    _cs("error=destination_unavailable"),
                ),
            ),
        ],
    ),
    # The probe worker: the SDK surface itself.
    Case(
        "probe-request-as-the-sdk-shows-it",
        "request.url, request.method, request.headers (an HTTPMessage: repeated fields and "
        "commas as python_request_headers_preserve_commas has them) and the body's text.",
        {},
        [
            Fetch(
                "/echo?q=1",
                method="POST",
                headers={"X-Multi": "a, b", "Content-Type": "text/plain"},
                body="payload",
                expect=Expect(200, origin_requests=0),
            )
        ],
        worker="probe",
    ),
    Case(
        "probe-subrequest-through-workers-fetch",
        "workers.fetch with headers reaches the origin; status, ok, headers and text of its "
        "response; Response.json with a status and headers.",
        {"/upstream": [Answer(200, "upstream says hi", {"Content-Type": "text/plain"})]},
        [Fetch("/subrequest", expect=Expect(201, origin_requests=1))],
        worker="probe",
    ),
    Case(
        "probe-subrequest-bodies",
        "A subrequest's body sets Content-Type as the Fetch standard says: a str body "
        "text/plain;charset=UTF-8, a bytes body none.",
        {"/upstream": [Answer(200, "ok")]},
        [
            Fetch("/subrequest?body=text", expect=Expect(201, origin_requests=1)),
            Fetch("/subrequest?body=bytes", expect=Expect(201, origin_requests=1)),
        ],
        worker="probe",
    ),
    Case(
        "probe-cache-api",
        "The Cache API itself, the emulator's and the harness's: what put stores or refuses "
        "(and the TypeErrors it throws), TTLs from s-maxage, max-age, Expires, Age and the "
        "default Edge TTL, Cache-Tag kept, hits with Age and CF-Cache-Status, 304/206/416 for "
        "Request keys, expiry as the clock moves, delete.",
        {},
        [
            Fetch("/cache/put", expect=Expect(200)),
            Fetch("/cache/match", expect=Expect(200)),
            Advance(65),
            Fetch("/cache/match", expect=Expect(200)),
            Fetch(
                "/cache/delete",
                expect=Expect(200, '{"s-maxage": true, "again": false, "missing": false}'),
            ),
            Advance(7200),
            Fetch("/cache/match", expect=Expect(200)),
        ],
        worker="probe",
    ),
    Case(
        "probe-cache-api-options-as-keywords",
        "Cache API options given as Python keywords (match(request, ignoreMethod=True)) reach "
        "the runtime as a trailing JS object, as Pyodide passes keyword arguments to JS.",
        {},
        [Fetch("/cache/options", expect=Expect(200))],
        worker="probe",
    ),
    Case(
        "probe-cache-api-errors",
        "A Cache API TypeError reaches Python as the runtime raises it: Cache API calls are not "
        "wrapped by the SDK, so it is a pyodide.ffi.JsException named TypeError.",
        {},
        [Fetch("/cache/errors", expect=Expect(200))],
        worker="probe",
    ),
    Case(
        "probe-response-clone",
        "workers.Response.clone() is Pyodide's FetchResponse.clone (the SDK does not override "
        "it): a pyodide.http.FetchResponse with js_response and no js_object.",
        {},
        [Fetch("/clone", expect=Expect(200, '["FetchResponse", false, true]'))],
        worker="probe",
    ),
    Case(
        "probe-fetch-handler-arguments",
        "A class entrypoint's fetch(request, env, ctx) gets env and ctx as None: the runtime "
        "passed them to the constructor and calls every handler with undefined for both "
        "(workerd src/workerd/io/worker.c++, getHandlerFromEntrypointClass).",
        {},
        [Fetch("/args", expect=Expect(200, '{"env": "None", "ctx": "None"}'))],
        worker="probe",
    ),
    Case(
        "events-consumer",
        "The edge's queue() consumes an inventory event on both runtimes: the SDK's batch and "
        "message wrappers, a JSON body as Python data, KV for event ids, and a purge that "
        "cannot go (no PURGE_API_TOKEN secret) retried, never raised.",
        {},
        [
            Queue(
                "popcache-events",
                (
                    {
                        "kind": "event",
                        "event": {
                            "event_id": "e1",
                            "type": "restock",
                            "sku": "BEV-COFFEE",
                            "store_id": "sf-mission",
                            "ts": 1000,
                        },
                        "accepted": 1000,
                    },
                    {"not": "an edge message"},
                ),
            ),
        ],
    ),
    Case(
        "probe-event-handler-arguments",
        "scheduled(controller, env, ctx) and queue(batch, env, ctx) get env and ctx as None, "
        "for the same reason; only self.env and self.ctx are the bindings and the context.",
        {},
        [
            Scheduled("0 * * * *"),
            Queue("probe-events", ({"n": 1},)),
            Fetch(
                "/seen",
                expect=Expect(
                    200,
                    '[["scheduled", "0 * * * *", "None", "None"], '
                    '["queue", "probe-events", "None", "None"]]',
                ),
            ),
        ],
        worker="probe",
    ),
)
