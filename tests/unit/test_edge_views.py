"""``GET /_edge/views/<name>`` in-process, through the front: parts fetched through the caching
proxy, the rendered view cached whole for as long as its shortest-lived part, under a key its
parts' own keys make, tagged with all their tags."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from edgeharness import FrontHarness, YieldingStore, json_body
from geoscope import Geo
from messages import EdgeRequest, EdgeResponse, Fields
from routes import load_routes
from variants import VARIANTS_FIELD
from zones import Circle, Zone
from zonesource import ZoneSource

ROUTES = load_routes(
    """
[[rule]]
path = "/api/stock/**"
class = "hot"
swr = "0s"

[[rule]]
path = "/api/**"
class = "warm"
scope = "global"
swr = "0s"

[views.card]
params = { sku = "[A-Z0-9]{1,8}" }
budget = "10s"

[views.card.parts]
product = "/api/products/{sku}"
price = "/api/prices/{sku}"
reviews = { url = "/api/reviews/{sku}", optional = true }

[views.card.template]
sku = "{{ sku }}"
name = "{{ product.name }}"
price = "{{ price.amount }}"
reviews = "{{ reviews }}"
label = "{{ product.name }} for {{ price.amount }}"

[views.quick]
params = { sku = "[A-Z0-9]{1,8}" }
budget = "50ms"

[views.quick.parts]
product = "/api/products/{sku}"
price = "/api/prices/{sku}"

[views.near]
params = { sku = "[A-Z0-9]{1,8}" }
budget = "10s"

[views.near.parts]
stock = "/api/stock/{sku}"

[views.anything]
params = { q = ".+" }
budget = "10s"

