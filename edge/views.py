"""``GET /_edge/views/<name>``: a configured composition of storefront requests, cached whole.

Each part is an ordinary request to the caching proxy (so a part is usually a cache hit even
when the view is not), and the rendered document is stored as one entry: fresh for as long as
its shortest-lived part, tagged with every part's tags (a purge of any part's tag removes the
view), with a strong ``ETag`` over its bytes. The view's key is made of its parts' own keys, so
two clients share a view exactly when they would share every part. Parts slower than the view's
budget keep going in the background and fill the cache, and the view is answered at once with
them ``null`` and named under ``pending`` (and not stored). Format: docs/views.md.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import jsonbounds
from batchsafety import refuse_url
from cachecontrol import request_caching
from cachestatus import CacheStatus
from collapse import Collapser
from freshness import STORED_FIELD, Lookup, Stored, lookup
from geoscope import Geo
from messages import EdgeRequest, EdgeResponse, Fields
from problem import method_not_allowed, problem
from proxy import Proxy, Runtime
from respond import finish, from_store
from routes import ClassPolicy
from store import match_quietly, quietly
from tags import response_tags, tag_header
from template import render
from viewconfig import View

__all__ = ["VIEWS_PREFIX", "ViewEndpoint"]

VIEWS_PREFIX = "/_edge/views/"
_POLICY = ClassPolicy("view", True, None, "honour", 0.0, 0.0, "private, no-cache", 30.0)
_PART_FIELDS = ("accept-language",)  # what a part is asked with besides Accept
_DOT_SEGMENTS = frozenset({".", ".."})


@dataclass(frozen=True, slots=True)
class _Ask:
    """One view request, its parts' URLs filled in for this client."""

    view: View
    request: EdgeRequest
    geo: Geo
    base: str  # the storefront's scheme and host
    urls: dict[str, str | None]  # part name -> URL (None: a placeholder without a value)
    values: dict[str, object]  # parameters and place variables
    key: str | None  # None: a part is never shared, so the view is not stored


@dataclass(slots=True)
class _Rendered:
    response: EdgeResponse
    record: Stored | None
    pending: bool


class ViewEndpoint:
    """The views of one proxy."""

    def __init__(self, proxy: Proxy, views: tuple[View, ...], prefixes: tuple[str, ...]) -> None:
        self.proxy = proxy
        self.views = {view.name: view for view in views}
        self.prefixes = prefixes
        self.renders: Collapser[_Rendered] = Collapser()

    async def handle(self, request: EdgeRequest, runtime: Runtime, geo: Geo) -> EdgeResponse:
        if request.method not in ("GET", "HEAD"):
            return method_not_allowed("a view is read with GET or HEAD", "GET, HEAD")
        parts = urlsplit(request.url)
        view = self.views.get(parts.path[len(VIEWS_PREFIX) :])
        if view is None:
            known = ", ".join(sorted(self.views)) or "none are configured"
            return problem(404, f"no such view (views: {known})", field="view")
        values, refusal = _variables(view, parts.query, geo)
        if refusal is not None:
            return refusal
        rungs = await self.proxy.place(runtime, geo)
        values["zone"] = next((r.id for r in rungs if r is not None and r.level != "global"), None)
        base = f"{parts.scheme}://{parts.netloc}"
        urls = {part.name: _fill(part.url, values) for part in view.parts}
        for name, url in urls.items():  # a value may not turn a part into a trick URL
            if url is not None and (reason := refuse_url(url, self.prefixes)) is not None:
                detail = f"part {name!r} would be {url[:200]!r}: {reason}"
                return problem(400, detail, field="query")
        key = self._key(view, base, urls, geo, runtime.now(), request)
        ask = _Ask(view, request, geo, base, urls, values, key)
        status = CacheStatus()
        if key is not None:
            entry = await match_quietly(runtime.store, key)
            record = Stored.decode(entry.headers.get(STORED_FIELD)) if entry else None
            if entry is not None and record is not None:
                now = runtime.now()
                caching = request_caching(
                    cache_control=request.headers.get("cache-control"),
                    pragma=request.headers.get("pragma"),
                )
                state = lookup(record, now, caching)
                if state is not Lookup.REVALIDATE:
                    status.hit, status.ttl = True, record.ttl(now)
                    if state is Lookup.STALE_WHILE_REVALIDATE:
                        status.fwd, status.detail = "stale", "stale-while-revalidate"
                        if self.renders.flight(key) is None:
                            work = self._render(ask, runtime)
                            runtime.wait_until(self.renders.start(key, work))
                    return finish(from_store(entry, record, _POLICY, now), request, status)
                status.fwd = "stale"
            else:
                status.fwd = "uri-miss"
        else:
            status.fwd, status.detail = "bypass", "unshared-part"
        flight = self.renders.flight(key) if key is not None else None
        if flight is None:
            work = self._render(ask, runtime)
            task = self.renders.start(key, work) if key is not None else asyncio.ensure_future(work)
            runtime.wait_until(task)
            rendered = await asyncio.shield(task)
        else:
            rendered = await asyncio.shield(flight)
            status.collapsed = True
        if rendered.record is not None:
            status.stored, status.ttl = True, rendered.record.ttl(runtime.now())
        if rendered.pending:
            status.detail = "view-pending"
        response = rendered.response
        copy = EdgeResponse(response.status, response.headers.copy(), response.body)
        return finish(copy, request, status)

    def _key(
        self,
        view: View,
        base: str,
        urls: dict[str, str | None],
        geo: Geo,
        now: float,
        request: EdgeRequest,
    ) -> str | None:
        """The view's cache key: its parts' keys, or None when a part is never shared."""
        keys = []
        for url in urls.values():
            if url is None:
                keys.append("-")
                continue
            key = self.proxy.shared_key(base + url, geo, now)
            if key is None:
                return None
            keys.append(key)
        keys += [request.headers.get(name) or "" for name in _PART_FIELDS]
        digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32]
        host = urlsplit(base).netloc.lower()
        return f"https://{host}/~popcache/view/{self.proxy.version}/{view.name}/~{digest}"

    async def _render(self, ask: _Ask, runtime: Runtime) -> _Rendered:
        view, request = ask.view, ask.request
        fields = [("accept", "application/json")] + [
            (name, value) for name in _PART_FIELDS if (value := request.headers.get(name))
        ]
        tasks = {
            name: asyncio.ensure_future(
                self.proxy.serve(
                    EdgeRequest("GET", ask.base + url, Fields(fields), None, request.client_ip),
                    runtime,
                    ask.geo,
                    placeholders=False,  # the view's own budget decides what is pending
                )
            )
            for name, url in ask.urls.items()
            if url is not None
        }
        if tasks:
            await asyncio.wait(tasks.values(), timeout=view.budget)
        pending = sorted(name for name, task in tasks.items() if not task.done())
        for name in pending:
            runtime.wait_until(tasks[name])  # it fills the cache for the next request
        records: list[Stored | None] = []
        document = dict(ask.values)
        for part in view.parts:
            task = tasks.get(part.name)
            if task is None:  # a placeholder without a value (a client with no coordinates)
                document[part.name] = None
                continue
            if not task.done():
                continue
            response, record = task.result()
            body = _json_body(response)
            if body is None and not part.optional:
                return _Rendered(_part_failed(part.name, response.status), None, False)
            document[part.name] = body
            records.append(record if body is not None else None)
        rendered = render(view.template, document)
        if pending and isinstance(rendered, dict):
            rendered["pending"] = pending
        body = jsonbounds.dump(rendered)
        etag = '"' + base64.urlsafe_b64encode(hashlib.sha256(body).digest()[:18]).decode() + '"'
        headers = Fields([("content-type", "application/json"), ("etag", etag)])
        response = EdgeResponse(200, headers, body)
        if pending:
            headers.set("cache-control", "no-store")
            headers.set("retry-after", "1")
            return _Rendered(response, None, True)
        headers.set("cache-control", _POLICY.browser or "no-cache")
        record = _record(view, records, runtime.now())
        if ask.key is None or record is None:
            return _Rendered(response, None, False)
        stored = await _store(runtime, ask.key, response, record)
        return _Rendered(response, record if stored else None, False)


