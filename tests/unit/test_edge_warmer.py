"""The cron's warming: promotions opening soon go onto the queue as paths spread over the lead,
once per opening; the consumer fetches them as shoppers of the city."""

import asyncio
from datetime import UTC, datetime

from consumer import Delivered
from edgeharness import EventsHarness
from eventmessages import warm_message
from promotions import load_promotions_toml
from warmer import plan_warming

OPENS = 1_800_000_000.0
PROMOTIONS = load_promotions_toml(
    f"""
[promotions.coffee]
city = "san-francisco"
starts = "{datetime.fromtimestamp(OPENS, UTC).isoformat()}"
lead = "10m"
budget = 2
urls = ["/api/a", "/api/b", "/api/c"]
""",
    "p.toml",
    prefixes=("/api/",),
)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_promotion_opening_within_its_lead_is_queued_spread_within_its_budget():
    edge = EventsHarness()
    edge.now = OPENS - 300
    lines = run(plan_warming(PROMOTIONS, edge.now, edge.ports()))
    assert [m.body["path"] for m in edge.queue.sent] == ["/api/a", "/api/b", "/api/c"]
    assert [m.delay for m in edge.queue.sent] == [0, 30, 60]  # 2 a minute
    assert all(m.body["tag"] == "promo:coffee" for m in edge.queue.sent)
    assert "3 path(s) queued" in lines[0]


def test_each_queued_path_carries_its_promotions_budget():
    edge = EventsHarness()
    edge.now = OPENS - 300
    run(plan_warming(PROMOTIONS, edge.now, edge.ports()))
    assert [m.body["budget"] for m in edge.queue.sent] == [2, 2, 2]


def test_an_opening_is_planned_once_however_many_cron_runs_see_it():
    edge = EventsHarness()
    edge.now = OPENS - 300
    run(plan_warming(PROMOTIONS, edge.now, edge.ports()))
    edge.now += 60
    run(plan_warming(PROMOTIONS, edge.now, edge.ports()))
    assert len(edge.queue.sent) == 3


def test_an_unreadable_kv_plans_nothing_this_run_and_says_so():
    edge = EventsHarness()
    edge.now = OPENS - 300
    edge.ledger.failing = True
    lines = run(plan_warming(PROMOTIONS, edge.now, edge.ports()))
    assert edge.queue.sent == []
    assert "not planned this run" in lines[0]


def test_nothing_is_queued_before_the_lead():
    edge = EventsHarness()
    edge.now = OPENS - 3600
    assert run(plan_warming(PROMOTIONS, edge.now, edge.ports())) == []
    assert edge.queue.sent == []


def test_paths_that_do_not_fit_before_the_opening_are_left_out_and_said():
    edge = EventsHarness()
    edge.now = OPENS - 45  # room for two at 30 s apart
    lines = run(plan_warming(PROMOTIONS, edge.now, edge.ports()))
    assert len(edge.queue.sent) == 2
    assert any("left out" in line for line in lines)


def test_a_warm_message_is_fetched_as_a_shopper_of_its_city_and_acknowledged():
    edge = EventsHarness()
    fetched = []

    async def warm(message):
        fetched.append((message.path, message.tag, message.city))
        return 200

    ports = edge.ports()
    ports.warm = warm
    body = warm_message("/api/a", "promo:coffee", "san-francisco", edge.now, "coffee")
    decisions = run(edge.front.consumer.consume([Delivered("m0", body, 1)], ports))
    assert fetched == [("/api/a", "promo:coffee", "san-francisco")]
    assert decisions.acked == ["m0"]


def test_a_failed_warm_is_acknowledged_not_retried():
    edge = EventsHarness()

    async def broken(message):
        raise OSError("origin down")

    ports = edge.ports()
    ports.warm = broken
    body = warm_message("/api/a", "promo:coffee", None, edge.now, "coffee")
    decisions = run(edge.front.consumer.consume([Delivered("m0", body, 1)], ports))
    assert decisions.acked == ["m0"]
    assert decisions.retried == {}
