"""The isolate's zones: the static set from the bundle plus a copy of the dynamic set in KV.

Pop-ups come and go without a deploy, so they live in a KV namespace; reading KV on every
request would put KV's latency (and its outages) in front of every answer. The isolate keeps a
copy instead and re-reads it at most every ``refresh`` seconds, in the background of the
request that notices it is due (``waitUntil``); only an isolate's very first request waits for
it, and for at most ``first_wait``. A read that fails, a value that does not parse, a zone that
is malformed: the previous good copy (or that zone's previous good version) stays in force and
the problem is logged once. Static and dynamic zones are indexed apart, so a pop-up change
never rebuilds the static index.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from geoscope import Geo, Scope, ladder
from memo import Memo
from routes import ZoneSettings
from zonefile import parse_zones
from zoneindex import Located, ZoneIndex
from zones import Zone

__all__ = ["ZoneRead", "ZoneSource"]

ZoneRead = Callable[[], Awaitable[str | None]]
"""Reads the KV value holding the dynamic zones; None when the key is absent."""

_LOGGED_LIMIT = 1024


class ZoneSource:
    """Static and dynamic zones of one isolate, and the ladder of each client location."""

    def __init__(
        self,
        static: tuple[Zone, ...],
        settings: ZoneSettings,
        log: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.static = ZoneIndex.build(static)
        self.dynamic = ZoneIndex.build(())
        self._static_ids = frozenset(zone.id for zone in static)
        self._log = log
        self._logged: set[str] = set()
        self._text: str | None = None
        self._next_read: float | None = None  # None: never read yet
        self._loading: asyncio.Task[None] | None = None
        self._memo: Memo[Geo, tuple[Scope | None, ...]] = Memo()
        self._memo_until: float | None = None
        self._memo_since = -float("inf")

    @property
    def source(self) -> str:
        """How problems name the dynamic set: ``KV ZONES/zones``."""
        return f"KV {self.settings.kv_binding}/{self.settings.kv_key}"

    def sizes(self) -> dict[str, tuple[int, int | None]]:
        """The ladders kept by client location, and the problems noted (logged once each)."""
        return {
            "zone_ladders": (len(self._memo), self._memo.limit),
            "zone_notes": (len(self._logged), _LOGGED_LIMIT),
        }

    def due(self, read: ZoneRead | None, now: float) -> bool:
        """Whether a re-read of KV is due: there is a binding, no read under way, and never a
        read yet or ``refresh`` seconds since the last one started."""
        return (
            read is not None
            and self._loading is None
            and (self._next_read is None or now >= self._next_read)
        )

    async def refresh(
        self, read: ZoneRead | None, now: float, wait_until: Callable[[Awaitable[Any]], None]
    ) -> None:
        """Start a re-read of KV when one is due; wait for it only on the isolate's first
        request, and then at most ``first_wait``."""
        if read is None or not self.due(read, now):
            return
        first = self._next_read is None
        self._next_read = now + self.settings.refresh
        self._loading = asyncio.ensure_future(self._load(read))
        wait_until(self._loading)
        if first and self.settings.first_wait > 0:
            try:
                await asyncio.wait_for(asyncio.shield(self._loading), self.settings.first_wait)
            except TimeoutError:
                self.note(f"{self.source}: not read within first_wait; static zones meanwhile")

    def ladder(self, geo: Geo, now: float) -> tuple[Scope | None, ...]:
        """The client's rung per level at ``now`` (``geoscope.ladder``), memoised until the
        zones change or one of them opens or closes."""
        if (self._memo_until is not None and now >= self._memo_until) or now < self._memo_since:
            self._memo.clear()
        if not self._memo:
            self._memo_since = now
            changes = [i.next_change(now) for i in (self.static, self.dynamic)]
            self._memo_until = min((t for t in changes if t is not None), default=None)
        found = self._memo.get(geo)
        if found is None:
            found = self._memo.keep(geo, ladder(geo, self.locate(geo, now)))
        return found

    def locate(self, geo: Geo, now: float) -> Located:
        """The best active zone and city zone of both sets containing the client."""
        if geo.lat is None or geo.lon is None:
            return Located(None, None)
        static = self.static.locate(geo.lat, geo.lon, now)
        if not self.dynamic.zones:
            return static
        dynamic = self.dynamic.locate(geo.lat, geo.lon, now)
        return Located(_best(static.zone, dynamic.zone), _best(static.city, dynamic.city))

    def note(self, message: str) -> None:
        """Log ``message`` unless it has been logged already."""
        if message in self._logged:
            return
        if len(self._logged) >= _LOGGED_LIMIT:
            self._logged.clear()
        self._logged.add(message)
        self._log(message)

    async def _load(self, read: ZoneRead) -> None:
        try:
            try:
                text = await read()
            except Exception as exc:  # KV errors have no common type across runtimes
                self.note(f"{self.source}: unreadable, the previous zones stay in force: {exc}")
                return
            if text != self._text:
                self._adopt(text)
        finally:
            self._loading = None

    def _adopt(self, text: str | None) -> None:
        parsed = parse_zones(text or '{"type": "FeatureCollection", "features": []}', self.source)
        previous = {zone.id: zone for zone in self.dynamic.zones}
        if any(problem.zone_id is None for problem in parsed.problems):
            for problem in parsed.problems:
                self.note(f"{problem.message} (the previous zones stay in force)")
            return
        zones: dict[str, Zone] = {}
        for zone in parsed.zones:
            if zone.id in self._static_ids:
                self.note(f"{self.source}: zone {zone.id!r}: a static zone has this id; ignored")
            else:
                zones[zone.id] = zone
        for problem in parsed.problems:
            kept = previous.get(problem.zone_id or "")
            if kept is not None:
                zones.setdefault(kept.id, kept)
            self.note(problem.message + (" (its previous version stays)" if kept else ""))
        self._text = text
        if set(zones.values()) != set(previous.values()):
            self.dynamic = ZoneIndex.build(zones.values())
            self._memo.clear()


def _best(a: Zone | None, b: Zone | None) -> Zone | None:
    """The higher-ranked of two zones: priority, then the smaller id."""
    if a is None or b is None:
        return a or b
    return a if a.rank <= b.rank else b
