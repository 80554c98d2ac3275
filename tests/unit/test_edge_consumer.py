"""The events consumer: a batch becomes the fewest purge calls, each event applied once."""

import asyncio
import json

from consumer import Delivered
from edgeharness import EventsHarness, api_answer, event
from eventmessages import purge_message, warm_message
from eventports import Outgoing


def run(coroutine):
    return asyncio.run(coroutine)


def accept(edge, *events):
    assert run(edge.post_events(list(events))).status == 202


def test_a_stock_change_hard_purges_that_sku_at_that_store():
    edge = EventsHarness()
    accept(edge, event("e1", sku="A1", store_id="s1"))
    decisions = run(edge.consume())
    assert edge.purged() == [("purge_cache", ["sku:a1@s1"])]
    assert decisions.acked == ["m0"]
    assert decisions.retried == {}


def test_a_batch_of_events_is_coalesced_into_one_call():
    edge = EventsHarness()
    accept(edge, *(event(f"e{n}", sku=f"A{n % 7}", store_id="s1") for n in range(50)))
    run(edge.consume())
    assert len(edge.purges) == 1
    assert sorted(edge.purged()[0][1]) == sorted({f"sku:a{n}@s1" for n in range(7)})


def test_a_price_change_purges_the_skus_prices():
    edge = EventsHarness()
    accept(edge, event("e1", "price.changed", sku="B2"))
    run(edge.consume())
    assert edge.purged() == [("purge_cache", ["price:b2"])]


def test_a_product_update_is_a_soft_purge_of_its_pages():
    edge = EventsHarness()
    accept(edge, event("e1", "product.updated", sku="B2"))
    run(edge.consume())
    assert edge.purged() == [("invalidate_cache", ["sku:b2"])]


def test_a_restock_hard_purges_stock_and_price_now_and_queues_the_later_phases():
    edge = EventsHarness()
    accept(edge, event("e1", "restock", sku="A1", store_id="s1", zone_id="sf"))
    run(edge.consume())
    assert edge.purged() == [("purge_cache", ["price:a1", "sku:a1@s1"])]
    later = sorted(
        (m.delay, m.body["mode"], sorted(t.lower() for t in m.body["tags"]))
        for m in edge.queue.sent
    )
    assert later == [
        (10, "soft", ["sku:a1"]),
        (30, "soft", ["inventory", "products", "store:s1", "zone:sf"]),
    ]


def test_a_later_phase_is_purged_when_it_comes_back():
    edge = EventsHarness()
    accept(edge, event("e1", "restock", sku="A1", store_id="s1", zone_id="sf"))
    run(edge.consume())
    edge.purges.clear()
    run(edge.consume())
    assert sorted(edge.purged()) == [
        ("invalidate_cache", ["inventory", "products", "sku:a1", "store:s1", "zone:sf"])
    ]


def test_an_event_delivered_again_is_not_applied_again():
    edge = EventsHarness()
    accept(edge, event("e1"))
    again = list(edge.queue.sent)
    run(edge.consume())
    edge.queue.sent = again
    decisions = run(edge.consume())
    assert len(edge.purges) == 1
    assert decisions.acked == ["m0"]


def test_an_event_is_remembered_only_for_its_ttl():
    edge = EventsHarness()
    accept(edge, event("e1"))
    again = list(edge.queue.sent)
    run(edge.consume())
    edge.now += 86_401
    edge.queue.sent = again
    run(edge.consume())
    assert len(edge.purges) == 2


def test_duplicates_inside_one_batch_make_one_purge_and_are_all_acked():
    edge = EventsHarness()
    accept(edge, event("e1"))
    edge.queue.sent = edge.queue.sent * 3
    decisions = run(edge.consume())
    assert len(edge.purges) == 1
    assert sorted(decisions.acked) == ["m0", "m1", "m2"]


def test_a_429_retries_the_batch_after_the_apis_retry_after():
    edge = EventsHarness()
    accept(edge, event("e1"), event("e2", sku="B2"))
    edge.api_answers = [api_answer(429, ("retry-after", "7"), success=False)]
    decisions = run(edge.consume())
    assert decisions.retried == {"m0": 7, "m1": 7}
    assert decisions.acked == []


def test_an_event_retried_after_a_429_is_applied_when_it_comes_back():
    edge = EventsHarness()
    accept(edge, event("e1"))
    pending = list(edge.queue.sent)
    edge.api_answers = [api_answer(429, ("retry-after", "7"), success=False)]
    run(edge.consume())
    edge.queue.sent = pending
    decisions = run(edge.consume())
    assert decisions.acked == ["m0"]
    assert len(edge.purges) == 2


