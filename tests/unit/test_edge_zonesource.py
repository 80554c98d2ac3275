"""The isolate's copy of the dynamic zones: read from KV in the background, at most every
``refresh`` seconds, never blocking a request on KV, keeping the last good set on bad input."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

from geoscope import Geo
from routes import ZoneSettings
from zones import Circle, Zone
from zonesource import ZoneSource

STORE = Zone("sf-mission", "store", Circle((-122.4187, 37.7567), 3000), priority=10)
AT_POPUP = Geo(37.7596, -122.4260)
SETTINGS = ZoneSettings(refresh=30.0, first_wait=0.05)


def popup(zone_id: str = "dolores-popup", **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": zone_id,
        "geometry": {"type": "Point", "coordinates": [-122.4260, 37.7596]},
        "properties": {"kind": "popup", "radius_m": 300, "priority": 20, **properties},
    }


def collection(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


class KV:
    """A KV key the test rewrites; ``delay`` makes reads slow, ``down`` makes them fail."""

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.reads = 0
        self.delay = 0.0
        self.down = False

    async def read(self) -> str | None:
        self.reads += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.down:
            raise RuntimeError("KV GET failed: 503 Service Unavailable")
        return self.value


class Isolate:
    def __init__(self, kv: KV, settings: ZoneSettings = SETTINGS) -> None:
        self.kv = kv
        self.logged: list[str] = []
        self.source = ZoneSource((STORE,), settings, self.logged.append)
        self.background: list[Awaitable[Any]] = []
        self.now = 1000.0

    async def zone_at_popup(self) -> str | None:
        await self.source.refresh(self.kv.read, self.now, self.background.append)
        located = self.source.locate(AT_POPUP, self.now)
        return located.zone.id if located.zone else None

    async def settle(self) -> None:
        await asyncio.gather(*self.background)
        self.background.clear()


async def test_the_first_request_of_an_isolate_waits_for_the_dynamic_zones():
    assert await Isolate(KV(collection(popup()))).zone_at_popup() == "dolores-popup"


async def test_a_slow_kv_delays_the_first_request_by_first_wait_at_most():
    kv = KV(collection(popup()))
    kv.delay = 0.2
    isolate = Isolate(kv)
    assert await isolate.zone_at_popup() == "sf-mission"
    await isolate.settle()
    assert await isolate.zone_at_popup() == "dolores-popup"


async def test_later_requests_never_wait_for_kv():
    kv = KV(collection())
    isolate = Isolate(kv)
    await isolate.zone_at_popup()
    kv.value, kv.delay = collection(popup()), 10.0
    isolate.now += 31
    assert await asyncio.wait_for(isolate.zone_at_popup(), 1.0) == "sf-mission"
    await asyncio.sleep(0)
    assert kv.reads == 2  # the read is under way, in the background
    for work in isolate.background:
        asyncio.ensure_future(work).cancel()


async def test_kv_is_read_at_most_once_per_refresh_interval():
    kv = KV(collection())
    isolate = Isolate(kv)
    for _ in range(5):
        await isolate.zone_at_popup()
        await isolate.settle()
        isolate.now += 5
    assert kv.reads == 1


async def test_a_new_popup_is_picked_up_at_the_next_refresh():
    kv = KV(collection())
    isolate = Isolate(kv)
    await isolate.zone_at_popup()
    kv.value = collection(popup())
    isolate.now += 30
    await isolate.zone_at_popup()
    await isolate.settle()
    assert await isolate.zone_at_popup() == "dolores-popup"


async def test_a_kv_outage_keeps_the_previous_zones_and_is_logged_once():
    kv = KV(collection(popup()))
    isolate = Isolate(kv)
    await isolate.zone_at_popup()
    kv.down = True
    for _ in range(3):
        isolate.now += 30
        await isolate.zone_at_popup()
        await isolate.settle()
    assert await isolate.zone_at_popup() == "dolores-popup"
    assert len([m for m in isolate.logged if "unreadable" in m]) == 1


async def test_a_value_that_does_not_parse_keeps_the_previous_zones():
    kv = KV(collection(popup()))
    isolate = Isolate(kv)
    await isolate.zone_at_popup()
    kv.value = "{not json"
    isolate.now += 30
    await isolate.zone_at_popup()
    await isolate.settle()
    assert await isolate.zone_at_popup() == "dolores-popup"
    assert any("previous zones stay" in m for m in isolate.logged)


async def test_a_malformed_zone_keeps_its_previous_version_and_names_its_id():
    kv = KV(collection(popup()))
    isolate = Isolate(kv)
    await isolate.zone_at_popup()
    kv.value = collection(popup(radius_m=-5))
    isolate.now += 30
    await isolate.zone_at_popup()
    await isolate.settle()
    assert await isolate.zone_at_popup() == "dolores-popup"
    assert any("'dolores-popup'" in m for m in isolate.logged)


async def test_one_malformed_zone_does_not_hold_back_the_others():
    kv = KV(collection(popup("broken", radius_m="far"), popup()))
    assert await Isolate(kv).zone_at_popup() == "dolores-popup"


async def test_a_dynamic_zone_cannot_replace_a_static_one():
    kv = KV(collection(popup("sf-mission", priority=99)))
    isolate = Isolate(kv)
    await isolate.zone_at_popup()
    assert isolate.source.dynamic.zones == ()
    assert any("static zone has this id" in m for m in isolate.logged)


async def test_a_deleted_key_means_no_dynamic_zones():
    kv = KV(collection(popup()))
    isolate = Isolate(kv)
    await isolate.zone_at_popup()
    kv.value = None
    isolate.now += 30
    await isolate.zone_at_popup()
    await isolate.settle()
    assert await isolate.zone_at_popup() == "sf-mission"


async def test_without_a_binding_only_static_zones_count():
    source = ZoneSource((STORE,), SETTINGS, print)
    await source.refresh(None, 1000.0, lambda work: None)
    assert source.locate(AT_POPUP, 1000.0).zone == STORE


async def test_the_ladder_memo_follows_a_popup_window_without_being_told():
    kv = KV(collection(popup(starts_at="1970-01-01T00:33:20Z")))  # 2000 s
    isolate = Isolate(kv)
    await isolate.zone_at_popup()
    before = isolate.source.ladder(AT_POPUP, 1999.0)[0]
    after = isolate.source.ladder(AT_POPUP, 2000.0)[0]
    assert before is not None
    assert before.id == "sf-mission"
    assert after is not None
    assert after.id == "dolores-popup"
