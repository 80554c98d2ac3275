"""Tiered Cache's upper tier on its own: what it stores, serves, collapses and purges, on a fake
clock, with an origin that is a function counting its calls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from emulator.app import Emulator
from emulator.clock import FakeClock
from emulator.faults import BodyResetResponse
from emulator.purgeapi import PurgeRequest, apply_purge
from emulator.runtime.http import JsRequest, JsResponse
from emulator.topology import DEFAULT_TOPOLOGY, Topology, UpperTierConfig
from emulator.uppertier import Forward, UpperTier
from emulator.wrangler import load_config

ORIGIN = "http://origin.test:8788"
URL = f"{ORIGIN}/api/products/1"
SAMPLE = Path(__file__).resolve().parent.parent / "e2e" / "workers" / "sample" / "wrangler.toml"


class Origin:
    """Answers every request with a new response (``answer <n>``), counting them."""

    def __init__(self, **headers: str) -> None:
        self.calls: list[JsRequest] = []
        self.status = 200
        self.headers = {"cache-control": "max-age=60", **headers}
        self.delay = 0.0
        self.error: Exception | None = None

    async def __call__(self, request: JsRequest) -> JsResponse:
        self.calls.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        body = None if request.method == "HEAD" else f"answer {len(self.calls)}"
        return JsResponse(body, status=self.status, headers=dict(self.headers), url=request.url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tier(clock: FakeClock) -> UpperTier:
    upper = UpperTier(clock)
    upper.aim(ORIGIN)
    return upper


def get(url: str = URL, method: str = "GET", **headers: str) -> JsRequest:
    return JsRequest(url, method=method, headers=headers)


async def ask(
    tier: UpperTier, origin: Forward, request: JsRequest | None = None
) -> tuple[JsResponse, str]:
    response = await tier.fetch(request or get(), origin)
    body = await response.text()
    return response, body


def cache_status(response: JsResponse) -> str:
    return response.headers.get("cache-status") or ""


async def test_a_miss_goes_to_the_origin_and_says_stored(tier: UpperTier) -> None:
    origin = Origin()
    response, body = await ask(tier, origin)
    assert (body, len(origin.calls)) == ("answer 1", 1)
    assert response.headers.get("cf-cache-status") == "MISS"
    assert cache_status(response) == ("popcache-upper; fwd=uri-miss; fwd-status=200; stored")


async def test_a_second_request_is_a_hit_without_the_origin(tier: UpperTier) -> None:
    origin = Origin()
    await ask(tier, origin)
    response, body = await ask(tier, origin)
    assert (body, len(origin.calls)) == ("answer 1", 1)
    assert response.headers.get("cf-cache-status") == "HIT"


async def test_a_hit_names_the_seconds_of_freshness_left(tier: UpperTier, clock: FakeClock) -> None:
    origin = Origin()
    await ask(tier, origin)
    clock.advance(3)
    response, _ = await ask(tier, origin)
    assert cache_status(response) == "popcache-upper; hit; ttl=57"


async def test_a_hit_carries_its_age(tier: UpperTier, clock: FakeClock) -> None:
    origin = Origin(age="5")
    await ask(tier, origin)
    clock.advance(10)
    response, _ = await ask(tier, origin)
    assert response.headers.get("age") == "15"


async def test_the_tiers_member_follows_the_origins_own(tier: UpperTier) -> None:
    origin = Origin(**{"cache-status": "origin-cache; hit"})
    miss, _ = await ask(tier, origin)
    hit, _ = await ask(tier, origin)
    assert cache_status(miss).startswith("origin-cache; hit, popcache-upper; fwd")
    assert cache_status(hit).startswith("origin-cache; hit, popcache-upper; hit")


async def test_a_configured_name_is_the_cache_status_name(clock: FakeClock) -> None:
    tier = UpperTier(clock, "ord-upper")
    tier.aim(ORIGIN)
    response, _ = await ask(tier, Origin())
    assert cache_status(response).startswith("ord-upper; fwd=uri-miss")


async def test_an_expired_entry_is_refetched_and_shown_expired(
    tier: UpperTier, clock: FakeClock
) -> None:
    origin = Origin()
    await ask(tier, origin)
    clock.advance(60)
    response, body = await ask(tier, origin)
    assert (body, response.headers.get("cf-cache-status")) == ("answer 2", "EXPIRED")
    assert "fwd=stale" in cache_status(response)


async def test_s_maxage_decides_the_lifetime_over_max_age(
    tier: UpperTier, clock: FakeClock
) -> None:
    origin = Origin(**{"cache-control": "max-age=1, s-maxage=100"})
    await ask(tier, origin)
    clock.advance(50)
    await ask(tier, origin)
    assert len(origin.calls) == 1


async def test_a_200_without_freshness_gets_cloudflares_default_edge_ttl(
    tier: UpperTier, clock: FakeClock
) -> None:
    origin = Origin()
    origin.headers = {}
    await ask(tier, origin)
    clock.advance(7199)
    response, _ = await ask(tier, origin)
    assert response.headers.get("cf-cache-status") == "HIT"


@pytest.mark.parametrize(
    "headers",
    [
        {"cache-control": "no-store"},
        {"cache-control": "private, max-age=60"},
        {"cache-control": "max-age=0"},
        {"cache-control": "max-age=60", "set-cookie": "a=1"},
        {"cache-control": "max-age=60", "vary": "*"},
    ],
)
async def test_what_the_origin_keeps_out_of_shared_caches_is_not_stored_and_shows_bypass(
    tier: UpperTier, headers: dict[str, str]
) -> None:
    origin = Origin()
    origin.headers = headers
    first, _ = await ask(tier, origin)
    await ask(tier, origin)
    assert len(origin.calls) == 2
    assert first.headers.get("cf-cache-status") == "BYPASS"
    assert "stored" not in cache_status(first)


@pytest.mark.parametrize("status", [500, 502, 503, 206])
async def test_errors_and_partial_content_are_never_stored(tier: UpperTier, status: int) -> None:
    origin = Origin()
    origin.status = status
    await ask(tier, origin)
    response, _ = await ask(tier, origin)
    assert len(origin.calls) == 2
    assert response.headers.get("cf-cache-status") == "MISS"


async def test_a_404_is_stored_for_its_default_three_minutes(
    tier: UpperTier, clock: FakeClock
) -> None:
    origin = Origin()
    origin.status, origin.headers = 404, {}
    await ask(tier, origin)
    clock.advance(179)
    await ask(tier, origin)
    clock.advance(1)
    await ask(tier, origin)
    assert len(origin.calls) == 2


async def test_a_vary_field_keeps_one_entry_per_value(tier: UpperTier) -> None:
    origin = Origin(vary="Edge-Geo-Zone")
    await ask(tier, origin, get(**{"Edge-Geo-Zone": "a"}))
    other, body = await ask(tier, origin, get(**{"Edge-Geo-Zone": "b"}))
    again, again_body = await ask(tier, origin, get(**{"Edge-Geo-Zone": "a"}))
    assert (body, again_body) == ("answer 2", "answer 1")
    assert "fwd=vary-miss" in cache_status(other)
    assert again.headers.get("cf-cache-status") == "HIT"


@pytest.mark.parametrize("field", ["Authorization", "Cookie"])
async def test_a_request_with_credentials_bypasses_lookup_and_store(
    tier: UpperTier, field: str
) -> None:
    origin = Origin()
    await ask(tier, origin)
    response, body = await ask(tier, origin, get(**{field: "secret"}))
    assert (body, len(origin.calls)) == ("answer 2", 2)
    assert response.headers.get("cf-cache-status") == "BYPASS"
    assert cache_status(response) == "popcache-upper; fwd=bypass"
    assert tier.bypasses == 1


async def test_cache_tag_stays_on_hits_for_the_worker(tier: UpperTier) -> None:
    origin = Origin(**{"cache-tag": "product:1"})
    await ask(tier, origin)
    response, _ = await ask(tier, origin)
    assert response.headers.get("cache-tag") == "product:1"


async def test_concurrent_misses_make_one_origin_fetch(tier: UpperTier) -> None:
    origin = Origin()
    origin.delay = 0.05
    results = await asyncio.gather(*(ask(tier, origin) for _ in range(5)))
    assert len(origin.calls) == 1
    assert {body for _, body in results} == {"answer 1"}
    collapsed = [r for r, _ in results if "collapsed" in cache_status(r)]
    assert (len(collapsed), tier.collapsed) == (4, 4)


async def test_waiting_requests_ask_the_origin_themselves_when_nothing_was_stored(
    tier: UpperTier,
) -> None:
    origin = Origin(**{"cache-control": "no-store"})
    origin.delay = 0.05
    await asyncio.gather(*(ask(tier, origin) for _ in range(3)))
    assert len(origin.calls) == 3


async def test_a_failed_origin_fetch_does_not_strand_the_requests_waiting_on_it(
    tier: UpperTier,
) -> None:
    origin = Origin()
    origin.delay, origin.error = 0.05, OSError("refused")
    results = await asyncio.gather(*(ask(tier, origin) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(result, OSError) for result in results)
    assert len(origin.calls) == 3


async def test_a_body_broken_off_on_the_way_is_passed_on_and_not_stored(tier: UpperTier) -> None:
    async def broken(request: JsRequest) -> JsResponse:
        whole = JsResponse(b"partial", headers={"cache-control": "max-age=60"})
        return BodyResetResponse.of(whole, "Network connection lost.")

    response = await tier.fetch(get(), broken)
    with pytest.raises(OSError, match="Network connection lost"):
        await response.text()
    assert tier.entry_count() == 0


async def test_head_is_answered_from_a_stored_get_without_a_body(tier: UpperTier) -> None:
    origin = Origin()
    await ask(tier, origin)
    response, body = await ask(tier, origin, get(method="HEAD"))
    assert (response.headers.get("cf-cache-status"), body) == ("HIT", "")
    assert response.headers.get("content-length") == str(len("answer 1"))


async def test_a_head_miss_is_not_stored(tier: UpperTier) -> None:
    origin = Origin()
    await ask(tier, origin, get(method="HEAD"))
    response, _ = await ask(tier, origin)
    assert (len(origin.calls), response.headers.get("cf-cache-status")) == (2, "MISS")


async def test_a_matching_if_none_match_on_a_hit_is_a_304(tier: UpperTier) -> None:
    origin = Origin(etag='"v1"')
    await ask(tier, origin)
    response, body = await ask(tier, origin, get(**{"If-None-Match": '"v1"'}))
    assert (response.status, body, response.headers.get("etag")) == (304, "", '"v1"')


async def test_a_followed_redirect_is_not_stored_under_the_url_asked(tier: UpperTier) -> None:
    async def redirected(request: JsRequest) -> JsResponse:
        headers = {"cache-control": "max-age=60"}
        return JsResponse("moved here", headers=headers, url=request.url, redirected=True)

    await tier.fetch(get(), redirected)
    assert tier.entry_count() == 0


async def test_a_stored_redirect_answers_only_a_fetch_that_does_not_follow_it(
    tier: UpperTier,
) -> None:
    origin = Origin(location="/elsewhere")
    origin.status = 301
    manual = JsRequest(URL, redirect="manual")
    await ask(tier, origin, manual)
    hit, _ = await ask(tier, origin, JsRequest(URL, redirect="manual"))
    followed, _ = await ask(tier, origin)
    assert hit.headers.get("cf-cache-status") == "HIT"
    assert len(origin.calls) == 2
    assert followed.headers.get("cf-cache-status") == "MISS"


def test_only_gets_and_heads_to_the_origin_go_through_it(tier: UpperTier) -> None:
    assert tier.serves(get())
    assert tier.serves(get(method="HEAD"))
    assert not tier.serves(JsRequest(URL, method="POST", body="{}"))
    assert not tier.serves(get("http://elsewhere.test/api"))
    assert not tier.serves(get("http://origin.test:9999/api"))


def test_it_serves_nothing_until_aimed_at_an_origin(clock: FakeClock) -> None:
    assert not UpperTier(clock).serves(get())


def purge(selector: str, *values: str, soft: bool = False) -> PurgeRequest:
    return PurgeRequest(selector, values, soft)


async def stored(tier: UpperTier, *urls: str, tags: str = "") -> None:
    for url in urls:
        await ask(tier, Origin(**{"cache-tag": tags}), get(url))


async def test_a_tag_purge_drops_the_entries_tagged_without_regard_to_case(
    tier: UpperTier,
) -> None:
    await stored(tier, URL, f"{ORIGIN}/a", tags="Product:1")
    await stored(tier, f"{ORIGIN}/b", tags="other")
    assert apply_purge(purge("tags", "product:1"), tier) == 2
    assert tier.entry_count() == 1


@pytest.mark.parametrize(
    ("selector", "value", "left"),
    [
        ("files", f"{ORIGIN}/products/1", 2),
        ("hosts", "origin.test", 0),
        ("hosts", "origin.test:1", 3),
        ("prefixes", "origin.test/products", 1),
        ("purge_everything", "", 0),
    ],
)
async def test_hard_purges_drop_what_they_select(
    tier: UpperTier, selector: str, value: str, left: int
) -> None:
    await stored(tier, f"{ORIGIN}/products/1", f"{ORIGIN}/products/2", f"{ORIGIN}/productsale")
    apply_purge(purge(selector, *([value] if value else [])), tier)
    assert tier.entry_count() == left


async def test_the_next_request_after_a_purge_goes_to_the_origin(tier: UpperTier) -> None:
    origin = Origin(**{"cache-tag": "t"})
    await ask(tier, origin)
    tier.purge_tags(["t"])
    response, _ = await ask(tier, origin)
    assert (len(origin.calls), response.headers.get("cf-cache-status")) == (2, "MISS")


async def test_an_invalidated_entry_is_refetched_as_expired(tier: UpperTier) -> None:
    origin = Origin(**{"cache-tag": "t"})
    await ask(tier, origin)
    assert apply_purge(purge("tags", "t", soft=True), tier) == 1
    response, body = await ask(tier, origin)
    assert (body, response.headers.get("cf-cache-status")) == ("answer 2", "EXPIRED")


async def test_an_entry_is_invalidated_and_counted_once(tier: UpperTier) -> None:
    await stored(tier, URL, tags="t")
    assert tier.purge_tags(["t"], soft=True) == 1
    assert tier.purge_everything(soft=True) == 0


async def test_expired_entries_are_not_counted_by_purges(tier: UpperTier, clock: FakeClock) -> None:
    await stored(tier, URL, tags="t")
    clock.advance(60)
    assert tier.purge_tags(["t"]) == 0


async def test_the_summary_counts_hits_misses_and_entries(tier: UpperTier) -> None:
    origin = Origin()
    await ask(tier, origin)
    await ask(tier, origin)
    await ask(tier, origin, get(Cookie="a=1"))
    assert tier.to_json() == {
        "name": "popcache-upper",
        "entries": 1,
        "hits": 1,
        "misses": 1,
        "bypasses": 1,
        "collapsed": 0,
    }


def emulator(topology: Topology = DEFAULT_TOPOLOGY, tiered: bool | None = None) -> Emulator:
    return Emulator(load_config(SAMPLE), topology=topology, clock=FakeClock(), tiered=tiered)


def test_the_default_topology_has_an_upper_tier_aimed_at_the_workers_origin() -> None:
    tier = emulator().upper_tier
    assert tier is not None
    assert tier.serves(get("http://127.0.0.1:1/healthz"))


def test_tiered_false_turns_the_upper_tier_off() -> None:
    assert emulator(tiered=False).upper_tier is None


def test_tiered_true_adds_an_upper_tier_to_a_topology_without_one() -> None:
    one_pop = Topology(pops=DEFAULT_TOPOLOGY.pops[:1])
    assert emulator(one_pop).upper_tier is None
    tier = emulator(one_pop, tiered=True).upper_tier
    assert tier is not None
    assert tier.name == "popcache-upper"


def test_the_topologys_name_names_the_tier() -> None:
    named = Topology(pops=DEFAULT_TOPOLOGY.pops, upper_tier=UpperTierConfig("ord-upper"))
    tier = emulator(named).upper_tier
    assert tier is not None
    assert tier.name == "ord-upper"


async def test_purging_every_cache_empties_the_upper_tier_too() -> None:
    emu = emulator()
    assert emu.upper_tier is not None
    await ask(emu.upper_tier, Origin(), get("http://127.0.0.1:1/healthz"))
    assert emu.purge_caches() == 1
    assert emu.upper_tier.entry_count() == 0


def test_a_purge_record_counts_the_upper_tier_beside_the_colos() -> None:
    record = emulator().purge_api.apply(purge("purge_everything"))
    assert dict(record.pops) == {"SFO": 0, "ORD": 0, "LHR": 0, "UPPER": 0}


async def test_changing_an_answers_headers_never_changes_the_entry(tier: UpperTier) -> None:
    origin = Origin()
    await ask(tier, origin)
    first, _ = await ask(tier, origin)
    first.headers.set("x-changed", "1")
    second, _ = await ask(tier, origin)
    assert not second.headers.has("x-changed")
