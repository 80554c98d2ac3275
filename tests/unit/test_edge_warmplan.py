"""A promotion is warmed when its start or next window opens within its lead, by fetching its
URLs and views spread evenly so that no minute holds more than its budget, none after the
opening; what does not fit is left out, never squeezed in."""

from __future__ import annotations

import bisect

import pytest
from hypothesis import given
from hypothesis import strategies as st
from promotions import Promotion, Window
from warmplan import Schedule, due, next_opening, schedule, targets


def made(
    starts: float,
    *windows: tuple[float, float],
    ends: float | None = None,
    lead: float = 600,
    name: str = "p",
    urls: tuple[str, ...] = ("/api/a",),
    views: tuple[str, ...] = (),
) -> Promotion:
    return Promotion(
        name,
        "c",
        None,
        starts,
        ends,
        tuple(Window(*window) for window in windows),
        lead,
        60,
        urls,
        views,
        f"promo:{name}",
    )


def most_in_a_minute(times: list[float]) -> int:
    """The most of ``times`` (sorted) in any half-open 60-second window: the busiest window
    starts at one of them."""
    return max(
        (bisect.bisect_left(times, time + 60) - index for index, time in enumerate(times)),
        default=0,
    )


# due


def test_a_promotion_is_due_within_its_lead_of_its_start():
    promotion = made(10_000, lead=600)
    assert due([promotion], 9_400) == [(promotion, 10_000)]


def test_a_promotion_is_not_due_before_its_lead():
    assert due([made(10_000, lead=600)], 9_399) == []


def test_a_promotion_is_due_at_its_opening():
    promotion = made(10_000)
    assert due([promotion], 10_000) == [(promotion, 10_000)]


def test_a_started_promotion_is_due_for_its_next_window():
    promotion = made(0, (5_000, 6_000), (10_000, 11_000), lead=600)
    assert due([promotion], 9_500) == [(promotion, 10_000)]


def test_a_started_promotion_between_windows_is_not_due():
    assert due([made(0, (5_000, 6_000), (10_000, 11_000))], 7_000) == []


def test_a_skippable_promotion_is_not_due_whatever_its_openings():
    # Ended (skippable) even though a window, which the loader would refuse, opens within lead.
    assert due([made(0, (20_000, 21_000), ends=15_000)], 19_500) == []


def test_a_started_promotion_without_windows_is_not_due():
    assert due([made(0)], 1) == []


def test_due_keeps_the_promotions_order():
    first, second = made(10_000, name="a"), made(9_900, name="b")
    assert [p.name for p, _ in due([first, second], 9_800)] == ["a", "b"]


@given(
    starts=st.integers(0, 100_000),
    gaps=st.lists(st.integers(1, 10_000), max_size=5),
    lead=st.integers(60, 86_400),
    now=st.integers(-100_000, 200_000),
)
def test_a_due_opening_is_the_next_one_and_within_the_lead(starts, gaps, lead, now):
    windows, at = [], starts
    for gap in gaps:
        windows.append((at, at + gap / 2))
        at += gap
    promotion = made(starts, *windows, lead=lead)
    found = due([promotion], now)
    openings = [starts, *(window[0] for window in windows)]
    upcoming = [opening for opening in openings if opening >= now]
    if found:
        [(_, opening)] = found
        assert opening == min(upcoming)
        assert now <= opening <= now + lead
    else:
        assert not upcoming or min(upcoming) > now + lead


def test_next_opening_is_none_when_all_have_passed():
    assert next_opening(made(0, (10, 20)), 11) is None


# targets


def test_targets_are_the_urls_then_the_views_under_edge_views():
    promotion = made(0, urls=("/api/a", "/api/b"), views=("pdp?sku=A", "home"))
    assert targets(promotion) == (
        "/api/a",
        "/api/b",
        "/_edge/views/pdp?sku=A",
        "/_edge/views/home",
    )


