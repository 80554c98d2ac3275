"""What the proxy does with invalidations: soft-purged hits, and Cache-Group-Invalidation."""

import asyncio

from edgeharness import URL, EventsHarness, detail
from messages import EdgeRequest, EdgeResponse, Fields


def run(coroutine):
    return asyncio.run(coroutine)


def origin(*extra, cache_control="public, max-age=60, stale-while-revalidate=30"):
    async def answer(request):
        return EdgeResponse(200, Fields([("cache-control", cache_control), *extra]), b"body")

    return answer


def invalidate(edge):
    """What the emulator's invalidate_cache does to the stored entry."""
    for entry in edge.store.entries.values():
        entry.headers.set("cf-cache-status", "STALE")


def test_a_soft_purged_entry_is_served_stale_while_one_request_revalidates():
    edge = EventsHarness()
    edge.answer = origin()
    run(edge.get())
    invalidate(edge)
    started = len(edge.background)
    response = run(edge.get())
    assert "hit; fwd=stale" in detail(response)
    assert len(edge.background) == started + 1
    assert response.body == b"body"


def test_a_soft_purged_entry_without_stale_while_revalidate_is_revalidated_first():
    edge = EventsHarness()
    edge.answer = origin(cache_control="public, max-age=60, must-revalidate")
    run(edge.get())
    invalidate(edge)
    response = run(edge.get())
    assert "fwd=stale" in detail(response)
    assert "hit" not in detail(response)
    assert len(edge.sent) == 2


def test_an_entry_not_marked_stays_a_fresh_hit():
    edge = EventsHarness()
    edge.answer = origin()
    run(edge.get())
    assert "hit" in detail(run(edge.get()))
    assert len(edge.sent) == 1


def post(edge):
    return run(edge.send(EdgeRequest("POST", URL, Fields(), b"{}")))


def test_cache_group_invalidation_on_an_unsafe_answer_queues_a_hard_purge_of_the_groups():
    edge = EventsHarness()
    edge.answer = origin(("cache-group-invalidation", '"sku:A1@s1", "Stock:S1"'))

    async def scenario():
        await edge.send(EdgeRequest("POST", URL, Fields(), b"{}"))
        await asyncio.gather(*edge.background)

    run(scenario())
    [message] = edge.queue.sent
    assert message.body["kind"] == "purge"
    assert (message.body["mode"], message.body["tags"]) == ("hard", ["sku:a1@s1", "stock:s1"])
    assert message.body["source"] == "groups"


def test_cache_group_invalidation_on_an_error_answer_is_ignored():
    edge = EventsHarness()

    async def failed(request):
        return EdgeResponse(409, Fields([("cache-group-invalidation", '"a"')]), b"")

    edge.answer = failed
    post(edge)
    assert edge.background == []
    assert edge.queue.sent == []


def test_cache_group_invalidation_on_a_get_is_ignored():
    edge = EventsHarness()
    edge.answer = origin(("cache-group-invalidation", '"a"'))
    run(edge.get())
    assert edge.queue.sent == []


def test_a_cache_group_invalidation_that_does_not_parse_is_ignored():
    edge = EventsHarness()
    edge.answer = origin(("cache-group-invalidation", "a, b"))  # tokens, not strings
    post(edge)
    assert edge.queue.sent == []
