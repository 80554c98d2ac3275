"""The Workers Cache API (``caches.default``, ``await caches.open(name)``) of one PoP.

Contract, from https://developers.cloudflare.com/workers/runtime-apis/cache/ and
https://developers.cloudflare.com/workers/reference/how-the-cache-works/, with errors from
workerd's ``src/workerd/api/cache.c++`` and behaviour from Miniflare's cache service
(cloudflare/workers-sdk ``packages/miniflare/src/workers/cache/``: README.md, cache.worker.ts).

Storage
    One ``CacheStorage`` per PoP, nothing shared: the cache "does not replicate outside of the
    originating data center". ``default`` and each ``open(name)`` are separate namespaces;
    ``open`` returns the same ``Cache`` for the same name. A key is a URL string or a
    ``JsRequest``; anything else is a TypeError. Keys are normalised as ``new URL()`` does
    (scheme and host lower-cased, default port and dot segments removed, empty path is ``/``,
    query kept) and the fragment is dropped; a key that is not an absolute http(s) URL is
    ``TypeError("Invalid URL. Cache API keys must be fully-qualified, valid URLs.")``.
    One entry per URL: ``Vary`` other than ``*`` is ignored, as in Miniflare. A cache holds at
    most ``MAX_ENTRIES`` (``.cachelimit``: the expired go first when it is full, then the
    longest stored), where Cloudflare evicts the least used from a full data center.

``put(request, response) -> None``
    TypeError, with workerd's message, for a response that is not a ``JsResponse``, a
    non-GET request, a 206, ``Vary: *``, a 101 (WebSocket upgrade), an ``error`` response, or
    a body already used. A 304 is dropped without reading its body (workerd). Otherwise the
    body is read (``bodyUsed`` is True afterwards) and then stored unless the cache refuses
    it, which ``put`` never reports (production answers workerd 413 and ``put`` resolves):
    ``Cache-Control`` ``no-store``, ``no-cache`` or ``private``; ``Set-Cookie``, unless
    ``Cache-Control: private=Set-Cookie``, which stores the response without its cookies;
    a body over 512 MB (``MAX_OBJECT_SIZE``; workerd does not throw for it either); a TTL <= 0.
    TTL (``ttl_of``): ``s-maxage``, else ``max-age``, else ``Expires`` minus ``Date`` (or now),
    else Cloudflare's default Edge TTL for the status (200/206/301 2 h, 302/303 20 min,
    404/410 3 min, others not cached) -- minus the ``Age`` the response carries (RFC 9111
    §4.2.3). Miniflare differs without freshness information: it stores with TTL 0 or a
    ``Last-Modified`` heuristic; this follows production's documented Edge TTL instead.
    ``Cache-Tag`` values (comma-separated, trimmed, case-insensitive) are kept for
    ``purge_tags``; the header itself is removed: "Your end users or Worker never see
    Cache-Tag HTTP headers".

``match(request, options=None) -> JsResponse | None``
    None for a non-GET request (unless ``ignoreMethod``), a miss, or an expired entry (evicted
    then, by the injected clock). A hit is a new ``JsResponse`` each time with
    ``CF-Cache-Status: HIT``, ``Age`` (seconds since ``put`` plus the ``Age`` it came with) and
    ``Content-Length``. ``If-None-Match``/``If-Modified-Since`` give a 304 with no body;
    ``Range`` on a stored 200 gives a 206 with ``Content-Range``, several ranges a 206
    ``multipart/byteranges`` (as Miniflare), an unsatisfiable one a 416 with
    ``Content-Range: bytes */size`` (see ``cache_http``).

``delete(request, options=None) -> bool``
    True if a live entry was removed, False otherwise (and for non-GET without
    ``ignoreMethod``). Local to its ``CacheStorage``, like every operation here.

Emulator-only, on ``CacheStorage``: what Cloudflare's zone purge API does to the entries
(``emulator.purgeapi`` calls them on every PoP) and ``entry_count()`` (no ``__len__``: an
empty ``caches`` must not be falsy).

Hard purge (``POST /zones/{id}/purge_cache``,
https://developers.cloudflare.com/cache/how-to/purge-cache/): ``purge_everything()``,
``purge_urls(urls)``, ``purge_tags(tags)``, ``purge_hosts(hosts)``, ``purge_prefixes(prefixes)``
drop the matching entries of every cache here and return how many live ones they dropped.

Soft purge (``POST /zones/{id}/invalidate_cache``,
https://developers.cloudflare.com/cache/guides/invalidate-cache/): the same methods with
``soft=True`` keep the matching entries but mark them invalidated, and return how many live
entries they marked (one already invalidated is not counted again). ``match`` still returns
an invalidated entry, with ``CF-Cache-Status: STALE`` instead of ``HIT``: that is how worker
code can tell. A later
``put`` of the same key replaces it (fresh again: ``HIT``). What production does to Cache API
entries under ``invalidate_cache`` is not documented by Cloudflare (its guide describes
revalidation for the CDN cache, which ``cache.match`` never does: "Never sends a subrequest to
the origin"); the STALE answer is this emulator's signal, not a documented behaviour.

Matching (which entries a purge's URLs, tags, hosts or prefixes select) is
:mod:`emulator.runtime.purgematch`'s, shared with Tiered Cache's upper tier.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from ..clock import Clock
from .cache_http import (
    ByteRange,
    is_not_modified,
    multipart_byteranges,
    normalize_url,
    parse_http_date,
    parse_range,
)
from .cachelimit import MAX_ENTRIES, evict
from .headers import JsHeaders
from .http import NULL_BODY_STATUSES, JsRequest, JsResponse
from .purgematch import Pick, Purgeable
from .pyodide_ffi import JsException

__all__ = [
    "DEFAULT_EDGE_TTL",
    "MAX_OBJECT_SIZE",
    "Cache",
    "CacheStorage",
    "is_storable",
    "parse_cache_control",
    "parse_cache_tags",
    "ttl_of",
]

# https://developers.cloudflare.com/workers/platform/limits/#cache-api-limits
MAX_OBJECT_SIZE = 512 * 1024 * 1024
# https://developers.cloudflare.com/cache/how-to/configure-cache-status-code/#edge-ttl
DEFAULT_EDGE_TTL = {200: 7200, 206: 7200, 301: 7200, 302: 1200, 303: 1200, 404: 180, 410: 180}
# RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
_MAX_DELTA_SECONDS = 2**31

NON_GET = "Cannot cache response to non-GET request."
PARTIAL = "Cannot cache response to a range request (206 Partial Content)."
VARY_STAR = "Cannot cache response with 'Vary: *' header."
WEBSOCKET = "Cannot cache WebSocket upgrade response."
ERROR_RESPONSE = "Cache is unable to store an error response"
BODY_USED = (
    "Body has already been used. It can only be used once. Use tee() first if you need to "
    "read it twice."
)
NOT_A_RESPONSE = "Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'."

# Not kept with an entry: cookies (only stored under private=Set-Cookie), Cache-Tag (a Worker
# never sees it), and what ``match`` recomputes (Age, Content-Length, CF-Cache-Status).
_UNSTORED = frozenset({"set-cookie", "cache-tag", "age", "content-length", "cf-cache-status"})


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """Directives of a ``Cache-Control`` value (RFC 9111 §5.2): lower-case names, unquoted
    values, the first occurrence of a repeated directive wins."""
    directives: dict[str, str | None] = {}
    for match in re.finditer(r'([^\s=,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?', value or ""):
        name, raw = match[1].lower(), match[2]
        if raw is not None:
            raw = raw.strip()
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
        directives.setdefault(name, raw)
    return directives


def parse_cache_tags(value: str | None) -> frozenset[str]:
    """Tags of a ``Cache-Tag`` value: split on commas, trimmed, empty ones dropped, and
    lower-cased because Cloudflare compares them without case (purge-by-tags docs)."""
    return frozenset(tag.strip().lower() for tag in (value or "").split(",") if tag.strip())


def is_storable(headers: JsHeaders) -> bool:
    """Whether the cache keeps a response with these headers, its TTL aside."""
    directives = parse_cache_control(headers.get("cache-control"))
    if "no-store" in directives or "no-cache" in directives:
        return False
    # RFC 9111 §5.4: Pragma: no-cache counts only without Cache-Control (Miniflare does too).
    if not headers.has("cache-control") and "no-cache" in (headers.get("pragma") or "").lower():
        return False
    if "private" in directives:
        # Only ``private=Set-Cookie`` lets a shared cache keep the rest of the response.
        fields = {f.strip().lower() for f in (directives["private"] or "").split(",")} - {""}
        return fields == {"set-cookie"}
    return not headers.getSetCookie()


def ttl_of(headers: JsHeaders, now: float, status: int = 200) -> float:
    """Seconds a response put at ``now`` stays fresh (<= 0: not stored)."""
    directives = parse_cache_control(headers.get("cache-control"))
    if "s-maxage" in directives:
        lifetime: float = _delta_seconds(directives["s-maxage"])
    elif "max-age" in directives:
        lifetime = _delta_seconds(directives["max-age"])
    elif (expires_header := headers.get("expires")) is not None:
        expires = parse_http_date(expires_header)
        date = parse_http_date(headers.get("date") or "")
        # RFC 9111 §5.3: an invalid Expires, "0" included, is already in the past.
        lifetime = 0.0 if expires is None else expires - (now if date is None else date)
    else:
        lifetime = DEFAULT_EDGE_TTL.get(status, 0)
    return lifetime - _age(headers)


def _delta_seconds(value: str | None) -> int:
    # RFC 9111 §1.2.2 delta-seconds; anything else is invalid, so stale (§4.2.1).
    if value is None or not value.isascii() or not value.isdigit():
        return 0
    return min(int(value), _MAX_DELTA_SECONDS)


def _age(headers: JsHeaders) -> float:
    value = (headers.get("age") or "").strip()
    return float(_delta_seconds(value)) if value else 0.0


def _key(request: object, method_name: str) -> tuple[str, str, JsHeaders]:
    """URL key, method and headers of a Cache API key argument."""
    try:
        if isinstance(request, str):
            return normalize_url(request), "GET", JsHeaders()
        if isinstance(request, JsRequest):
            return normalize_url(request.url), request.method, request.headers
    except TypeError as exc:  # the key's URL: a JS TypeError on the runtime
        raise JsException("TypeError", str(exc)) from None
    raise JsException(
        "TypeError",
        f"Failed to execute '{method_name}' on 'Cache': parameter 1 is not of type "
        f"'Request or string'. Got {type(request).__name__}; pass a URL or request.js_object.",
    )


def _ignore_method(options: object, keywords: Mapping[str, object]) -> bool:
    """``options.ignoreMethod`` from a dict, a JS-like object or Python keywords (Pyodide passes
    keywords to a JS method as a trailing options object), JS-truthy."""
    if keywords:
        options = {**(options if isinstance(options, Mapping) else {}), **keywords}
    if options is None:
        return False
    if isinstance(options, Mapping):
        return bool(options.get("ignoreMethod", False))
    return bool(getattr(options, "ignoreMethod", False))


@dataclass(frozen=True, slots=True)
class _Entry:
    status: int
    status_text: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: float
    expires_at: float
    initial_age: float
    tags: frozenset[str]
    invalidated: bool = False  # soft-purged: still served, as STALE

    def age(self, now: float) -> int:
        return int(self.initial_age + now - self.stored_at)

    @property
    def cache_status(self) -> str:
        return "STALE" if self.invalidated else "HIT"


def _respond(entry: _Entry, request_headers: JsHeaders, now: float) -> JsResponse:
    """A fresh response for a hit: 304, 206, 416 or the stored one."""
    # Validated when it was put, and without the fields added here (see _UNSTORED).
    headers = JsHeaders.trusted([*entry.headers, ("cf-cache-status", entry.cache_status)])
    headers.fields.append(("age", str(entry.age(now))))
    if not request_headers.fields:  # a URL key: no conditionals, no ranges
        return _whole(entry, headers)
    if 200 <= entry.status <= 299 and is_not_modified(
        if_none_match=request_headers.get("if-none-match"),
        if_modified_since=request_headers.get("if-modified-since"),
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
    ):
        return JsResponse(None, status=304, headers=headers)
    size = len(entry.body)
    range_header = request_headers.get("range")
    ranges = [] if range_header is None or entry.status != 200 else parse_range(range_header, size)
    if ranges is None:
        unsatisfiable = {"content-range": f"bytes */{size}", "cf-cache-status": entry.cache_status}
        return JsResponse(None, status=416, headers=unsatisfiable)
    if ranges:
        return _partial(entry.body, ranges, headers)
    return _whole(entry, headers)


def _whole(entry: _Entry, headers: JsHeaders) -> JsResponse:
    if entry.status in NULL_BODY_STATUSES:
        return JsResponse(None, status=entry.status, statusText=entry.status_text, headers=headers)
    headers.fields.append(("content-length", str(len(entry.body))))
    return JsResponse(
        entry.body, status=entry.status, statusText=entry.status_text, headers=headers
    )


def _partial(body: bytes, ranges: list[ByteRange], headers: JsHeaders) -> JsResponse:
    if len(ranges) == 1:
        (only,) = ranges
        part = body[only.start : only.end + 1]
        headers.set("content-range", only.content_range(len(body)))
    else:
        boundary = f"popcache-boundary-{uuid.uuid4().hex}"
        part = multipart_byteranges(body, ranges, boundary, headers.get("content-type"))
        headers.set("content-type", f"multipart/byteranges; boundary={boundary}")
    headers.set("content-length", str(len(part)))
    return JsResponse(part, status=206, headers=headers)


class Cache:
    """One cache namespace: ``caches.default`` or what ``caches.open(name)`` returns."""

    def __init__(
        self,
        clock: Clock,
        *,
        max_object_size: int = MAX_OBJECT_SIZE,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._clock = clock
        self._max_object_size = max_object_size
        self._max_entries = max_entries
        self._entries: dict[str, _Entry] = {}

    async def match(
        self, request: object, options: object = None, **keywords: object
    ) -> JsResponse | None:
        """The stored response for ``request``, answered as the cache would, or None."""
        url, method, request_headers = _key(request, "match")
        if method != "GET" and not _ignore_method(options, keywords):
            return None
        entry = self._live(url)
        return None if entry is None else _respond(entry, request_headers, self._clock.now())

    async def put(self, request: object, response: object) -> None:
        """Store ``response`` under ``request`` if the cache accepts it (see module doc)."""
        if not isinstance(response, JsResponse):
            raise JsException("TypeError", NOT_A_RESPONSE)
        if response.type == "error":
            raise JsException("TypeError", ERROR_RESPONSE)
        url, method, _ = _key(request, "put")
        if method != "GET":
            raise JsException("TypeError", NON_GET)
        if response.status == 206:
            raise JsException("TypeError", PARTIAL)
        if "*" in (response.headers.get("vary") or ""):
            raise JsException("TypeError", VARY_STAR)
        if response.status == 304:
            return
        if response.status == 101:
            raise JsException("TypeError", WEBSOCKET)
        if response.bodyUsed:
            raise JsException("TypeError", BODY_USED)
        body = await response.arrayBuffer()
        now = self._clock.now()
        ttl = ttl_of(response.headers, now, response.status)
        if len(body) > self._max_object_size or not is_storable(response.headers) or ttl <= 0:
            return
        self._entries.pop(url, None)  # stored anew: the newest, the last to be evicted
        self._entries[url] = _Entry(
            status=response.status,
            status_text=response.statusText,
            headers=tuple(item for item in response.headers.raw() if item[0] not in _UNSTORED),
            body=body,
            stored_at=now,
            expires_at=now + ttl,
            initial_age=_age(response.headers),
            tags=parse_cache_tags(response.headers.get("cache-tag")),
        )
        evict(self._entries, self._max_entries, lambda entry: entry.expires_at > now)

    async def delete(self, request: object, options: object = None, **keywords: object) -> bool:
        """Remove the entry for ``request``; True if there was a live one."""
        url, method, _ = _key(request, "delete")
        if method != "GET" and not _ignore_method(options, keywords):
            return False
        return self._live(url) is not None and self._entries.pop(url, None) is not None

    def _live(self, url: str) -> _Entry | None:
        entry = self._entries.get(url)
        if entry is not None and entry.expires_at <= self._clock.now():
            del self._entries[url]
            return None
        return entry

    def _live_count(self) -> int:
        for url in list(self._entries):
            self._live(url)
        return len(self._entries)

    def _drop(self, doomed: Pick) -> int:
        """Drop the live entries ``doomed`` picks (expired ones go anyway); count those."""
        self._live_count()
        urls = [url for url, entry in self._entries.items() if doomed(url, entry.tags)]
        for url in urls:
            del self._entries[url]
        return len(urls)

    def _invalidate(self, picked: Pick) -> int:
        """Mark the live entries ``picked`` selects invalidated; count those not already."""
        self._live_count()
        urls = [
            url
            for url, entry in self._entries.items()
            if not entry.invalidated and picked(url, entry.tags)
        ]
        for url in urls:
            self._entries[url] = dataclasses.replace(self._entries[url], invalidated=True)
        return len(urls)


class CacheStorage(Purgeable):
    """``caches`` for the workers of one PoP: ``default`` plus named caches; a purge reaches
    every cache here."""

    def __init__(
        self,
        clock: Clock,
        *,
        max_object_size: int = MAX_OBJECT_SIZE,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._new = partial(Cache, clock, max_object_size=max_object_size, max_entries=max_entries)
        self.default = self._new()
        self._named: dict[str, Cache] = {}

    async def open(self, name: str) -> Cache:
        """The cache named ``name``, created on first use; never the default one."""
        if name not in self._named:
            self._named[name] = self._new()
        return self._named[name]

    def _drop(self, doomed: Pick) -> int:
        return sum(cache._drop(doomed) for cache in self._caches())

    def _invalidate(self, picked: Pick) -> int:
        return sum(cache._invalidate(picked) for cache in self._caches())

    def entry_count(self) -> int:
        """Live (unexpired) entries across every cache here."""
        return sum(cache._live_count() for cache in self._caches())

    def stored_count(self) -> int:
        """Entries held across every cache here, expired ones not swept yet included: the
        memory they take (``/cdn-cgi/popcache/internals``); counting sweeps nothing."""
        return sum(len(cache._entries) for cache in self._caches())

    def stored_limit(self) -> int:
        """The most entries every cache here may hold together."""
        return sum(cache._max_entries for cache in self._caches())

    def _caches(self) -> list[Cache]:
        return [self.default, *self._named.values()]