def _variables(view: View, query: str, geo: Geo) -> tuple[dict[str, object], EdgeResponse | None]:
    given = parse_qs(query, keep_blank_values=True)
    values: dict[str, object] = {"lat": geo.lat, "lon": geo.lon, "zone": None}
    for name, pattern in view.params:
        found = given.get(name, [])
        if len(found) != 1 or pattern.fullmatch(found[0]) is None:
            detail = f"query parameter {name!r} must be given once and match {pattern.pattern!r}"
            return values, problem(400, detail, field=f"query.{name}")
        if found[0] in _DOT_SEGMENTS:  # percent-encoding leaves them: they would climb a level
            detail = f"query parameter {name!r} must not be '.' or '..'"
            return values, problem(400, detail, field=f"query.{name}")
        values[name] = found[0]
    return values, None


def _fill(url: str, values: dict[str, object]) -> str | None:
    """A part's URL with its placeholders filled, each value percent-encoded whole (so a value
    is never more than one path segment or query value); None when one has no value."""
    filled = {}
    for name, value in values.items():
        filled[name] = None if value is None else quote(str(value), safe="")
    try:
        return url.format_map(_Strict(filled))
    except KeyError:
        return None


class _Strict(dict[str, str | None]):
    def __getitem__(self, name: str) -> str:
        value = super().__getitem__(name)
        if value is None:
            raise KeyError(name)
        return value


def _json_body(response: EdgeResponse) -> object | None:
    if not 200 <= response.status < 300:
        return None
    try:
        return jsonbounds.load(response.body)
    except ValueError:
        return None


def _part_failed(name: str, status: int) -> EdgeResponse:
    code = status if 400 <= status < 500 and status != 429 else 502
    return problem(code, f"part {name!r} answered {status}, not JSON", field=f"parts.{name}")


def _record(view: View, records: list[Stored | None], now: float) -> Stored | None:
    """The view's record: the shortest lifetimes of its parts and all their tags; None when a
    part was not stored (nothing says how long it stays right) or is no longer fresh."""
    if not records or any(record is None for record in records):
        return None
    parts = [record for record in records if record is not None]
    fresh = min(record.ttl(now) for record in parts)
    if fresh <= 0:
        return None
    tags = [tag for record in parts for tag in record.tags]
    return Stored(
        response_time=now,
        initial_age=0.0,
        fresh=fresh,
        swr=min(record.swr for record in parts),
        sie=min(record.sie for record in parts),
        content_class="view",
        rule=f"view:{view.name}",
        tags=response_tags(
            cache_groups=None,
            cache_tag=",".join(tags),
            surrogate_key=None,
            extra=(f"view:{view.name}",),
        ),
        cache_control=None,
    )


async def _store(runtime: Runtime, key: str, response: EdgeResponse, record: Stored) -> bool:
    retention = record.retention(record.response_time, True)
    headers = response.headers.copy()
    headers.set("cache-control", f"max-age={max(1, int(retention))}")
    headers.set("cache-tag", tag_header(record.tags))
    headers.set(STORED_FIELD, record.encode())
    return await quietly(runtime.store.put(key, EdgeResponse(200, headers, response.body)))
