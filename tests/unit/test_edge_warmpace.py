"""The consumer's pace for warming: per promotion, never more than its budget in any 60 s,
however bunched the queue delivers; each refused fetch is told when its turn comes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from warmpace import Admitted, WarmPace


def test_fetches_within_the_budget_are_admitted():
    assert WarmPace().admit("p", 3, 100.0, 3) == Admitted(3, ())


def test_fetches_over_the_budget_wait_a_minute_after_the_ones_ahead_of_them():
    pace = WarmPace()
    pace.admit("p", 2, 100.0)
    pace.admit("p", 2, 130.0)
    assert pace.admit("p", 2, 140.0, 3) == Admitted(0, (20.0, 50.0, 80.0))


def test_a_fetch_is_admitted_once_the_window_has_moved_past_the_oldest():
    pace = WarmPace()
    pace.admit("p", 1, 100.0)
    assert pace.admit("p", 1, 159.5).count == 0
    assert pace.admit("p", 1, 160.0).count == 1


def test_a_refused_fetch_is_not_counted():
    pace = WarmPace()
    pace.admit("p", 1, 100.0)
    pace.admit("p", 1, 130.0)
    assert pace.admit("p", 1, 160.0).count == 1


def test_each_promotion_has_its_own_budget():
    pace = WarmPace()
    pace.admit("a", 1, 100.0)
    assert pace.admit("b", 1, 100.0).count == 1


def test_a_clock_stepping_back_counts_as_the_latest_time_seen():
    pace = WarmPace()
    pace.admit("p", 1, 100.0)
    pace.admit("p", 1, 200.0)
    assert pace.admit("p", 1, 150.0) == Admitted(0, (60.0,))


def test_a_budget_under_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        WarmPace().admit("p", 0, 100.0)


arrivals = st.lists(
    st.tuples(st.floats(0, 90, allow_nan=False), st.integers(1, 20)), min_size=1, max_size=40
)


@given(st.integers(1, 10), arrivals)
def test_no_60_s_window_ever_holds_more_than_the_budget(budget, arrivals):
    pace = WarmPace()
    now, admitted = 1_800_000_000.0, []
    for gap, count in arrivals:
        now += gap
        admitted += [now] * pace.admit("p", budget, now, count).count
    assert all(
        later - earlier >= 60 for earlier, later in zip(admitted, admitted[budget:], strict=False)
    )


@given(st.integers(1, 10), arrivals)
def test_refused_fetches_back_after_their_waits_are_admitted(budget, arrivals):
    pace = WarmPace()
    now = 1_800_000_000
    for gap, count in arrivals:
        now += math.ceil(gap)
        refused = pace.admit("p", budget, now, count).waits
    for delay in sorted(math.ceil(wait) for wait in refused):
        assert pace.admit("p", budget, now + delay).count == 1