def test_the_plans_purge_rate_is_kept_without_waiting_for_a_429():
    edge = EventsHarness()
    for n in range(26):  # the pro plan's bucket holds 25 calls
        edge.queue.sent = [Outgoing(purge_message("hard", (f"t{n}",), edge.now, "groups"))]
        decisions = run(edge.consume())
    assert len(edge.purges) == 25
    assert decisions.retried == {"m0": 1}


def test_a_refused_purge_retries_with_the_consumers_own_delay():
    edge = EventsHarness()
    accept(edge, event("e1"))
    edge.api_answers = [api_answer(403, success=False)]
    decisions = run(edge.consume())
    assert decisions.retried == {"m0": None}


def test_an_unreachable_api_retries_the_batch():
    edge = EventsHarness()
    accept(edge, event("e1"))

    async def down(request):
        raise OSError("connection refused")

    edge.purge_api = down
    assert run(edge.consume()).retried == {"m0": 5}


def test_a_message_the_edge_did_not_write_is_retried_towards_the_dead_letter_queue():
    edge = EventsHarness()
    edge.queue.sent = [Outgoing({"hello": "world"})]
    decisions = run(edge.consume())
    assert decisions.retried == {"m0": None}
    assert edge.purges == []


def test_group_purges_are_coalesced_with_the_batchs_events():
    edge = EventsHarness()
    accept(edge, event("e1", sku="A1", store_id="s1"))
    edge.queue.sent.append(Outgoing(purge_message("hard", ("sku:b2@s1",), edge.now, "groups")))
    run(edge.consume())
    assert edge.purged() == [("purge_cache", ["sku:a1@s1", "sku:b2@s1"])]


def test_each_events_invalidation_latency_is_recorded():
    edge = EventsHarness()
    accept(edge, event("e1"))
    edge.now += 1.5
    run(edge.consume())
    assert edge.recorded == [("inventory.changed", 1.5)]


def test_a_latency_the_metrics_binding_refuses_leaves_the_applied_batch_acknowledged():
    edge = EventsHarness()
    accept(edge, event("e1"))
    ports = edge.ports()

    def unavailable(kind, seconds):
        raise RuntimeError("Analytics Engine: writeDataPoint failed")

    ports.record = unavailable
    delivered = [Delivered("m0", edge.queue.sent[0].body, 1)]
    decisions = run(edge.front.consumer.consume(delivered, ports))
    assert decisions.acked == ["m0"]
    assert decisions.retried == {}
    assert len(edge.purges) == 1


def test_the_purge_api_call_is_authorised_by_the_api_token():
    edge = EventsHarness()
    accept(edge, event("e1"))
    run(edge.consume())
    call = edge.purges[0]
    assert call.url == "https://api.example/client/v4/zones/zone/purge_cache"
    assert call.headers.get("authorization") == "Bearer api-token"
    assert json.loads(call.body) == {"tags": ["sku:A1@s1"]}


def warm_bunch(edge, paths, budget):
    """Deliver a warm message for each of ``paths`` in one batch; the paths fetched."""
    fetched = []

    async def warm(message):
        fetched.append(message.path)
        return 200

    ports = edge.ports()
    ports.warm = warm
    delivered = [
        Delivered(path, warm_message(path, "promo:p", None, edge.now, "p", budget=budget), 1)
        for path in paths
    ]
    return run(edge.front.consumer.consume(delivered, ports)), fetched


def test_warm_messages_within_their_budget_are_fetched_and_acknowledged():
    decisions, fetched = warm_bunch(EventsHarness(), ["/a", "/b"], budget=2)
    assert fetched == ["/a", "/b"]
    assert decisions.acked == ["/a", "/b"]


def test_warm_messages_over_their_budget_are_retried_when_their_turn_comes():
    edge = EventsHarness()
    decisions, fetched = warm_bunch(edge, ["/a", "/b", "/c", "/d", "/e"], budget=2)
    assert fetched == ["/a", "/b"]
    assert decisions.retried == {"/c": 60, "/d": 60, "/e": 120}


def test_the_warming_budget_spans_batches():
    edge = EventsHarness()
    warm_bunch(edge, ["/a", "/b"], budget=2)
    edge.now += 59.5
    decisions, fetched = warm_bunch(edge, ["/c"], budget=2)
    assert fetched == []
    assert decisions.retried == {"/c": 1}


def test_a_warm_message_without_a_budget_is_not_limited():
    decisions, fetched = warm_bunch(EventsHarness(), [f"/{n}" for n in range(20)], budget=None)
    assert len(fetched) == 20
    assert decisions.retried == {}
