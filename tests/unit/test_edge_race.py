"""How long a request waits for the origin before a placeholder, and the wait on the flight."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from flight import Outcome
from prefer import Preferences
from race import Budget, budget_for, within
from routes import load_routes

HOT = load_routes("").policy("hot")  # budget 0.5 s, timeout 5 s


def test_the_rules_budget_applies_by_default():
    assert budget_for(HOT, None, None) == Budget(0.5)


def test_a_zones_placeholder_after_overrides_the_rule():
    zone = SimpleNamespace(placeholder_after=0.2)
    assert budget_for(HOT, zone, None).seconds == 0.2  # type: ignore[arg-type]


def test_prefer_wait_sets_the_budget_and_is_applied():
    assert budget_for(HOT, None, "wait=2") == Budget(2.0, False, Preferences(wait=2.0))


def test_prefer_wait_is_clamped_to_the_timeout():
    assert budget_for(HOT, None, "wait=600").seconds == 5.0


def test_prefer_respond_async_alone_waits_for_nothing():
    assert budget_for(HOT, None, "respond-async") == Budget(0.0, True)


def test_an_unparseable_prefer_keeps_the_rules_budget():
    assert budget_for(HOT, None, "wait=soon").seconds == 0.5


async def test_within_gives_none_once_the_budget_passes_and_leaves_the_flight_running():
    flight: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
    assert await within(flight, 0.01, 5.0) is None
    assert not flight.cancelled()


async def test_within_without_a_budget_times_out_as_the_origin_would():
    flight: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
    outcome = await within(flight, None, 0.01)
    assert outcome is not None
    assert outcome.error is not None
    assert outcome.error.error == "http_response_timeout"


async def test_within_returns_the_outcome_that_lands_in_time():
    flight: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
    flight.set_result(Outcome(origin_status=200))
    assert await within(flight, 0.5, 5.0) == Outcome(origin_status=200)
