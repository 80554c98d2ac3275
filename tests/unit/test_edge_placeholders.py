"""A slow or overloaded origin, in-process: placeholders and the poll, Prefer, back-pressure
steps and origin protection, as docs/placeholders.md promises them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from edgeharness import DictStore, Harness, detail
from messages import EdgeRequest, EdgeResponse, Fields
from routes import load_routes

RULES = """
[[rule]]
path = "/cart/**"
methods = ["*"]
class = "bypass"

[[rule]]
name = "stock"
path = "/stock/**"
class = "hot"
budget = "50ms"
scope = "global"

[[rule]]
name = "tile"
path = "/tile/**"
class = "hot"
budget = "50ms"
scope = "global"
placeholder = { stock = "checking", again_in = "{{ retry_after }}", at = "{{ poll }}" }

[[rule]]
name = "catalog"
path = "/catalog/**"
class = "warm"
scope = "global"
"""
URL = "https://shop.example/stock/1?x=1"
PATIENCE = 5.0


class HeldOrigin:
    """An origin whose answers wait until a test lets them go."""

    def __init__(self, answer: Callable[[], EdgeResponse]) -> None:
        self.go = asyncio.Event()
        self.answer = answer
        self.calls = 0

    async def __call__(self, request: EdgeRequest) -> EdgeResponse:
        self.calls += 1
        await self.go.wait()
        return self.answer()


def fresh(max_age: int = 60, *extra: tuple[str, str]) -> Callable[[], EdgeResponse]:
    def answer() -> EdgeResponse:
        fields = Fields([("cache-control", f"public, max-age={max_age}"), *extra])
        return EdgeResponse(200, fields, b'{"qty": 3}')

    return answer


def harness(origin: Callable[[EdgeRequest], Awaitable[EdgeResponse]]) -> Harness:
    return Harness(origin, load_routes(RULES))


async def get(h: Harness, url: str = URL, *fields: tuple[str, str]) -> EdgeResponse:
    return await asyncio.wait_for(h.get(url, *fields), PATIENCE)


async def drain(h: Harness) -> None:
    await asyncio.wait_for(asyncio.gather(*h.background), PATIENCE)


# The threshold race -----------------------------------------------------------------------------


async def test_an_origin_slower_than_the_budget_gets_the_client_a_202_placeholder():
    h = harness(HeldOrigin(fresh()))
    response = await get(h)
    assert response.status == 202
    assert response.headers.get("location") == "/stock/1?x=1"
    assert response.headers.get("cache-control") == "no-store"
    assert int(response.headers.get("retry-after") or "0") >= 1
    assert "detail=placeholder" in detail(response)
    assert json.loads(response.body) == {
        "status": "pending",
        "retry_after": 1,
        "poll": "/stock/1?x=1",
    }


async def test_the_fetch_goes_on_and_the_poll_is_a_hit_with_one_origin_request():
    origin = HeldOrigin(fresh())
    h = harness(origin)
    await get(h)
    origin.go.set()
    await drain(h)
    poll = await get(h)
    assert poll.status == 200
    assert detail(poll).startswith("popcache; hit")
    assert origin.calls == 1


async def test_a_poll_while_the_fetch_is_under_way_joins_it_instead_of_asking_again():
    origin = HeldOrigin(fresh())
    h = harness(origin)
    first, poll = await get(h), await get(h)
    assert (first.status, poll.status) == (202, 202)
    assert origin.calls == 1


async def test_an_origin_within_the_budget_answers_as_usual():
    async def quick(request: EdgeRequest) -> EdgeResponse:
        return fresh()()

    response = await get(harness(quick))
    assert response.status == 200
    assert "placeholder" not in detail(response)


async def test_a_stale_copy_stands_in_for_a_slow_revalidation():
    origin = HeldOrigin(fresh(1))
    h = harness(origin)
    origin.go.set()
    await get(h)
    origin.go.clear()
    h.now += 3600  # far past stale-while-revalidate and stale-if-error
    response = await get(h)
    assert response.status == 200
    assert "fwd=stale" in detail(response)
    assert "detail=placeholder-stale" in detail(response)
    assert response.headers.get("retry-after") is not None


async def test_a_rule_placeholder_table_is_the_202_body():
    h = harness(HeldOrigin(fresh()))
    response = await get(h, "https://shop.example/tile/9")
    body = json.loads(response.body)
    assert body == {"stock": "checking", "again_in": body["again_in"], "at": "/tile/9"}
    assert isinstance(body["again_in"], int)


async def test_a_bypass_request_never_gets_a_placeholder():
    origin = HeldOrigin(fresh())
    h = harness(origin)
    pending = asyncio.ensure_future(h.get("https://shop.example/cart/1"))
    await asyncio.sleep(0.15)
    assert not pending.done()
    origin.go.set()
    assert (await asyncio.wait_for(pending, PATIENCE)).status == 200


# Prefer (RFC 7240) -------------------------------------------------------------------------------


async def test_prefer_respond_async_answers_at_once_and_says_so():
    h = harness(HeldOrigin(fresh()))
    response = await get(h, URL, ("prefer", "respond-async"))
    assert response.status == 202
    assert response.headers.get("preference-applied") == "respond-async"


async def test_prefer_wait_sets_the_clients_own_budget():
    origin = HeldOrigin(fresh())
    h = harness(origin)
    pending = asyncio.ensure_future(h.get(URL, ("prefer", "wait=3")))
    await asyncio.sleep(0.15)  # well past the rule's 50 ms budget
    assert not pending.done()
    origin.go.set()
    response = await asyncio.wait_for(pending, PATIENCE)
    assert response.status == 200
    assert response.headers.get("preference-applied") == "wait=3"


async def test_a_hostile_prefer_is_ignored():
    h = harness(HeldOrigin(fresh()))
    response = await get(h, URL, ("prefer", 'wait=abc, respond-async="\x00'))
    assert response.status == 202
    assert response.headers.get("preference-applied") is None


async def test_a_huge_prefer_wait_is_clamped_to_the_origin_timeout():
    async def quick(request: EdgeRequest) -> EdgeResponse:
        return fresh()()

    response = await get(harness(quick), URL, ("prefer", "wait=99999999999999999999999"))
    assert response.headers.get("preference-applied") == "wait=5"


# Back-pressure --------------------------------------------------------------------------------


def degrade(h: Harness, steps: int) -> None:
    """Feed the proxy's health slow exchanges until it is at ``steps``."""
    health = h.proxy.health
    while health.step(h.now) < steps:
        health.observe(h.now, latency=5.0, status=503, retry_after=None)
        h.now += 1.0


