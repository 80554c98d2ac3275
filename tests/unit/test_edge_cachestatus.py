"""Cache-Status (RFC 9211) and Proxy-Status (RFC 9209) members, as Structured Fields."""

import asyncio

import pytest
from cachestatus import CacheStatus, proxy_status, sf_string
from edgeharness import Harness
from messages import EdgeResponse, Fields
from sfv import parse_list


@pytest.mark.parametrize(
    ("status", "value"),
    [
        (CacheStatus(hit=True, ttl=12.7), "popcache; hit; ttl=12"),
        (CacheStatus(hit=True, ttl=-3.2), "popcache; hit; ttl=-4"),
        (
            CacheStatus(fwd="uri-miss", fwd_status=200, stored=True, ttl=60),
            "popcache; fwd=uri-miss; fwd-status=200; ttl=60; stored",
        ),
        (CacheStatus(fwd="miss", collapsed=True), "popcache; fwd=miss; collapsed"),
        (CacheStatus(fwd="bypass", detail="set-cookie"), "popcache; fwd=bypass; detail=set-cookie"),
        (CacheStatus(detail="two words"), 'popcache; detail="two words"'),
    ],
)
def test_cache_status_members(status, value):
    assert status.value() == value


def test_the_key_is_an_sf_string_that_parses_back():
    value = CacheStatus(hit=True, key='https://h/"x"\\y').value()
    member = parse_list(value)[0]
    assert member.params["key"] == 'https://h/"x"\\y'


def test_an_sf_string_never_carries_a_non_printable_character():
    assert sf_string("a\nb\u00e9") == '"a?b?"'


def test_proxy_status_names_the_error_and_its_details():
    value = proxy_status("http_response_timeout", details="no answer in 5 s", received=None)
    member = parse_list(value)[0]
    assert member.params == {"error": "http_response_timeout", "details": "no answer in 5 s"}


def _through_upper_tier(status: str):
    async def answer(request):
        fields = [("cache-control", "public, max-age=60"), ("cache-status", status)]
        return EdgeResponse(200, Fields(fields), b"body")

    return answer


def test_a_response_fetched_now_keeps_the_upstream_caches_entries_before_the_edges():
    edge = Harness(_through_upper_tier("popcache-upper; hit; ttl=50"))
    response = asyncio.run(edge.get())
    value = response.headers.get("cache-status") or ""
    assert value.startswith("popcache-upper; hit; ttl=50, popcache; fwd=uri-miss")


def test_a_stored_response_carries_only_the_edges_entry():
    edge = Harness(_through_upper_tier("popcache-upper; fwd=uri-miss; stored"))

    async def twice():
        await edge.get()
        return await edge.get()

    value = asyncio.run(twice()).headers.get("cache-status") or ""
    assert value.startswith("popcache; hit")
    assert "popcache-upper" not in value
