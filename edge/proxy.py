"""The caching reverse proxy: one storefront request in, one response out.

The loop does one I/O step per decision (hishel's shape): classify, look up, then serve fresh,
serve stale while refreshing in the background, or fly to the origin (collapsed with every
concurrent miss for the key) and answer from what came back. Every decision is a pure
function in its own module; I/O comes in through ``Runtime``, which the entry adapter builds
over the Workers runtime and tests build over plain Python.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin

from backpressure import pressed
from cachecontrol import RequestCaching, request_caching
from cachekey import (
    DEFAULT_TRACKING_PARAMS,
    InvalidURL,
    KeyPolicy,
    NormalizedURL,
    cache_key,
    normalize,
)
from cachestatus import CacheStatus
from collapse import Collapser
from conditional import CLIENT_CONDITIONALS, validators
from eventports import EventPorts
from flight import Outcome, Stale, Trip, fly
from freshness import STORED_FIELD, Lookup, Stored, lookup
from geoscope import GLOBAL, Geo, Scope, pick
from groups import send_groups
from health import KeyGate, OriginHealth
from memo import Memo
from messages import EdgeRequest, EdgeResponse
from originwatch import watched
from placeholder import placeholder, poll_target, retry_after
from prefer import Preferences, preference_applied
from problem import origin_failure, origin_resting, problem
from race import Budget, budget_for, within
from requestpoint import Tally, outcome
from respond import finish, from_origin, from_store, keep_from_shared_caches
from routes import ClassPolicy, Routes, Rule
from store import CACHE_STATUS_FIELD, INVALIDATED, Store, match_quietly, quietly
from tags import invalidated_groups
from upstream import (
    Origin,
    OriginError,
    origin_headers,
    origin_url,
    reach,
)
from variants import VARIANTS_FIELD, read_marker, variant_id, vary_fields
from zonesource import ZoneRead, ZoneSource

__all__ = ["GEO_FIELDS", "Proxy", "Runtime"]

GEO_FIELDS = ("edge-geo-zone", "edge-geo-level")
"""What the edge tells the origin of the client's zone; never taken from the client."""
_CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # RFC 9110 §9.2.1
_SHARED_CLASSES = frozenset({"hot", "warm", "cold"})
_OVERLOADED = frozenset({429})  # besides 5xx: answered stale when stale-if-error allows
_PLAIN = request_caching(cache_control=None, pragma=None)
_NOWHERE = Geo()


@dataclass(slots=True)
class Runtime:
    """What one request may do: reach the origin and the cache, read the clock, and keep
    background work alive after the response (``ctx.waitUntil``)."""

    origin: Origin
    store: Store
    now: Callable[[], float]
    wait_until: Callable[[Awaitable[Any]], None]
    zones: ZoneRead | None = None
    """Reads the dynamic zones from KV; None when the Worker has no such binding."""
    events: EventPorts | None = None
    """The events queue and purge API; None when the Worker has neither."""
    tally: Tally = field(default_factory=Tally)
    """What this request did, for its data point (``requestpoint``)."""


@dataclass(slots=True)
class _Ask:
    """One request on its way through the proxy; ``key`` is its base cache key."""

    request: EdgeRequest
    url: NormalizedURL
    rule: Rule
    policy: ClassPolicy  # the rule's, with its zone's TTL
    scope: Scope
    key: str
    status: CacheStatus = field(default_factory=CacheStatus)
    record: Stored | None = None  # what the response was served from or stored as
    started: float = 0.0
    budget: Budget = Budget(None)  # how long a miss waits before a placeholder
    applied: Preferences = Preferences()  # for Preference-Applied
    tags: tuple[str, ...] = ()  # the caller's own tags for what this request stores


