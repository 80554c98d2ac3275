"""The purge rate limit as Cloudflare applies it, per account: a token bucket that starts full,
allows a burst of its size, refills at the plan's rate and never holds more than its size.
Time is passed in; a time earlier than one already seen counts as that one."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from purgebucket import MAX_TAGS_PER_CALL, PLANS, PurgeRate, TokenBucket

PRO = PLANS["pro"]
T = 1_790_000_000.0


def burst(bucket: TokenBucket, now: float) -> int:
    """How many calls go at ``now`` before one has to wait."""
    taken = 0
    while bucket.take(now) == 0.0:
        taken += 1
    return taken


@pytest.mark.parametrize(
    ("plan", "per_second", "size"),
    [
        ("free", 5 / 60, 25),
        ("pro", 5.0, 25),
        ("business", 10.0, 50),
        ("enterprise", 50.0, 500),
    ],
)
def test_each_plan_has_cloudflare_s_purge_rate(plan, per_second, size):
    assert PLANS[plan] == PurgeRate(per_second, size)


def test_the_plans_are_the_four_cloudflare_plans():
    assert list(PLANS) == ["free", "pro", "business", "enterprise"]


def test_the_plans_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        PLANS["free"] = PRO  # type: ignore[index]


def test_a_call_holds_at_most_100_tags_on_every_plan():
    assert MAX_TAGS_PER_CALL == 100


@pytest.mark.parametrize(("per_second", "size"), [(0, 1), (-1, 1), (math.inf, 1), (1, 0)])
def test_a_rate_that_could_never_be_kept_is_refused(per_second, size):
    with pytest.raises(ValueError, match="per_second"):
        PurgeRate(per_second, size)


@pytest.mark.parametrize("plan", list(PLANS))
def test_a_new_bucket_allows_a_burst_of_its_size(plan):
    assert burst(TokenBucket(PLANS[plan]), T) == PLANS[plan].bucket


def test_an_empty_bucket_says_how_long_until_a_token():
    bucket = TokenBucket(PRO)
    burst(bucket, T)
    assert bucket.take(T) == pytest.approx(0.2)


def test_asking_an_empty_bucket_takes_nothing():
    bucket = TokenBucket(PRO)
    burst(bucket, T)
    for _ in range(10):
        bucket.take(T + 0.1)
    assert bucket.take(T + 0.2) == 0.0


def test_a_free_plan_bucket_refills_one_token_in_twelve_seconds():
    bucket = TokenBucket(PLANS["free"])
    burst(bucket, T)
    assert bucket.take(T) == pytest.approx(12.0)
    assert bucket.take(T + 11.9) > 0
    assert bucket.take(T + 12.0) == 0.0


def test_a_token_due_at_a_time_float_seconds_cannot_hold_exactly_is_there_then():
    # (T + 0.1) - T is 0.09999990463 in floats: a hair short of the token due at T + 0.1.
    bucket = TokenBucket(PurgeRate(10.0, 1))
    bucket.take(T)
    assert bucket.take(T + 0.1) == 0.0


def test_the_bucket_refills_at_the_plan_s_rate():
    bucket = TokenBucket(PRO)
    burst(bucket, T)
    assert burst(bucket, T + 1.0) == 5


def test_the_bucket_never_refills_above_its_size():
    bucket = TokenBucket(PRO)
    burst(bucket, T)
    assert burst(bucket, T + 3600) == PRO.bucket


def test_a_full_bucket_left_alone_stays_full():
    bucket = TokenBucket(PRO)
    bucket.take(T)
    assert burst(bucket, T + 86_400) == PRO.bucket


def test_a_time_before_the_latest_seen_refills_nothing():
    bucket = TokenBucket(PRO)
    burst(bucket, T)
    assert bucket.take(T - 100) > 0
    assert bucket.take(T + 0.2) == 0.0
    assert bucket.take(T + 0.2) > 0  # not 0.2 s twice over: T - 100 did not move the clock


def test_the_first_take_sets_the_clock_whatever_its_value():
    bucket = TokenBucket(PRO)
    assert burst(bucket, 0.0) == PRO.bucket
    assert burst(bucket, 1.0) == 5


@pytest.mark.parametrize("now", [math.nan, math.inf, -math.inf])
def test_a_time_that_is_not_a_time_never_adds_tokens_beyond_the_bucket(now):
    bucket = TokenBucket(PRO)
    burst(bucket, T)
    bucket.take(now)
    assert burst(bucket, T) <= PRO.bucket


# Properties

RATES = st.builds(
    PurgeRate,
    per_second=st.sampled_from([5 / 60, 1.0, 5.0, 10.0, 50.0, 0.3]),
    bucket=st.integers(1, 40),
)
STEPS = st.lists(st.floats(0, 30, allow_subnormal=False), min_size=1, max_size=80)


@settings(max_examples=200, deadline=None)
@given(RATES, STEPS)
def test_calls_never_outrun_the_bucket_plus_the_refill(rate, steps):
    bucket = TokenBucket(rate)
    now, taken = T, 0
    for step in steps:
        now += step
        taken += bucket.take(now) == 0.0
        # Each call may go up to a microsecond early (float seconds are not exact).
        assert taken <= rate.bucket + (now - T + taken * 1e-6) * rate.per_second


@settings(max_examples=200, deadline=None)
@given(RATES, STEPS)
def test_waiting_the_seconds_asked_for_always_finds_a_token(rate, steps):
    bucket = TokenBucket(rate)
    now = T
    for step in steps:
        now += step
        wait = bucket.take(now)
        if wait > 0:
            assert wait <= 1 / rate.per_second + 1e-9
            now += wait
            assert bucket.take(now) == 0.0


@settings(max_examples=200, deadline=None)
@given(RATES, STEPS)
def test_a_refused_call_changes_nothing(rate, steps):
    bucket, twin = TokenBucket(rate), TokenBucket(rate)
    now = T
    for step in steps:
        now += step
        wait = bucket.take(now)
        if wait > 0:
            assert bucket.take(now) == wait
        assert twin.take(now) == wait  # the twin, asked once, stays in step


@settings(max_examples=200, deadline=None)
@given(RATES, STEPS, st.floats(0, 10_000))
def test_after_a_long_enough_pause_the_whole_burst_is_back_and_no_more(rate, steps, pause):
    bucket = TokenBucket(rate)
    now = T
    for step in steps:
        now += step
        bucket.take(now)
    refill = rate.bucket / rate.per_second
    assert burst(bucket, now + refill + pause) == rate.bucket


@settings(max_examples=200, deadline=None)
@given(RATES, st.lists(st.floats(-1e6, 1e6), max_size=40))
def test_times_out_of_order_never_give_more_than_the_latest_time_would(rate, times):
    bucket, ordered = TokenBucket(rate), TokenBucket(rate)
    latest = -math.inf
    for offset in times:
        latest = max(latest, T + offset)
        assert (bucket.take(T + offset) == 0.0) == (ordered.take(latest) == 0.0)
