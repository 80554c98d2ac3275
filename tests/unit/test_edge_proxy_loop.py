"""The proxy loop in-process: a dictionary for a cache, a function for an origin, a fake clock.

The end-to-end suite (tests/e2e/test_edge_proxy.py) drives the same code over real HTTP; these
cover what is hard to provoke there: failing caches, damaged entries, followers' patience.
"""

from __future__ import annotations

import asyncio

import pytest
from edgeharness import ROUTES, URL, Harness, detail, ok
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import EdgeRequest, EdgeResponse, Fields
from proxy import Proxy
from upstream import OriginError


async def test_a_failing_cache_is_a_miss_and_the_response_still_served():
    harness = Harness(ok())
    harness.store.failing = True
    response = await harness.get()
    assert (response.status, response.body) == (200, b"body")
    assert "detail=store-failed" in detail(response)


async def test_a_damaged_stored_record_is_a_miss():
    harness = Harness(ok())
    await harness.get()
    for entry in harness.store.entries.values():
        entry.headers.set("popcache-stored", "{not json")
    response = await harness.get()
    assert "fwd=miss" in detail(response)
    assert len(harness.sent) == 2


async def test_another_deploy_never_serves_an_older_entry():
    harness = Harness(ok())
    await harness.get()
    harness.proxy = Proxy(ROUTES, origin="http://origin", version="v2")
    await harness.get()
    assert len(harness.sent) == 2


async def test_a_follower_waits_no_longer_than_the_origin_timeout():
    async def hang(request: EdgeRequest) -> EdgeResponse:
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    harness = Harness(hang)
    leader = asyncio.ensure_future(harness.get())
    await asyncio.sleep(0)
    follower = await asyncio.wait_for(harness.get(), 1.0)
    assert follower.status == 504
    assert (await leader).status == 504


async def test_a_personal_response_is_never_given_to_a_follower():
    async def personal(request: EdgeRequest) -> EdgeResponse:
        await asyncio.sleep(0.05)
        return EdgeResponse(200, Fields([("set-cookie", f"s={len(harness.sent)}")]), b"mine")

    harness = Harness(personal)
    first, second = await asyncio.gather(harness.get(), harness.get())
    assert len(harness.sent) == 2
    assert "collapsed" not in detail(second)
    assert first.headers.get("set-cookie") != second.headers.get("set-cookie")


async def test_a_server_error_never_replaces_the_stored_copy():
    answers = [ok("public, max-age=1, stale-if-error=600")]

    async def then_fail(request: EdgeRequest) -> EdgeResponse:
        if answers:
            return await answers.pop(0)(request)
        return EdgeResponse(500, Fields(), b"broken")

    harness = Harness(then_fail)
    await harness.get()
    for _ in range(2):
        harness.now += 120
        response = await harness.get()
        assert (response.status, response.body) == (200, b"body")
        assert "detail=stale-if-error" in detail(response)


async def test_must_revalidate_never_serves_stale_on_error_rfc9111_5_2_2_2():
    responses = [ok("public, max-age=1, must-revalidate, stale-if-error=600")]

    async def then_down(request: EdgeRequest) -> EdgeResponse:
        if responses:
            return await responses.pop()(request)
        raise OriginError("connection_refused", "down")

    harness = Harness(then_down)
    await harness.get()
    harness.now += 5
    response = await harness.get()
    assert response.status == 502
    assert response.headers.get("content-type") == "application/problem+json"


@pytest.mark.parametrize("url", ["not a url", "ftp://shop.example/p/1", "http://[::1/p"])
async def test_an_unusable_url_is_a_400_problem_naming_the_url(url):
    response = await Harness(ok()).get(url)
    assert response.status == 400
    assert b'"field": "url"' in response.body


async def test_cookies_on_an_unmatched_route_need_the_origins_consent():
    harness = Harness(ok("max-age=60"))
    response = await harness.get("https://shop.example/other", ("cookie", "s=1"))
    assert "detail=cookie" in detail(response)
    public = Harness(ok("public, max-age=60"))
    assert "stored" in detail(await public.get("https://shop.example/other", ("cookie", "s=1")))


async def test_cookies_on_a_warm_route_do_not_stop_storing():
    harness = Harness(ok("max-age=60"))
    assert "stored" in detail(await harness.get(URL, ("cookie", "s=1")))


async def test_revalidation_in_the_background_goes_through_wait_until():
    harness = Harness(ok("public, max-age=10, stale-while-revalidate=60"))
    await harness.get()
    harness.background.clear()
    harness.now += 15
    response = await harness.get()
    assert "detail=stale-while-revalidate" in detail(response)
    assert len(harness.background) == 1
    await harness.background[0]
    assert len(harness.sent) == 2


async def test_stale_if_error_covers_an_origin_timeout():
    answers = [ok("public, max-age=1, stale-if-error=600")]

    async def then_hang(request: EdgeRequest) -> EdgeResponse:
        if answers:
            return await answers.pop()(request)
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    harness = Harness(then_hang)
    await harness.get()
    harness.now += 120
    response = await harness.get()
    assert (response.status, response.body) == (200, b"body")
    assert "detail=stale-if-error" in detail(response)


HEADER_NAMES = st.sampled_from(
    [
        "cache-control",
        "pragma",
        "if-none-match",
        "if-modified-since",
        "accept-language",
        "accept-encoding",
        "authorization",
        "cookie",
        "x-forwarded-for",
        "popcache-debug",
        "range",
        "connection",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    path=st.text(max_size=40),
    query=st.text(max_size=40),
    method=st.sampled_from(["GET", "HEAD", "POST", "DELETE", "PURGE", "get"]),
    fields=st.lists(st.tuples(HEADER_NAMES, st.text(max_size=60)), max_size=6),
    origin_fields=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "cache-control",
                    "cdn-cache-control",
                    "expires",
                    "date",
                    "age",
                    "vary",
                    "etag",
                    "last-modified",
                    "cache-tag",
                    "surrogate-key",
                    "cache-groups",
                ]
            ),
            st.text(max_size=60),
        ),
        max_size=6,
    ),
)
def test_hostile_requests_and_origin_headers_never_raise(
    path, query, method, fields, origin_fields
):
    async def hostile(request: EdgeRequest) -> EdgeResponse:
        return EdgeResponse(200, Fields(origin_fields), b"x")

    async def twice() -> list[EdgeResponse]:
        harness = Harness(hostile)
        url = f"https://shop.example/p/{path}?{query}"
        request = EdgeRequest(method, url, Fields(fields))
        return [await harness.proxy.handle(request, harness.runtime()) for _ in range(2)]

    for response in asyncio.run(twice()):
        assert response.status in (200, 304, 400)
        assert (response.headers.get("cache-status") or "").startswith("popcache")


async def test_concurrent_stale_hits_start_one_background_revalidation():
    async def slow(request: EdgeRequest) -> EdgeResponse:
        await asyncio.sleep(0.05)
        return await ok("public, max-age=10, stale-while-revalidate=60")(request)

    harness = Harness(slow)
    await harness.get()
    harness.background.clear()
    harness.now += 15
    await asyncio.gather(*(harness.get() for _ in range(5)))
    assert len(harness.background) == 1
    await harness.background[0]
    assert len(harness.sent) == 2