[views.anything.parts]
product = "/api/products/{q}/info"
"""
)
MISSION = Zone("sf-mission", "store", Circle((-122.4187, 37.7567), 3000), priority=10)
SF = Zone("san-francisco", "city", Circle((-122.44, 37.76), 12000))
IN_MISSION = Geo(37.7567, -122.4187, city="san-francisco", region="ca", country="us")
ELSEWHERE_IN_SF = Geo(37.7800, -122.5000, city="san-francisco", region="ca", country="us")
LIFETIMES = {"products": 60, "prices": 10, "reviews": 30, "stock": 60}


class Storefront:
    """The origin: one JSON document per part, each with its own lifetime and tag, varying on
    the language; a path can be made to fail or to wait."""

    def __init__(self) -> None:
        self.statuses: dict[str, int] = {}
        self.holds: dict[str, asyncio.Event] = {}

    async def __call__(self, request: EdgeRequest) -> EdgeResponse:
        path = request.url.removeprefix("http://origin").partition("?")[0]
        if path in self.holds:
            await self.holds[path].wait()
        _, _, kind, sku = path.split("/", 3)
        language = request.headers.get("accept-language")
        document: object = {
            "products": {"name": f"Product {sku}", "language": language},
            "prices": {"amount": 12.5},
            "reviews": {"stars": 4},
            "stock": {"zone": request.headers.get("edge-geo-zone")},
        }[kind]
        fields = Fields(
            [
                ("content-type", "application/json"),
                ("cache-control", f"public, max-age={LIFETIMES[kind]}"),
                ("cache-tag", f"{kind}:{sku.lower()}"),
                ("vary", "accept-language"),
            ]
        )
        status = self.statuses.get(path, 200)
        return EdgeResponse(status, fields, json.dumps(document).encode())


def edge(zones: ZoneSource | None = None) -> FrontHarness:
    return FrontHarness(Storefront(), ROUTES, zones)


def origin(h: FrontHarness) -> Storefront:
    answer = h.answer
    assert isinstance(answer, Storefront)
    return answer


async def release(h: FrontHarness, held: asyncio.Event) -> None:
    """Let a held part answer and the background work it was left to finish."""
    held.set()
    await asyncio.wait_for(asyncio.gather(*h.background), 5)


def paths(h: FrontHarness) -> list[str]:
    return [request.url.removeprefix("http://origin") for request in h.sent]


def status(response: EdgeResponse) -> list[str]:
    return (response.headers.get("cache-status") or "").split("; ")


def view_entries(h: FrontHarness) -> dict[str, EdgeResponse]:
    return {key: entry for key, entry in h.store.entries.items() if "/~popcache/view/" in key}


def tags(entry: EdgeResponse) -> set[str]:
    return set((entry.headers.get("cache-tag") or "").split(","))


# Rendering --------------------------------------------------------------------------------------


async def test_a_view_renders_its_template_over_its_parts():
    response = await edge().view("card", "sku=A1")
    assert response.status == 200
    assert response.headers.get("content-type") == "application/json"
    assert json_body(response) == {
        "sku": "A1",
        "name": "Product A1",
        "price": 12.5,
        "reviews": {"stars": 4},
        "label": "Product A1 for 12.5",
    }


async def test_each_part_is_fetched_through_the_proxy_and_stored_as_its_own_entry():
    h = edge()
    await h.view("card", "sku=A1")
    assert sorted(paths(h)) == ["/api/prices/A1", "/api/products/A1", "/api/reviews/A1"]
    await h.send(EdgeRequest("GET", "https://shop.example/api/products/A1", Fields()))
    assert len(h.sent) == 3


async def test_a_view_without_a_template_shows_each_part_under_its_name():
    response = await edge(ZoneSource((MISSION, SF), ROUTES.zones, print)).view("near", "sku=A1")
    assert set(json_body(response)) == {"stock"}


# Cached whole -----------------------------------------------------------------------------------


async def test_a_second_request_is_a_hit_with_the_same_etag_and_no_origin_request():
    h = edge()
    first = await h.view("card", "sku=A1")
    second = await h.view("card", "sku=A1")
    assert "hit" in status(second)
    assert first.headers.get("etag") is not None
    assert second.headers.get("etag") == first.headers.get("etag")
    assert second.body == first.body
    assert len(h.sent) == 3


async def test_the_etag_is_strong_and_differs_between_different_views():
    h = edge()
    a1 = (await h.view("card", "sku=A1")).headers.get("etag") or ""
    b2 = (await h.view("card", "sku=B2")).headers.get("etag") or ""
    assert a1.startswith('"')
    assert a1 != b2


async def test_if_none_match_with_the_views_etag_is_answered_304():
    h = edge()
    etag = (await h.view("card", "sku=A1")).headers.get("etag") or ""
    response = await h.view("card", "sku=A1", ("if-none-match", etag))
    assert response.status == 304
    assert response.body == b""
    assert response.headers.get("etag") == etag


async def test_if_none_match_with_another_etag_gets_the_view():
    h = edge()
    await h.view("card", "sku=A1")
    response = await h.view("card", "sku=A1", ("if-none-match", '"something-else"'))
    assert response.status == 200


async def test_a_view_is_stored_for_as_long_as_its_shortest_lived_part():
    response = await edge().view("card", "sku=A1")
    assert "stored" in status(response)
    assert f"ttl={LIFETIMES['prices']}" in status(response)


async def test_past_its_shortest_parts_lifetime_the_view_is_rendered_again():
    h = edge()
    await h.view("card", "sku=A1")
    h.now += LIFETIMES["prices"] + 1
    response = await h.view("card", "sku=A1")
    assert "hit" not in status(response)
    assert paths(h)[3:] == ["/api/prices/A1"]  # the other parts are still fresh in the cache


async def test_within_its_shortest_parts_lifetime_the_view_is_a_hit():
    h = edge()
    await h.view("card", "sku=A1")
    h.now += LIFETIMES["prices"] - 1
    response = await h.view("card", "sku=A1")
    assert "hit" in status(response)
    assert len(h.sent) == 3


async def test_the_stored_view_is_tagged_with_every_parts_tags_and_its_own_name():
    h = edge()
    await h.view("card", "sku=A1")
    [view] = view_entries(h).values()
    parts = [
        entry
        for key, entry in h.store.entries.items()
        if "/~popcache/view/" not in key and not entry.headers.has(VARIANTS_FIELD)
    ]
    assert len(parts) == 3
    part_tags = set().union(*(tags(entry) for entry in parts))
    assert {"products:a1", "prices:a1", "reviews:a1"} <= part_tags
    assert tags(view) == part_tags | {"view:card"}


async def test_the_parts_are_asked_in_the_clients_language():
    h = edge()
    await h.view("card", "sku=A1", ("accept-language", "fr"))
    assert {request.headers.get("accept-language") for request in h.sent} == {"fr"}
    assert {request.headers.get("accept") for request in h.sent} == {"application/json"}


async def test_views_for_different_languages_are_stored_apart():
    h = edge()
    french = await h.view("anything", "q=A1", ("accept-language", "fr"))
    german = await h.view("anything", "q=A1", ("accept-language", "de"))
    assert json_body(french)["product"]["language"] == "fr"
    assert json_body(german)["product"]["language"] == "de"
    assert "hit" not in status(german)


async def test_concurrent_requests_for_one_view_render_it_once():
    release = asyncio.Event()

    class BothLookedUp(YieldingStore):
        """Lets the origin answer once both requests have missed the view's entry."""

        views = 0

        async def match(self, key: str) -> EdgeResponse | None:
            found = await super().match(key)
            if "/~popcache/view/" in key:
                self.views += 1
                if self.views == 2:
                    release.set()
            return found

    h = edge()
    h.store = BothLookedUp()
    origin(h).holds["/api/products/A1"] = release
    first, second = await asyncio.wait_for(
        asyncio.gather(h.view("card", "sku=A1"), h.view("card", "sku=A1")), 5
    )
    assert first.body == second.body
    assert ["collapsed" in status(first), "collapsed" in status(second)] == [False, True]
    assert len(h.sent) == 3


