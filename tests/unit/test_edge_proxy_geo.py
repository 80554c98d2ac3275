"""Geofenced keys in the proxy: each class is shared in the client's zone at its level, the
origin is told that zone, and nothing the client sends can choose it."""

from __future__ import annotations

from edgeharness import Harness, detail, ok
from geoscope import Geo
from messages import EdgeRequest, EdgeResponse, Fields
from proxy import Proxy
from routes import load_routes
from zones import Circle, Zone
from zonesource import ZoneSource

ROUTES = load_routes(
    '[[rule]]\npath = "/stock/**"\nclass = "hot"\n'
    '[[rule]]\npath = "/p/**"\nclass = "warm"\n'
    '[[rule]]\npath = "/help/**"\nclass = "cold"\n'
    '[[rule]]\npath = "/strict/**"\nclass = "hot"\nfallback = "city"\n'
    '[[rule]]\npath = "/cart/**"\nclass = "bypass"\nmethods = ["*"]\n'
)
MISSION = Zone("sf-mission", "store", Circle((-122.4187, 37.7567), 3000), priority=10)
POPUP = Zone(
    "dolores-popup",
    "popup",
    Circle((-122.4260, 37.7596), 300),
    priority=20,
    starts_at=2000.0,
    ends_at=3000.0,
    ttl=(("hot", 1.0),),
)
SF = Zone("san-francisco", "city", Circle((-122.44, 37.76), 12000))
IN_MISSION = Geo(37.7567, -122.4187, city="san-francisco", region="ca", country="us")
AT_POPUP = Geo(37.7596, -122.4260, city="san-francisco", region="ca", country="us")
ELSEWHERE_IN_SF = Geo(37.7800, -122.5000, city="san-francisco", region="ca", country="us")


def harness(geo: Geo = IN_MISSION, answer=None) -> Harness:
    zones = ZoneSource((MISSION, POPUP, SF), ROUTES.zones, print)
    proxy = Proxy(ROUTES, origin="http://origin", version="v1", zones=zones)
    h = Harness(answer or ok(), ROUTES, proxy)
    h.geo = geo
    return h


def key(response: EdgeResponse) -> str:
    return detail(response).split('key="', 1)[1].rstrip('"')


async def debug_get(h: Harness, path: str) -> EdgeResponse:
    return await h.get(f"https://shop.example{path}", ("popcache-debug", "1"))


async def test_a_hot_response_is_keyed_by_the_store_zone_of_the_client():
    assert "/hot/sf-mission/" in key(await debug_get(harness(), "/stock/1"))


async def test_a_warm_response_is_keyed_by_the_city_of_the_client():
    assert "/warm/san-francisco/" in key(await debug_get(harness(), "/p/1"))


async def test_a_cold_response_is_keyed_globally():
    assert "/cold/global/" in key(await debug_get(harness(), "/help/1"))


async def test_the_origin_is_told_the_zone_and_its_level():
    h = harness()
    await h.get("https://shop.example/stock/1")
    sent = h.sent[0].headers
    assert (sent.get("edge-geo-zone"), sent.get("edge-geo-level")) == ("sf-mission", "zone")


async def test_a_client_cannot_choose_its_zone_with_a_header():
    h = harness(ELSEWHERE_IN_SF)
    await h.get(
        "https://shop.example/stock/1", ("edge-geo-zone", "sf-mission"), ("edge-geo-level", "x")
    )
    assert [v for n, v in h.sent[0].headers if n == "edge-geo-zone"] == ["san-francisco"]
    assert h.sent[0].headers.get("edge-geo-level") == "city"


async def test_outside_every_store_zone_a_hot_response_falls_back_to_the_city():
    assert "/hot/san-francisco/" in key(await debug_get(harness(ELSEWHERE_IN_SF), "/stock/1"))


async def test_clients_of_one_zone_share_one_entry_and_one_origin_request():
    h = harness()
    await h.get("https://shop.example/stock/1")
    h.geo = Geo(37.7570, -122.4190, city="san-francisco", region="ca", country="us")
    second = await h.get("https://shop.example/stock/1")
    assert len(h.sent) == 1
    assert "hit" in detail(second)


async def test_clients_of_two_zones_get_two_entries():
    h = harness()
    await h.get("https://shop.example/stock/1")
    h.geo = ELSEWHERE_IN_SF
    await h.get("https://shop.example/stock/1")
    assert len(h.sent) == 2


async def test_a_popup_changes_the_keys_of_its_area_from_the_moment_it_starts():
    h = harness(AT_POPUP)
    h.now = 1999.0
    before = key(await debug_get(h, "/stock/1"))
    h.now = 2000.0
    during = key(await debug_get(h, "/stock/1"))
    assert "/sf-mission/" in before
    assert "/dolores-popup/" in during


async def test_a_popup_gives_its_area_back_from_the_moment_it_ends():
    h = harness(AT_POPUP)
    h.now = 2999.0
    during = key(await debug_get(h, "/stock/1"))
    h.now = 3000.0
    after = key(await debug_get(h, "/stock/1"))
    assert "/dolores-popup/" in during
    assert "/sf-mission/" in after


async def test_a_zone_ttl_override_applies_to_responses_scoped_to_it():
    h = harness(AT_POPUP, ok("public, max-age=60"))
    h.now = 2500.0
    response = await h.get("https://shop.example/stock/1")
    assert "ttl=1" in detail(response)


async def test_an_entry_is_tagged_with_its_zone():
    h = harness()
    await h.get("https://shop.example/stock/1")
    tags = [e.headers.get("cache-tag") or "" for e in h.store.entries.values()]
    assert any("zone:sf-mission" in t.split(",") for t in tags)


async def test_a_zone_scoped_response_is_private_to_caches_past_the_edge():
    response = await harness(answer=ok("public, s-maxage=60, max-age=30")).get(
        "https://shop.example/p/1"
    )
    assert response.headers.get("cache-control") == "private, max-age=30"


async def test_a_globally_scoped_response_keeps_its_cache_control():
    response = await harness(answer=ok("public, max-age=30")).get("https://shop.example/help/1")
    assert response.headers.get("cache-control") == "public, max-age=30"


async def test_past_the_fallback_a_request_is_forwarded_unshared():
    h = harness(Geo())
    response = await h.get("https://shop.example/strict/1")
    assert "fwd=bypass" in detail(response)
    assert "detail=no-geo-scope" in detail(response)
    assert h.store.entries == {}
    assert h.sent[0].headers.get("edge-geo-zone") is None


async def test_a_bypass_request_still_tells_the_origin_the_zone():
    h = harness()
    await h.send(EdgeRequest("POST", "https://shop.example/cart/1", Fields(), b"{}"))
    assert h.sent[0].headers.get("edge-geo-zone") == "sf-mission"


async def test_an_unsafe_request_invalidates_the_entry_of_its_own_zone():
    h = harness()
    await h.get("https://shop.example/stock/1")
    await h.send(EdgeRequest("POST", "https://shop.example/stock/1", Fields(), b"{}"))
    await h.get("https://shop.example/stock/1")
    assert [r.method for r in h.sent] == ["GET", "POST", "GET"]
