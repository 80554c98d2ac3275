"""Tiered Cache's upper tier: one shared cache between every PoP and the origin.

On Cloudflare, Tiered Cache divides data centers into lower tiers, which clients reach, and
upper tiers; "only upper-tier data centers can request content from an origin server", so a
lower-tier miss asks an upper tier, which asks the origin only on its own miss
(https://developers.cloudflare.com/cache/how-to/tiered-cache/). The emulator has one upper tier
that every PoP shares. The worker's subrequests (``workers.fetch``) pass through it when they
are ``GET`` or ``HEAD`` requests to the origin, the one the emulator aims faults at
(``--origin``, the demo origin, else the worker's ``ORIGIN`` var; :meth:`UpperTier.aim`); other
methods and other hosts (the purge API, third parties) go straight out.

For a request through the tier:

- ``Authorization`` or ``Cookie`` on the request bypasses it: no lookup, nothing stored
  (RFC 9111 §3.5 lets a shared cache store an authorized response only when told to; this
  takes the safe side for both fields). ``CF-Cache-Status: BYPASS``.
- A fresh entry (:mod:`emulator.tierentry` says what is stored, under which key, and how it
  answers) is a hit: ``HIT``, ``Cache-Status: <name>; hit; ttl=<seconds left>``.
- Otherwise the request goes to the origin as the worker made it (conditionals included) and
  the answer is stored if it may be: ``MISS`` (``EXPIRED`` when the entry was stale), and
  ``<name>; fwd=uri-miss|vary-miss|stale; fwd-status=<status>[; stored]``. A response the
  origin's own headers keep out of the cache shows ``BYPASS``.
- Concurrent ``GET`` misses for one URL are collapsed, as Cloudflare does: one goes to the
  origin, the others wait for it and are answered from what it stored
  (``<name>; fwd=uri-miss; fwd-status=200; collapsed``, ``MISS``). If it stored nothing (an
  uncacheable answer, an error, a cancelled fetch) each waiting request asks the origin itself.

The tier's ``Cache-Status`` member follows any the origin sent (RFC 9211 §2: the first member
is the cache closest to the origin); the worker, the lower tier, adds its own after it.
Freshness follows the emulator's clock. Faults act on the way from the tier to the origin, with
those of the PoP whose miss it is: a hit never reaches the origin, so no fault touches it.

Purges reach the tier as they reach every PoP's Cache API (:mod:`emulator.purgeapi`), and
select entries by the same rules (:mod:`emulator.runtime.purgematch`). The tier keys entries by
the URL the worker fetched (the origin's, as on Cloudflare, where the tier caches a subrequest
under its own URL), so ``files``, ``hosts`` and ``prefixes`` name origin URLs here; ``tags``
and ``purge_everything`` reach both alike. The ``purge_*`` methods drop the matching entries,
or with ``soft=True`` mark them invalidated;
an invalidated entry is treated as expired (``EXPIRED``, ``fwd=stale``): the next miss through
the tier refetches it from the origin (Cloudflare revalidates it; refetching is the simple,
never-staler equivalent). Each returns how many live entries it dropped or marked.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from .clock import Clock
from .faults import origin_key
from .runtime.cache_http import normalize_url
from .runtime.cachelimit import MAX_ENTRIES, evict
from .runtime.http import JsRequest, JsResponse
from .runtime.purgematch import Pick, Purgeable
from .tierentry import HEADER_REFUSALS, TierEntry, refusal
from .topology import DEFAULT_UPPER_TIER_NAME

__all__ = ["UPPER_TIER_KEY", "Forward", "UpperTier"]

UPPER_TIER_KEY = "UPPER"
"""The upper tier's key beside the colos in a purge record's per-PoP counts."""

Forward = Callable[[JsRequest], Awaitable[JsResponse]]
"""Sends a request on to the origin (the fetcher's network path, faults included)."""

_METHODS = frozenset({"GET", "HEAD"})
_BYPASSING_FIELDS = ("authorization", "cookie")


class UpperTier(Purgeable):
    """The upper tier's entries, its in-flight origin fetches and its counters."""

    def __init__(
        self, clock: Clock, name: str = DEFAULT_UPPER_TIER_NAME, max_entries: int = MAX_ENTRIES
    ) -> None:
        """``max_entries``: the URLs kept at most (:mod:`emulator.runtime.cachelimit`)."""
        self.name = name
        self._clock = clock
        self.max_entries = max_entries
        self._origin: tuple[str, str, int] | None = None
        self._entries: dict[str, list[TierEntry]] = {}  # by URL: one entry per variant
        self._flights: dict[str, asyncio.Event] = {}  # URL -> set when its origin fetch ends
        self.hits = 0
        """Requests answered from a fresh entry."""
        self.misses = 0
        """Requests the tier sent on to the origin (expired entries included)."""
        self.bypasses = 0
        """Requests that bypassed the tier (``Authorization`` or ``Cookie``)."""
        self.collapsed = 0
        """Requests answered from another's origin fetch."""

    def aim(self, origin: str | None) -> None:
        """Serve fetches to ``origin`` (an http(s) URL: its scheme, host and port); None: none."""
        self._origin = origin_key(origin) if origin else None

    def serves(self, request: JsRequest) -> bool:
        """Whether ``request`` goes through the tier: a GET or HEAD to the origin."""
        return (
            self._origin is not None
            and request.method in _METHODS
            and origin_key(request.url) == self._origin
        )

    async def fetch(self, request: JsRequest, forward: Forward) -> JsResponse:
        """Answer ``request`` from the tier, asking the origin through ``forward`` on a miss."""
        headers = request.headers
        if any(headers.has(name) for name in _BYPASSING_FIELDS):
            self.bypasses += 1
            return self._mark(await forward(request), "BYPASS", "fwd=bypass")
        url = normalize_url(request.url)
        entry, fwd = self._lookup(url, request)
        if entry is not None:
            return self._hit(entry, request)
        if request.method != "GET":
            return await self._miss(url, request, forward, fwd, store=False)
        flight = self._flights.get(url)
        if flight is not None:
            await flight.wait()
            entry, fwd = self._lookup(url, request)
            if entry is None:  # nothing stored: this request asks the origin itself
                return await self._miss(url, request, forward, fwd, store=True)
            self.collapsed += 1
            member = f"fwd=uri-miss; fwd-status={entry.status}; collapsed"
            return entry.answer(request, self._clock.now(), "MISS", f"{self.name}; {member}")
        flight = self._flights[url] = asyncio.Event()
        try:
            return await self._miss(url, request, forward, fwd, store=True)
        finally:
            del self._flights[url]
            flight.set()

    def _lookup(self, url: str, request: JsRequest) -> tuple[TierEntry | None, str]:
        """The fresh entry for ``request``, or None and why it must go to the origin."""
        variants = [entry for entry in self._entries.get(url, ()) if entry.selected_by(request)]
        if not variants:
            return None, "vary-miss" if url in self._entries else "uri-miss"
        entry = variants[-1]
        return (entry, "hit") if entry.fresh(self._clock.now()) else (None, "stale")

    def _hit(self, entry: TierEntry, request: JsRequest) -> JsResponse:
        self.hits += 1
        now = self._clock.now()
        return entry.answer(request, now, "HIT", f"{self.name}; hit; ttl={entry.ttl(now)}")

    async def _miss(
        self, url: str, request: JsRequest, forward: Forward, fwd: str, *, store: bool
    ) -> JsResponse:
        self.misses += 1
        response = await forward(request)
        now = self._clock.now()
        refused = refusal(response, now) if store else "method"
        entry = None
        if refused is None:
            try:  # a copy: the worker reads the response's own body
                body = await response.clone().arrayBuffer()
            except OSError:  # a body broken off on the way (an injected reset)
                refused = "body"
            else:
                entry = TierEntry.of(url, request, response, body, now)
        if entry is not None:
            self._put(entry, request)
        member = f"fwd={fwd}; fwd-status={response.status}" + ("; stored" if entry else "")
        if refused in HEADER_REFUSALS:  # the origin said not to store it
            return self._mark(response, "BYPASS", member)
        return self._mark(response, "EXPIRED" if fwd == "stale" else "MISS", member)

    def _put(self, entry: TierEntry, request: JsRequest) -> None:
        """Store ``entry``, replacing the variant ``request`` selected and expired ones."""
        now = self._clock.now()
        kept = [
            other
            for other in self._entries.get(entry.url, ())
            if other.live(now) and not other.selected_by(request)
        ]
        self._entries.pop(entry.url, None)  # stored anew: the newest, the last to be evicted
        self._entries[entry.url] = [*kept, entry]
        evict(self._entries, self.max_entries, lambda entries: any(e.live(now) for e in entries))

    def _mark(self, response: JsResponse, cf_cache_status: str, member: str) -> JsResponse:
        """``response`` with ``CF-Cache-Status`` and the tier's ``Cache-Status`` member last."""
        headers = response.headers
        upstream = headers.get("cache-status")
        ours = f"{self.name}; {member}"
        headers.set("cf-cache-status", cf_cache_status)
        headers.set("cache-status", f"{upstream}, {ours}" if upstream else ours)
        return response

    def entry_count(self) -> int:
        """Entries not expired (invalidated ones included until they expire or are replaced)."""
        now = self._clock.now()
        return sum(entry.live(now) for entries in self._entries.values() for entry in entries)

    def url_count(self) -> int:
        """URLs held (each with its variants), expired ones not dropped yet included: what
        ``max_entries`` caps (``/cdn-cgi/popcache/internals``)."""
        return len(self._entries)

    def flight_count(self) -> int:
        """URLs whose origin fetch is under way."""
        return len(self._flights)

    def to_json(self) -> dict[str, Any]:
        """A summary for tests and metrics: name, entries and counters."""
        return {
            "name": self.name,
            "entries": self.entry_count(),
            "hits": self.hits,
            "misses": self.misses,
            "bypasses": self.bypasses,
            "collapsed": self.collapsed,
        }

    def _drop(self, pick: Pick) -> int:
        """Drop the entries ``pick`` selects; count the live ones."""
        now = self._clock.now()
        dropped = 0
        for url, entries in list(self._entries.items()):
            kept = []
            for entry in entries:
                if not pick(url, entry.tags):
                    kept.append(entry)
                elif entry.live(now):
                    dropped += 1
            if kept:
                self._entries[url] = kept
            else:
                del self._entries[url]
        return dropped

    def _invalidate(self, pick: Pick) -> int:
        """Mark the live entries ``pick`` selects invalidated; count those not already."""
        now = self._clock.now()
        marked = 0
        for url, entries in self._entries.items():
            for index, entry in enumerate(entries):
                if entry.live(now) and not entry.invalidated and pick(url, entry.tags):
                    entries[index] = dataclasses.replace(entry, invalidated=True)
                    marked += 1
        return marked
