"""Geofenced keys end to end: the edge bundle on several emulated PoPs, zones from the bundle's
zones.geojson and from KV, a real origin on loopback that records what it is asked.

Clients place themselves with the emulator's client-geo header, so ``request.cf`` carries their
coordinates as Cloudflare's would; time is the emulator's fake clock, never a sleep.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from scripted import ScriptedOrigin, answer, serve

MISSION = (37.7567, -122.4187)  # inside sf-mission's delivery area (edge/zones.geojson)
SUNSET = (37.7636, -122.4664)
STOCK = "/api/inventory/BEV-COFFEE"
# What differs between two PoPs' requests for the same client by design: who connected.
PER_CONNECTION = frozenset({"host", "x-forwarded-for", "cf-connecting-ip", "cf-ray"})


async def stock(request: web.BaseRequest) -> web.Response:
    return answer(f"stock for {request.headers.get('Edge-Geo-Zone')}", "public, max-age=5")


@pytest.fixture
async def origin(aiohttp_raw_server) -> ScriptedOrigin:  # type: ignore[no-untyped-def]
    scripted = await serve(aiohttp_raw_server)
    scripted.on(STOCK, stock)
    return scripted


def fields(request: web.BaseRequest) -> dict[str, str]:
    """The request's header fields but those that identify its connection."""
    return {k.lower(): v for k, v in request.headers.items() if k.lower() not in PER_CONNECTION}


@pytest.fixture
async def edge(popcache_emulator, repo: Path, origin: ScriptedOrigin):  # type: ignore[no-untyped-def]
    return await popcache_emulator(repo / "wrangler.toml", origin=origin.url)


@pytest.fixture
async def edge_alone(popcache_emulator, repo: Path, origin: ScriptedOrigin):  # type: ignore[no-untyped-def]
    """The edge with no upper tier: every PoP miss reaches the origin, which these tests count."""
    return await popcache_emulator(repo / "wrangler.toml", origin=origin.url, tiered=False)


async def get(edge, path: str, *, at: tuple[float, float], pop: str = "SFO", **headers: str):  # type: ignore[no-untyped-def]
    headers.setdefault("Popcache-Debug", "1")
    async with edge.client(geo=at, pop=pop).get(path, headers=headers) as response:
        return response.status, await response.text(), dict(response.headers)


def key(headers: Mapping[str, str]) -> str:
    return headers["Cache-Status"].split('key="', 1)[1].split('"', 1)[0]


def popup(starts: float, ends: float, **properties: Any) -> str:
    feature = {
        "type": "Feature",
        "id": "mission-popup",
        "geometry": {"type": "Point", "coordinates": [MISSION[1], MISSION[0]]},
        "properties": {
            "kind": "popup",
            "radius_m": 200,
            "priority": 50,
            "starts_at": datetime.fromtimestamp(starts, UTC).isoformat(),
            "ends_at": datetime.fromtimestamp(ends, UTC).isoformat(),
            **properties,
        },
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]})


async def test_two_pops_serving_one_zone_build_the_same_key_and_origin_request(edge_alone, origin):
    edge = edge_alone
    _, _, sfo = await get(edge, STOCK, at=MISSION, pop="SFO")
    _, _, lhr = await get(edge, STOCK, at=MISSION, pop="LHR")
    assert key(sfo) == key(lhr)
    assert "/hot/sf-mission/" in key(sfo)
    a, b = origin.requests
    assert a.path_qs == b.path_qs
    assert fields(a) == fields(b)


async def test_the_origin_is_told_the_zone_and_the_ladder_level(edge, origin):
    await get(edge, STOCK, at=MISSION)
    headers = origin.requests[0].headers
    assert (headers["Edge-Geo-Zone"], headers["Edge-Geo-Level"]) == ("sf-mission", "zone")


async def test_clients_in_two_store_zones_get_answers_for_their_own_zone(edge_alone):
    edge = edge_alone
    _, mission, _ = await get(edge, STOCK, at=MISSION)
    _, sunset, _ = await get(edge, STOCK, at=SUNSET)
    assert (mission, sunset) == ("stock for sf-mission", "stock for sf-sunset")


async def test_a_client_header_cannot_move_it_into_another_zone(edge, origin):
    _, body, headers = await get(edge, STOCK, at=SUNSET, **{"Edge-Geo-Zone": "sf-mission"})
    assert body == "stock for sf-sunset"
    assert "/sf-sunset/" in key(headers)


async def test_a_warm_page_is_shared_across_the_city(edge, origin):
    await get(edge, "/api/products/BEV-COFFEE", at=MISSION)
    _, _, headers = await get(edge, "/api/products/BEV-COFFEE", at=SUNSET)
    assert origin.hits["/api/products/BEV-COFFEE"] == 1
    assert "/warm/san-francisco/" in key(headers)


async def test_purging_a_zone_tag_drops_that_zones_entries_only(edge_alone, origin):
    edge = edge_alone
    await get(edge, STOCK, at=MISSION)
    await get(edge, STOCK, at=SUNSET)
    assert edge.emulator.pops["SFO"].caches.purge_tags(["zone:sf-mission"]) == 1
    await get(edge, STOCK, at=MISSION)
    await get(edge, STOCK, at=SUNSET)
    assert [r.headers["Edge-Geo-Zone"] for r in origin.requests] == [
        "sf-mission",
        "sf-sunset",
        "sf-mission",
    ]


async def test_a_popup_in_kv_takes_over_its_area_when_it_opens_and_gives_it_back(edge):
    now = edge.clock.now()
    await edge.kv("ZONES").put("zones", popup(now + 3600, now + 7200))
    _, _, before = await get(edge, STOCK, at=MISSION)
    edge.clock.advance(3600)
    _, body, during = await get(edge, STOCK, at=MISSION)
    edge.clock.advance(3600)
    _, _, after = await get(edge, STOCK, at=MISSION)
    assert "/sf-mission/" in key(before)
    assert ("/mission-popup/" in key(during), body) == (True, "stock for mission-popup")
    assert "/sf-mission/" in key(after)


async def test_a_popup_published_later_is_seen_after_the_refresh_interval(edge):
    now = edge.clock.now()
    await get(edge, STOCK, at=MISSION)
    await edge.kv("ZONES").put("zones", popup(now - 60, now + 7200))
    edge.clock.advance(31)
    await get(edge, STOCK, at=MISSION)  # notices the copy is due and refreshes it
    await edge.drain()
    _, _, headers = await get(edge, STOCK, at=MISSION)
    assert "/mission-popup/" in key(headers)


async def test_a_kv_value_that_does_not_parse_is_logged_once_and_requests_are_served(edge, caplog):
    await edge.kv("ZONES").put("zones", "{not json")
    caplog.set_level(logging.WARNING, logger="popcache.console")
    statuses = [(await get(edge, STOCK, at=MISSION, pop=pop))[0] for pop in ("SFO", "SFO")]
    assert statuses == [200, 200]
    logged = [r.getMessage() for r in caplog.records if "KV ZONES/zones" in r.getMessage()]
    assert len(logged) == 1


async def test_a_malformed_popup_is_logged_with_its_id_and_the_rest_of_the_set_kept(edge, caplog):
    now = edge.clock.now()
    caplog.set_level(logging.WARNING, logger="popcache.console")
    await edge.kv("ZONES").put("zones", popup(now - 60, now + 7200, radius_m=10_000_000))
    status, _, headers = await get(edge, STOCK, at=MISSION)
    assert status == 200
    assert "/sf-mission/" in key(headers)
    assert any("'mission-popup'" in r.getMessage() for r in caplog.records)