class Proxy:
    """The edge's caching proxy for one origin and one deployed version, per isolate."""

    def __init__(
        self, routes: Routes, *, origin: str, version: str, zones: ZoneSource | None = None
    ) -> None:
        settings = routes.settings
        self.routes = routes
        self.origin = origin
        self.version = version
        self.zones = zones or ZoneSource((), routes.zones, print)
        self.keys = KeyPolicy(
            tracking_params=DEFAULT_TRACKING_PARAMS + settings.tracking_params,
            coordinate_params=settings.coordinate_params,
            geocell_precision=settings.geocell_precision,
        )
        self.flights: Collapser[Outcome] = Collapser()
        self.health = OriginHealth()  # this isolate's view of the origin (a PoP's, in dev)
        self.pressure = routes.backpressure
        self._gate = KeyGate()
        self._vary = tuple(sorted(settings.vary))
        self._targets: Memo[tuple[str, str], tuple[NormalizedURL, Rule]] = Memo()
        self._keys: Memo[tuple[str, str, str], str] = Memo()
        self._records: Memo[str, Stored | None] = Memo()

    def sizes(self) -> dict[str, tuple[int, int | None]]:
        """What this proxy keeps between requests: each table's size and its most (None: as
        many as are in flight). For the emulator's ``/cdn-cgi/popcache/internals``."""
        return {
            "flights": (len(self.flights), None),
            "key_gate": (len(self._gate), self._gate.limit),
            "memo.targets": (len(self._targets), self._targets.limit),
            "memo.keys": (len(self._keys), self._keys.limit),
            "memo.records": (len(self._records), self._records.limit),
        }

    def _target(self, method: str, raw_url: str) -> tuple[NormalizedURL, Rule]:
        """The normalized URL and rule of a request (InvalidURL if unusable)."""
        memo = (method, raw_url)
        found = self._targets.get(memo)
        if found is None:
            url = normalize(raw_url, self.keys)
            found = self._targets.keep(memo, (url, self.routes.match(method, url.path)))
        return found

    def _base_key(
        self, method: str, raw_url: str, url: NormalizedURL, rule: Rule, scope: str
    ) -> str:
        memo = (method, raw_url, scope)
        key = self._keys.get(memo)
        if key is None:
            key = self._keys.keep(memo, self._key(url, rule, scope))
        return key

    def _record(self, value: str | None) -> Stored | None:
        if value is None:
            return None
        if value not in self._records:
            return self._records.keep(value, Stored.decode(value))
        return self._records[value]

    async def handle(
        self, request: EdgeRequest, runtime: Runtime, geo: Geo | None = None
    ) -> EdgeResponse:
        """Answer ``request`` from a client that ``request.cf`` places at ``geo``."""
        return (await self.serve(request, runtime, geo))[0]

    async def serve(
        self,
        request: EdgeRequest,
        runtime: Runtime,
        geo: Geo | None = None,
        *,
        shared: bool = True,
        placeholders: bool = True,
        tags: tuple[str, ...] = (),
    ) -> tuple[EdgeResponse, Stored | None]:
        """The response to ``request``, and the stored record it came from or went to (None
        when nothing was stored). ``shared=False`` (a batch item carrying credentials) is
        forwarded without looking up or storing anything; ``placeholders=False`` (a view's
        part, which has a budget of its own) waits for the origin up to the timeout; ``tags``
        are stored with what this request stores (a warmer's promotion tag)."""
        request.headers.delete(*GEO_FIELDS)  # only request.cf places a client
        method = "GET" if request.method == "HEAD" else request.method
        try:
            url, rule = self._target(method, request.url)
        except InvalidURL as exc:
            response = problem(400, f"the request URL is not usable: {exc}", field="url")
            status = CacheStatus(fwd="request", detail="invalid-url")
            runtime.tally.note("error", scope="", content_class="", pressure=0)
            return finish(response, request, status), None
        rungs = await self.place(runtime, geo)
        policy = rule.policy
        now = runtime.now()
        step = self.health.step(now)
        stretch, level = pressed(policy.name, policy.scope, step, self.pressure)
        scope = pick(rungs, level, policy.fallback)
        if scope is None:
            ask = _Ask(request, url, rule, policy, GLOBAL, "")
            response = await self._pass(ask, runtime, "bypass", detail="no-geo-scope")
            return self._noted(ask, runtime, response, ""), None
        request.headers.add("edge-geo-zone", scope.id)  # deleted above: add, never doubled
        request.headers.add("edge-geo-level", scope.level)
        if scope.zone is not None and (ttl := scope.zone.ttl_for(policy.name)) is not None:
            policy = replace(policy, ttl=ttl)
        if stretch != 1.0:
            policy = replace(policy, stretch=stretch)
        key = self._base_key(method, request.url, url, rule, scope.id)
        ask = _Ask(request, url, rule, policy, scope, key, started=now, tags=tags)
        ask.status.pressure = step
        if placeholders:
            ask.budget = budget_for(policy, scope.zone, request.headers.get("prefer"))
            ask.applied = ask.budget.applied
        if shared or request.method not in _CACHEABLE_METHODS:
            response = await self._serve(ask, runtime, rungs)
        else:
            response = await self._pass(ask, runtime, "request", detail="credentials")
        if scope.level != "global":
            keep_from_shared_caches(response.headers)
        if (applied := preference_applied(ask.applied)) is not None:
            response.headers.set("preference-applied", applied)
        return self._noted(ask, runtime, response, scope.id), ask.record

    @staticmethod
    def _noted(ask: _Ask, runtime: Runtime, response: EdgeResponse, scope: str) -> EdgeResponse:
        """``response``, its outcome noted on the request's tally."""
        status = ask.status
        runtime.tally.note(
            outcome(status, response.status),
            scope=scope,
            content_class=ask.policy.name,
            pressure=status.pressure,
        )
        return response

    def _origin(self, runtime: Runtime) -> Origin:
        """The runtime's origin, every exchange reported to ``health``."""
        cap = self.pressure.retry_after_cap
        return watched(runtime.origin, self.health, runtime.now, cap, runtime.tally)

    async def place(self, runtime: Runtime, geo: Geo | None) -> tuple[Scope | None, ...]:
        """The client's rung per level (``geoscope``), the zones refreshed first when due."""
        now = runtime.now()
        if self.zones.due(runtime.zones, now):
            await self.zones.refresh(runtime.zones, now, runtime.wait_until)
        return self.zones.ladder(geo or _NOWHERE, now)

    def shared_key(self, raw_url: str, geo: Geo, now: float) -> str | None:
        """The base key a GET of ``raw_url`` from a client at ``geo`` is shared under, or None
        when it is not shared (a bypass rule, no usable scope, an unusable URL)."""
        try:
            url, rule = self._target("GET", raw_url)
        except InvalidURL:
            return None
        scope = pick(self.zones.ladder(geo, now), rule.policy.scope, rule.policy.fallback)
        if scope is None or not rule.policy.store:
            return None
        return self._base_key("GET", raw_url, url, rule, scope.id)

    async def _serve(
        self, ask: _Ask, runtime: Runtime, rungs: tuple[Scope | None, ...]
    ) -> EdgeResponse:
        request = ask.request
        if request.headers.get("popcache-debug") == "1":
            ask.status.key = ask.key
        if request.method not in _CACHEABLE_METHODS:
            return await self._unsafe(ask, runtime, rungs)
        if not ask.policy.store:
            return await self._pass(ask, runtime, "bypass")
        cache_control, pragma = request.headers.get("cache-control"), request.headers.get("pragma")
        caching = (
            _PLAIN
            if cache_control is None and pragma is None
            else request_caching(cache_control=cache_control, pragma=pragma)
        )
        if caching.no_store:
            return await self._pass(ask, runtime, "request", detail="no-store")
        if request.headers.has("authorization"):
            # A stored copy made for someone else is not served to a credentialed request.
            ask.status.fwd, ask.status.detail = "request", "authorization"
            return await self._fly(ask, runtime, caching, None, collapse=False)
        return await self._cached(ask, runtime, caching)

    def _key(self, url: NormalizedURL, rule: Rule, scope: str, variant: str = "") -> str:
        return cache_key(
            url,
            version=self.version,
            content_class=rule.policy.name,
            scope=scope,
            variant=variant,
        )

    async def _cached(self, ask: _Ask, runtime: Runtime, caching: RequestCaching) -> EdgeResponse:
        entry = await match_quietly(runtime.store, ask.key)
        variants = read_marker(entry.headers.get(VARIANTS_FIELD)) if entry is not None else None
        key = ask.key
        if variants is not None:
            generation, fields = variants
            variant = variant_id(fields, ask.request.headers.get, generation)
            key = self._key(ask.url, ask.rule, ask.scope.id, variant)
            entry = await match_quietly(runtime.store, key)
        record = self._record(entry.headers.get(STORED_FIELD)) if entry is not None else None
        now = runtime.now()
        if (
            record is not None
            and entry is not None
            and entry.headers.get(CACHE_STATUS_FIELD) == INVALIDATED
        ):
            record = record.invalidated(now)
        if entry is None or record is None:
            # RFC 9211 §2.2: "miss" when something was stored but is of no use (damaged).
            ask.status.fwd = (
                "miss" if entry is not None else "vary-miss" if variants is not None else "uri-miss"
            )
            return await self._fly(ask, runtime, caching, None, variants=variants)
        state = lookup(record, now, caching)
        if state is Lookup.FRESH:
            ask.status.hit, ask.status.ttl = True, record.ttl(now)
            return self._answer_stored(ask, entry, record, now)
        stale = Stale(key, entry, record)
        if state is Lookup.STALE_WHILE_REVALIDATE:
            ask.status.hit, ask.status.fwd, ask.status.ttl = True, "stale", record.ttl(now)
            ask.status.detail = "stale-while-revalidate"
            collapse_key = self._collapse_key(ask)
            if self.flights.flight(collapse_key) is None and self._may_reach(ask, now):
                trip = self._trip(ask, caching, stale, variants)
                task = self.flights.start(
                    collapse_key, fly(trip, self._origin(runtime), runtime.store, runtime.now)
                )
                runtime.wait_until(task)
            return self._answer_stored(ask, entry, record, now)
        ask.status.fwd = "request" if caching.no_cache or caching.max_age is not None else "stale"
        return await self._fly(ask, runtime, caching, stale, variants=variants)

    def _answer_stored(
        self, ask: _Ask, entry: EdgeResponse, record: Stored, now: float
    ) -> EdgeResponse:
        ask.record = record
        return finish(from_store(entry, record, ask.policy, now), ask.request, ask.status)

    def _collapse_key(self, ask: _Ask) -> str:
        # Every allowlisted field the request sends is part of it, so a follower never gets a
        # response that varies on a field it sent differently.
        return f"{ask.key} {variant_id(self._vary, ask.request.headers.get, 'c')}"

    def _trip(
        self,
        ask: _Ask,
        caching: RequestCaching,
        stale: Stale | None,
        variants: tuple[str, tuple[str, ...]] | None,
    ) -> Trip:
        request = ask.request
        headers = origin_headers(request, CLIENT_CONDITIONALS)
        if stale is not None:
            for name, value in validators(stale.entry.headers):
                headers.add(name, value)
        policy = ask.policy
        credentials = "authorization" if request.headers.has("authorization") else None
        if credentials is None and request.headers.has("cookie"):
            # Hot, warm and cold rules declare their content shared; elsewhere a response to a
            # request with cookies is stored only when the origin says it is public.
            credentials = None if policy.name in _SHARED_CLASSES else "cookie"
        vary = self.routes.settings.vary
        return Trip(
            request=EdgeRequest("GET", origin_url(self.origin, request.url), headers),
            key=ask.key,
            variant_key=lambda names, generation: self._key(
                ask.url, ask.rule, ask.scope.id, variant_id(names, request.headers.get, generation)
            ),
            variants=variants,
            policy=policy,
            rule=ask.rule.name,
            caching=caching,
            credentials=credentials,
            vary_ok=lambda value: vary_fields(value, vary),
            stale=stale,
            tags=(f"zone:{ask.scope.id}", *ask.tags),
        )

    async def _fly(
        self,
        ask: _Ask,
        runtime: Runtime,
        caching: RequestCaching,
        stale: Stale | None,
        *,
        variants: tuple[str, tuple[str, ...]] | None = None,
        collapse: bool = True,
    ) -> EdgeResponse:
        trip = self._trip(ask, caching, stale, variants)
        origin = self._origin(runtime)
        if not collapse:
            outcome = await fly(trip, origin, runtime.store, runtime.now)
            return self._answer(ask, outcome, stale, runtime.now())
        collapse_key = self._collapse_key(ask)
        flight = self.flights.flight(collapse_key)
        found: Outcome | None
        if flight is None:
            if not self._may_reach(ask, runtime.now()):
                return self._resting(ask, stale, runtime.now())
            task = self.flights.start(collapse_key, fly(trip, origin, runtime.store, runtime.now))
            runtime.wait_until(task)
            found = await within(task, ask.budget.seconds, ask.policy.timeout)
        else:
            found = await within(flight, ask.budget.seconds, ask.policy.timeout)
            if found is not None and found.shareable:
                ask.status.collapsed = True
            elif found is not None:  # a personal response: this request asks for itself
                found = await fly(trip, origin, runtime.store, runtime.now)
        if found is None:
            return self._placeholder(ask, stale, runtime.now())
        return self._answer(ask, found, stale, runtime.now())

    def _may_reach(self, ask: _Ask, now: float) -> bool:
        """Whether this key may go to the origin now: always, unless the origin has asked for
        a rest (Retry-After), when each key goes at most once per ``protect_interval`` (the
        gate notes every fetch, so the one that brought the Retry-After counts too)."""
        allowed = self._gate.allow(ask.key, now, self.pressure.protect_interval)
        return allowed or not self.health.throttled(now)

    def _resting(self, ask: _Ask, stale: Stale | None, now: float) -> EdgeResponse:
        """The answer to a request held back while the origin rests: stale when allowed."""
        ask.status.fwd, ask.status.detail = "request", "origin-resting"
        if stale is not None and stale.record.may_serve_on_error(now):
            ask.status.hit, ask.status.fwd, ask.status.ttl = True, "stale", stale.record.ttl(now)
            return self._answer_stored(ask, stale.entry, stale.record, now)
        return finish(origin_resting(self._rest(now)), ask.request, ask.status)

    def _rest(self, now: float) -> int:
        """Whole seconds the origin has asked to be left alone for (at least 1)."""
        until = self.health.snapshot(now).retry_until
        return max(1, math.ceil((until or now) - now))

    def _placeholder(self, ask: _Ask, stale: Stale | None, now: float) -> EdgeResponse:
        """The origin is slower than the budget: the stale copy if there is one, else a 202
        to poll; the fetch goes on and stores its answer for the poll."""
        seconds = retry_after(self.health.snapshot(now).latency_ewma, now - ask.started)
        if stale is not None:
            ask.status.hit, ask.status.fwd, ask.status.ttl = True, "stale", stale.record.ttl(now)
            ask.status.detail = "placeholder-stale"
            response = self._answer_stored(ask, stale.entry, stale.record, now)
        else:
            ask.status.detail = "placeholder"
            if ask.budget.respond_async:
                ask.applied = replace(ask.applied, respond_async=True)
            poll = poll_target(ask.request.url)
            body = placeholder(ask.policy.placeholder, poll, seconds)
            response = finish(body, ask.request, ask.status)
        response.headers.set("retry-after", str(seconds))
        return response

    def _answer(self, ask: _Ask, outcome: Outcome, stale: Stale | None, now: float) -> EdgeResponse:
        status = ask.status
        status.fwd_status = outcome.origin_status
        answer = outcome.response
        failed = answer is None or answer.status >= 500 or answer.status in _OVERLOADED
        if failed and stale is not None and stale.record.may_serve_on_error(now):
            status.hit, status.fwd, status.ttl = True, "stale", stale.record.ttl(now)
            status.detail = "stale-if-error"
            return self._answer_stored(ask, stale.entry, stale.record, now)
        if outcome.response is None:
            assert outcome.error is not None, "an outcome without a response carries its error"
            return finish(origin_failure(outcome.error), ask.request, status)
        if outcome.response.status == 429:  # the origin's own "overloaded": its rest, as a 503
            return finish(origin_resting(self._rest(now), received=429), ask.request, status)
        if outcome.record is not None:
            status.stored, status.ttl = True, outcome.record.ttl(now)
            ask.record = outcome.record
        elif status.detail is None:
            status.detail = outcome.refusal
        response = from_origin(outcome.response, ask.policy, outcome.record, now)
        return finish(response, ask.request, status)

    async def _pass(
        self, ask: _Ask, runtime: Runtime, fwd: str, *, detail: str | None = None
    ) -> EdgeResponse:
        """Forward as is: nothing looked up, nothing stored."""
        ask.status.fwd, ask.status.detail = fwd, detail
        request = ask.request
        forward = EdgeRequest(
            request.method,
            origin_url(self.origin, request.url),
            origin_headers(request),
            request.body,
        )
        try:
            response = await reach(self._origin(runtime), forward, ask.policy.timeout)
        except OriginError as exc:
            return finish(origin_failure(exc), request, ask.status)
        ask.status.fwd_status = response.status
        return finish(from_origin(response, ask.policy, None, runtime.now()), request, ask.status)

    async def _unsafe(
        self, ask: _Ask, runtime: Runtime, rungs: tuple[Scope | None, ...]
    ) -> EdgeResponse:
        """Forward any other method; a successful unsafe one invalidates what it names
        (RFC 9111 §4.4): the target URL and same-host ``Location``/``Content-Location``, as
        the requester's zone keys them (a tag purge reaches every zone's copy)."""
        response = await self._pass(ask, runtime, "method")
        if ask.request.method in _SAFE_METHODS or not 200 <= response.status < 400:
            return response
        groups = invalidated_groups(response.headers.get("cache-group-invalidation"))
        if groups and runtime.events is not None and runtime.events.send is not None:
            runtime.wait_until(send_groups(runtime.events, groups))
        targets = [ask.request.url]
        for name in ("location", "content-location"):
            if (value := response.headers.get(name)) is not None:
                targets.append(urljoin(ask.request.url, value))
        for target in targets:
            try:
                url, rule = self._target("GET", target)
            except InvalidURL:
                continue
            scope = pick(rungs, rule.policy.scope, rule.policy.fallback)
            if url.host == ask.url.host and scope is not None:  # never on another host's word
                await quietly(
                    runtime.store.delete(self._base_key("GET", target, url, rule, scope.id))
                )
        return response