async def test_views_of_different_parameters_are_stored_apart():
    h = edge()
    await h.view("card", "sku=A1")
    response = await h.view("card", "sku=B2")
    assert json_body(response)["name"] == "Product B2"
    assert len(view_entries(h)) == 2


# Refused ----------------------------------------------------------------------------------------


async def test_an_unknown_view_is_a_404_problem_naming_the_view():
    h = edge()
    response = await h.view("nope", "sku=A1")
    assert response.status == 404
    assert response.headers.get("content-type") == "application/problem+json"
    assert json_body(response)["field"] == "view"
    assert h.sent == []


@pytest.mark.parametrize(
    "query",
    ["", "other=A1", "sku=", "sku=a1", "sku=A1-", "sku=TOOLONGSKU", "sku=A1&sku=B2"],
    ids=["absent", "absent-other", "empty", "lower", "bad-char", "too-long", "twice"],
)
async def test_a_missing_or_invalid_parameter_is_a_400_problem_naming_it(query):
    h = edge()
    response = await h.view("card", query)
    assert response.status == 400
    assert json_body(response)["field"] == "query.sku"
    assert h.sent == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_a_view_requested_with_another_method_than_get_or_head_is_405(method):
    h = edge()
    url = "https://shop.example/_edge/views/card?sku=A1"
    response = await h.send(EdgeRequest(method, url, Fields(), b"{}"))
    assert response.status == 405
    assert response.headers.get("allow") == "GET, HEAD"
    assert h.sent == []


async def test_a_head_request_gets_the_views_fields_without_its_body():
    h = edge()
    url = "https://shop.example/_edge/views/card?sku=A1"
    response = await h.send(EdgeRequest("HEAD", url, Fields()))
    assert (response.status, response.body) == (200, b"")
    assert response.headers.get("etag") is not None


# Slow parts -------------------------------------------------------------------------------------


async def test_a_part_slower_than_the_budget_is_null_and_named_pending():
    h = edge()
    held = origin(h).holds["/api/prices/A1"] = asyncio.Event()
    response = await h.view("quick", "sku=A1")
    assert response.status == 200
    assert json_body(response) == {
        "product": {"name": "Product A1", "language": None},
        "price": None,
        "pending": ["price"],
    }
    await release(h, held)


async def test_a_view_with_a_pending_part_asks_to_be_retried_and_is_not_stored():
    h = edge()
    held = origin(h).holds["/api/prices/A1"] = asyncio.Event()
    response = await h.view("quick", "sku=A1")
    assert response.headers.get("retry-after") == "1"
    assert response.headers.get("cache-control") == "no-store"
    assert "stored" not in status(response)
    await release(h, held)
    assert view_entries(h) == {}