def test_targets_are_each_once_in_first_order():
    promotion = made(0, urls=("/api/b", "/api/a", "/api/b"), views=("v", "v"))
    assert targets(promotion) == ("/api/b", "/api/a", "/_edge/views/v")


# schedule


def test_fetches_are_spread_evenly_by_the_budget():
    found = schedule(["/a", "/b", "/c"], 30, 1000.0, 2000.0)
    assert found == Schedule(((1000.0, "/a"), (1002.0, "/b"), (1004.0, "/c")), ())


def test_a_fetch_may_be_at_the_deadline():
    assert schedule(["/a", "/b"], 60, 0.0, 1.0).at == ((0.0, "/a"), (1.0, "/b"))


def test_targets_past_the_deadline_are_left_out_in_order():
    found = schedule(["/a", "/b", "/c", "/d"], 60, 0.0, 1.5)
    assert found == Schedule(((0.0, "/a"), (1.0, "/b")), ("/c", "/d"))


def test_a_deadline_before_the_start_leaves_everything_out():
    assert schedule(["/a"], 60, 10.0, 9.0) == Schedule((), ("/a",))


def test_a_target_given_twice_is_scheduled_once():
    assert schedule(["/a", "/a"], 60, 0.0, 100.0).at == ((0.0, "/a"),)


def test_no_targets_make_an_empty_schedule():
    assert schedule([], 60, 0.0, 100.0) == Schedule((), ())


@pytest.mark.parametrize("budget", [0, -1])
def test_a_budget_under_one_is_refused(budget):
    with pytest.raises(ValueError, match="budget_per_minute"):
        schedule(["/a"], budget, 0.0, 100.0)


def test_a_budget_of_one_fetches_once_a_minute():
    found = schedule(["/a", "/b", "/c"], 1, 0.0, 1000.0)
    assert [time for time, _ in found.at] == [0.0, 60.0, 120.0]


def test_rounding_never_puts_one_more_than_the_budget_in_a_minute():
    # start + i * 60 / 7 rounds so that fetches 0 and 7 are a hair under 60 s apart.
    found = schedule([str(n) for n in range(21)], 7, 0.1, 1000.0)
    assert most_in_a_minute([time for time, _ in found.at]) == 7


TARGETS = st.lists(st.text(min_size=1, max_size=5), max_size=300)
BUDGETS = st.one_of(st.integers(1, 100), st.integers(1, 100_000))  # small ones fill minutes
STARTS = st.one_of(st.floats(0, 100), st.floats(0, 1e10))
SPANS = st.floats(0, 3600, allow_nan=False, allow_infinity=False)


@given(targets=TARGETS, budget=BUDGETS, start=STARTS, span=SPANS)
def test_no_minute_of_a_schedule_holds_more_than_the_budget(targets, budget, start, span):
    found = schedule(targets, budget, start, start + span)
    assert most_in_a_minute([time for time, _ in found.at]) <= budget


@given(targets=TARGETS, budget=BUDGETS, start=STARTS, span=SPANS)
def test_every_fetch_is_between_the_start_and_the_deadline_in_order(targets, budget, start, span):
    deadline = start + span
    times = [time for time, _ in schedule(targets, budget, start, deadline).at]
    assert all(start <= time <= deadline for time in times)
    assert times == sorted(times)


@given(targets=TARGETS, budget=BUDGETS, start=STARTS, span=SPANS)
def test_every_target_is_scheduled_or_left_out_once(targets, budget, start, span):
    found = schedule(targets, budget, start, start + span)
    placed = [target for _, target in found.at] + list(found.left_out)
    assert placed == list(dict.fromkeys(targets))


@given(targets=TARGETS, budget=BUDGETS, start=STARTS)
def test_what_the_budget_allows_within_the_lead_all_fits(targets, budget, start):
    count = len(set(targets))
    lead = max(60.0, count * 60 / budget)  # the loader's rule: count / budget minutes <= lead
    found = schedule(targets, budget, start - lead, start)
    assert found.left_out == ()
