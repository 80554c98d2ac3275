"""The purge API's token buckets: Cloudflare's per-plan limits on the fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.clock import FakeClock
from emulator.purgelimit import PURGE_PLANS, PurgeLimiter, TokenBucket


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def limiter(plan: str, clock: FakeClock) -> PurgeLimiter:
    return PurgeLimiter(PURGE_PLANS[plan], clock)


def allowed(purges: PurgeLimiter, files: int = 0) -> bool:
    verdict = purges.take(files)
    assert verdict is not None
    return verdict.allowed


def test_a_bucket_starts_full(clock: FakeClock) -> None:
    assert TokenBucket(25, 5, clock).tokens() == 25


def test_a_bucket_refuses_once_empty_and_says_how_long_to_wait(clock: FakeClock) -> None:
    bucket = TokenBucket(2, 0.5, clock)
    assert bucket.take() == bucket.take() == 0.0

    assert bucket.take() == pytest.approx(2.0)


def test_a_refused_take_takes_nothing(clock: FakeClock) -> None:
    bucket = TokenBucket(1, 1, clock)
    bucket.take()
    bucket.take()

    clock.advance(1)
    assert bucket.take() == 0.0


def test_a_bucket_refills_at_its_rate_up_to_its_capacity(clock: FakeClock) -> None:
    bucket = TokenBucket(10, 2, clock)
    bucket.take(10)
    clock.advance(3)
    assert bucket.tokens() == pytest.approx(6)

    clock.advance(100)
    assert bucket.tokens() == 10


def test_a_cost_above_the_capacity_never_fits(clock: FakeClock) -> None:
    assert TokenBucket(5, 1, clock).take(6) == float("inf")


def test_a_bucket_needs_a_positive_capacity_and_rate(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0, 1, clock)


@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0.5, 5)), max_size=30))
def test_tokens_never_go_below_zero_or_above_the_capacity(
    steps: list[tuple[float, float]],
) -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, 2, clock)
    for wait, cost in steps:
        clock.advance(wait)
        bucket.take(cost)
        assert 0 <= bucket.tokens() <= 5


@pytest.mark.parametrize(
    ("plan", "burst"), [("free", 25), ("pro", 25), ("business", 50), ("enterprise", 500)]
)
def test_each_plan_allows_a_burst_of_its_bucket_size(
    plan: str, burst: int, clock: FakeClock
) -> None:
    purges = limiter(plan, clock)

    assert [allowed(purges) for _ in range(burst + 1)] == [True] * burst + [False]


@pytest.mark.parametrize(
    ("plan", "retry_after", "refill_seconds"),
    [("free", 12, 60), ("pro", 1, 1)],  # five requests a minute; five a second
)
def test_a_plan_refills_five_requests_in_its_interval(
    clock: FakeClock, plan: str, retry_after: int, refill_seconds: float
) -> None:
    purges = limiter(plan, clock)
    for _ in range(25):
        purges.take()
    refused = purges.take()
    assert refused is not None
    assert refused.retry_after == retry_after

    clock.advance(refill_seconds)
    assert [allowed(purges) for _ in range(6)] == [True] * 5 + [False]


@pytest.mark.parametrize(
    ("plan", "urls"), [("free", 800), ("pro", 1500), ("business", 1500), ("enterprise", 3000)]
)
def test_file_purges_draw_one_token_a_url_from_a_second_s_worth(
    plan: str, urls: int, clock: FakeClock
) -> None:
    purges = limiter(plan, clock)
    assert all(allowed(purges, files=100) for _ in range(urls // 100))
    refused = purges.take(files=1)

    assert refused is not None
    assert (refused.allowed, refused.retry_after, refused.policy) == (False, 1, "purge-files")


def test_file_purges_leave_the_request_bucket_alone(clock: FakeClock) -> None:
    purges = limiter("free", clock)
    for _ in range(8):
        purges.take(files=100)

    verdict = purges.take()
    assert verdict is not None
    assert (verdict.allowed, verdict.remaining) == (True, 24)


def test_the_none_plan_never_limits(clock: FakeClock) -> None:
    purges = limiter("none", clock)

    assert all(purges.take() is None for _ in range(1000))
    assert purges.take(files=500) is None


def test_a_verdict_carries_the_numbers_for_ratelimit_headers(clock: FakeClock) -> None:
    verdict = limiter("business", clock).take()

    assert verdict is not None
    assert (verdict.capacity, verdict.remaining, verdict.full_in, verdict.window) == (
        50,
        49,
        1,
        5,
    )


def test_enterprise_takes_500_files_a_request_and_cloudflare_s_other_plans_100() -> None:
    files = {name: plan.max_files for name, plan in PURGE_PLANS.items()}

    assert files == {"free": 100, "pro": 100, "business": 100, "enterprise": 500, "none": 500}


def test_every_plan_takes_100_tags_hosts_or_prefixes_a_request() -> None:
    assert {plan.max_items for plan in PURGE_PLANS.values()} == {100}