async def test_a_pending_part_completes_in_the_background_and_the_next_view_is_whole():
    h = edge()
    held = origin(h).holds["/api/prices/A1"] = asyncio.Event()
    await h.view("quick", "sku=A1")
    await release(h, held)
    response = await h.view("quick", "sku=A1")
    assert json_body(response) == {
        "product": {"name": "Product A1", "language": None},
        "price": {"amount": 12.5},
    }
    assert sorted(paths(h)) == ["/api/prices/A1", "/api/products/A1"]
    assert "stored" in status(response)


# Failed parts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("answered", "expected"), [(404, 404), (410, 410), (500, 502), (429, 502)])
async def test_a_failed_required_part_is_a_problem_naming_the_part(answered, expected):
    h = edge()
    origin(h).statuses["/api/products/A1"] = answered
    response = await h.view("card", "sku=A1")
    assert response.status == expected
    assert response.headers.get("content-type") == "application/problem+json"
    assert json_body(response)["field"] == "parts.product"


async def test_a_failed_required_part_is_not_stored_as_the_view():
    h = edge()
    origin(h).statuses["/api/products/A1"] = 404
    await h.view("card", "sku=A1")
    assert view_entries(h) == {}


async def test_a_failed_optional_part_is_null_in_the_view():
    h = edge()
    origin(h).statuses["/api/reviews/A1"] = 500
    response = await h.view("card", "sku=A1")
    assert response.status == 200
    assert json_body(response)["reviews"] is None
    assert json_body(response)["name"] == "Product A1"


async def test_a_view_with_a_failed_optional_part_is_not_stored():
    h = edge()
    origin(h).statuses["/api/reviews/A1"] = 500
    response = await h.view("card", "sku=A1")
    assert "stored" not in status(response)
    assert view_entries(h) == {}
    origin(h).statuses.clear()
    again = await h.view("card", "sku=A1")
    assert json_body(again)["reviews"] == {"stars": 4}


# Zones and placeholders -------------------------------------------------------------------------


async def test_clients_in_different_zones_get_their_own_zones_view():
    h = edge(ZoneSource((MISSION, SF), ROUTES.zones, print))
    h.geo = IN_MISSION
    mission = await h.view("near", "sku=A1")
    h.geo = ELSEWHERE_IN_SF
    elsewhere = await h.view("near", "sku=A1")
    assert json_body(mission) == {"stock": {"zone": "sf-mission"}}
    assert json_body(elsewhere) == {"stock": {"zone": "san-francisco"}}
    assert "hit" not in status(elsewhere)


async def test_clients_in_one_zone_share_its_view():
    h = edge(ZoneSource((MISSION, SF), ROUTES.zones, print))
    h.geo = IN_MISSION
    await h.view("near", "sku=A1")
    h.geo = Geo(37.7570, -122.4190, city="san-francisco", region="ca", country="us")
    response = await h.view("near", "sku=A1")
    assert "hit" in status(response)
    assert len(h.sent) == 1


@pytest.mark.parametrize(
    ("value", "segment"), [("x?admin=1", "x%3Fadmin%3D1"), ("a#b", "a%23b"), ("a b", "a%20b")]
)
async def test_a_parameter_value_fills_exactly_one_path_segment(value, segment):
    h = edge()
    response = await h.view("anything", "q=" + quote(value, safe=""))
    assert response.status == 200
    assert paths(h) == [f"/api/products/{segment}/info"]


@pytest.mark.parametrize("value", ["a/b", "50%", "a\\b"])
async def test_a_parameter_value_that_would_need_an_encoded_slash_or_escape_is_refused(value):
    h = edge()
    response = await h.view("anything", "q=" + quote(value, safe=""))
    assert response.status == 400
    assert json_body(response)["field"] == "query"
    assert h.sent == []


@pytest.mark.parametrize("value", [".", ".."])
async def test_a_parameter_value_that_is_a_dot_segment_is_refused(value):
    h = edge()
    response = await h.view("anything", f"q={value}")
    assert response.status == 400
    assert json_body(response)["field"] == "query.q"
    assert h.sent == []