def ttl(response: EdgeResponse) -> int:
    return int(detail(response).split("ttl=")[1].split(";")[0])


async def test_at_step_one_warm_content_stays_fresh_twice_as_long():
    h = harness(lambda request: asyncio.sleep(0, fresh(100)()))
    degrade(h, 1)
    response = await get(h, "https://shop.example/catalog/1")
    assert ttl(response) == 200
    assert "backpressure-1" in detail(response)


async def test_hot_content_keeps_its_lifetime_under_back_pressure():
    h = harness(lambda request: asyncio.sleep(0, fresh(100)()))
    degrade(h, 2)
    response = await get(h)
    assert ttl(response) <= 5
    assert "backpressure-2" in detail(response)


# Origin protection ------------------------------------------------------------------------------


def overloaded(retry_after: str) -> Callable[[EdgeRequest], Awaitable[EdgeResponse]]:
    async def answer(request: EdgeRequest) -> EdgeResponse:
        return EdgeResponse(429, Fields([("retry-after", retry_after)]), b"slow down")

    return answer


async def test_an_origin_429_is_a_503_problem_with_its_retry_after():
    h = harness(overloaded("30"))
    response = await get(h)
    assert response.status == 503
    assert response.headers.get("content-type") == "application/problem+json"
    assert response.headers.get("retry-after") == "30"
    assert "received-status=429" in (response.headers.get("proxy-status") or "")


async def test_while_the_origin_rests_a_key_reaches_it_at_most_once_per_interval():
    calls: list[str] = []

    async def answer(request: EdgeRequest) -> EdgeResponse:
        calls.append(request.url)
        return EdgeResponse(429, Fields([("retry-after", "30")]), b"")

    h = harness(answer)
    await get(h)
    again = await get(h)
    assert len(calls) == 1
    assert again.status == 503
    assert "detail=origin-resting" in detail(again)
    h.now += 1.5
    await get(h)
    assert len(calls) == 2


async def test_an_absurd_retry_after_is_capped():
    h = harness(overloaded("99999999999"))
    response = await get(h)
    assert int(response.headers.get("retry-after") or "0") <= 300


async def test_a_stale_copy_answers_for_a_resting_origin_when_stale_if_error_allows():
    state: dict[str, Any] = {"status": 200}

    async def answer(request: EdgeRequest) -> EdgeResponse:
        if state["status"] == 429:
            return EdgeResponse(429, Fields([("retry-after", "30")]), b"")
        return fresh(1)()

    h = harness(answer)
    await get(h)
    state["status"] = 429
    h.now += 10  # stale, within the hot class's 60 s of stale-if-error
    response = await get(h)
    assert response.status == 200
    assert "fwd=stale" in detail(response)


def test_the_harness_store_is_a_dict_store():
    assert isinstance(harness(overloaded("1")).store, DictStore)


async def test_an_origin_429_during_revalidation_keeps_the_stale_copy_for_later_requests():
    state = {"overloaded": False}

    async def answer(request: EdgeRequest) -> EdgeResponse:
        if state["overloaded"]:
            return EdgeResponse(429, Fields([("retry-after", "2")]), b"{}")
        return fresh(2)()

    h = harness(answer)
    await get(h, "https://shop.example/catalog/1")
    state["overloaded"] = True
    h.now += 10  # stale, within the warm class's stale-while-revalidate
    await get(h, "https://shop.example/catalog/1")
    await drain(h)  # the background revalidation meets the 429
    h.now += 3
    response = await get(h, "https://shop.example/catalog/1")
    assert response.status == 200
    assert "fwd=stale" in detail(response)
