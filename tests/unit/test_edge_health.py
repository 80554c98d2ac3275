"""A PoP's view of its origin: decayed averages, a back-pressure step that moves with
hysteresis, Retry-After read per RFC 9110, and one request per key while the origin says wait."""

import itertools
import math
from email.utils import formatdate

import pytest
from health import HealthSnapshot, KeyGate, OriginHealth, parse_retry_after
from hypothesis import given, settings
from hypothesis import strategies as st

NOW = 1_700_000_000.0
FAST, SLOW = 0.05, 3.0


def feed(health, now, count=1, *, latency=FAST, status=200, retry_after=None):
    """``count`` exchanges at ``now``."""
    for _ in range(count):
        health.observe(now, latency=latency, status=status, retry_after=retry_after)


def climbed_to(step, **knobs):
    """An OriginHealth at ``step`` by Retry-After alone, which runs until t=100."""
    health = OriginHealth(**knobs)
    for n in range(step):
        feed(health, 5.0 * n, 5, retry_after=100 - 5.0 * n)
    assert health.step(5.0 * (step - 1)) == step
    return health


# parse_retry_after, RFC 9110 §10.2.3


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 120\t", 120.0), ("0", 0.0), ("007", 7.0), ("301", 300.0)],
)
def test_retry_after_delay_seconds_capped_rfc9110_10_2_3(value, seconds):
    assert parse_retry_after(value, NOW, cap=300) == seconds


@pytest.mark.parametrize("digits", ["99999999999999999999", "9" * 5000])
def test_retry_after_huge_delay_is_the_cap(digits):
    assert parse_retry_after(digits, NOW, cap=300) == 300.0


@pytest.mark.parametrize(
    ("offset", "seconds"), [(90, 90.0), (0, 0.0), (-3600, 0.0), (10**6, 300.0)]
)
def test_retry_after_http_date_is_seconds_from_now_in_0_to_cap_rfc9110_10_2_3(offset, seconds):
    assert parse_retry_after(formatdate(NOW + offset, usegmt=True), NOW, cap=300) == seconds


@pytest.mark.parametrize(
    "value",
    [
        *(None, "", " ", "-5", "+5", "1.5", "1e3", "soon", "\u0663"),
        "Sun, 31 Feb 1994 08:49:37 GMT",  # no such day
        "Sun, 06 Nov 1994 08:49:37 GMT" + " " * 100 + "x",  # longer than any date
    ],
)
def test_retry_after_that_is_neither_delay_nor_date_is_none_rfc9110_10_2_3(value):
    assert parse_retry_after(value, NOW, cap=300) is None


def test_retry_after_cap_must_not_be_negative():
    with pytest.raises(ValueError, match="cap"):
        parse_retry_after("5", NOW, cap=-1)


@settings(max_examples=200, deadline=None)
@given(st.none() | st.text(), st.floats(min_value=0, max_value=1e6))
def test_parse_retry_after_never_raises_and_stays_in_0_to_cap(value, cap):
    seconds = parse_retry_after(value, NOW, cap=cap)
    assert seconds is None or 0 <= seconds <= cap


# The averages


def test_a_new_origin_looks_healthy():
    assert OriginHealth().snapshot(NOW) == HealthSnapshot(0.0, 0.0, 0.0, None, 0, None)


def test_latency_average_of_simultaneous_observations_is_their_mean():
    health = OriginHealth()
    for latency in (0.1, 0.2, 0.6):
        feed(health, NOW, latency=latency)
    assert health.snapshot(NOW).latency_ewma == pytest.approx(0.3)


def test_an_observation_weighs_half_as_much_a_half_life_later():
    health = OriginHealth(half_life=10)
    feed(health, NOW, 2, latency=0.2)
    feed(health, NOW + 10, latency=1.0)
    assert health.snapshot(NOW + 10).latency_ewma == pytest.approx((0.2 + 1.0) / 2)


@pytest.mark.parametrize(
    ("status", "error_rate", "throttle_rate"),
    [(None, 0.25, 0), (500, 0.25, 0), (503, 0.25, 0), (429, 0, 0.25), (404, 0, 0), (304, 0, 0)],
)
def test_rates_count_5xx_and_no_response_as_errors_and_429_as_throttling(
    status, error_rate, throttle_rate
):
    health = OriginHealth()
    feed(health, NOW, 3)
    feed(health, NOW, status=status)
    snapshot = health.snapshot(NOW)
    assert (snapshot.error_rate, snapshot.throttle_rate) == (error_rate, throttle_rate)


def test_an_idle_origins_averages_hold_while_evidence_lasts_then_fall_by_the_half_life():
    health = OriginHealth(half_life=10)
    feed(health, NOW, 4, status=None)
    rates = [health.snapshot(NOW + seconds).error_rate for seconds in (0, 10, 20, 30, 40)]
    assert rates == pytest.approx([1.0, 1.0, 1.0, 0.5, 0.25])


@pytest.mark.parametrize("latency", [-1.0, float("nan")])
def test_a_latency_that_is_not_a_duration_counts_as_zero(latency):
    health = OriginHealth()
    feed(health, NOW, latency=latency)
    assert health.snapshot(NOW).latency_ewma == 0.0


# Retry-After


def test_retry_after_holds_the_origin_throttled_until_it_ends():
    health = OriginHealth()
    feed(health, NOW, status=503, retry_after=30)
    assert health.snapshot(NOW).retry_until == NOW + 30
    assert health.throttled(NOW + 29.9)
    assert not health.throttled(NOW + 30)
    assert health.snapshot(NOW + 30).retry_until is None


def test_a_shorter_retry_after_does_not_shorten_a_running_one():
    health = OriginHealth()
    feed(health, NOW, status=429, retry_after=30)
    feed(health, NOW + 10, status=429, retry_after=5)
    assert health.snapshot(NOW + 10).retry_until == NOW + 30
    feed(health, NOW + 20, status=429, retry_after=60)
    assert health.snapshot(NOW + 20).retry_until == NOW + 80


@pytest.mark.parametrize("retry_after", [None, 0.0, -5.0, float("inf"), float("nan")])
def test_no_positive_finite_retry_after_sets_nothing(retry_after):
    health = OriginHealth()
    feed(health, NOW, status=503, retry_after=retry_after)
    assert not health.throttled(NOW)


# The step


def test_one_slow_response_never_moves_the_step():
    health = OriginHealth()
    feed(health, NOW, 20)
    feed(health, NOW + 1, latency=30.0)
    assert [health.step(NOW + seconds) for seconds in (1, 10, 100)] == [0, 0, 0]


def test_the_step_climbs_only_after_min_samples_observations():
    health = OriginHealth(min_samples=5)
    feed(health, NOW, 4, latency=SLOW)
    assert health.step(NOW) == 0
    feed(health, NOW, latency=SLOW)
    assert health.step(NOW) == 1


def test_the_min_samples_must_find_the_origin_unhealthy_in_a_row():
    health = OriginHealth(min_samples=5)
    feed(health, NOW, 4, retry_after=1)
    feed(health, NOW + 2)  # the Retry-After has ended: healthy again
    feed(health, NOW + 2, 4, retry_after=1)
    assert health.step(NOW + 2) == 0
    feed(health, NOW + 2, retry_after=1)
    assert health.step(NOW + 2) == 1


def test_the_step_reads_each_latency_capped_at_twice_slow_but_reports_it_whole():
    health = OriginHealth(slow=1.0, min_samples=5)
    feed(health, NOW, 9, latency=0.0)
    feed(health, NOW, latency=30.0)
    feed(health, NOW, 4, latency=0.0)  # 30 / 14 > slow, but 2 / 14 is not
    assert health.snapshot(NOW).latency_ewma == pytest.approx(30 / 14)
    assert health.step(NOW + 60) == 0


def test_the_step_climbs_one_step_per_dwell():
    health = OriginHealth(dwell=5)
    changes, last = [], 0
    for tick in range(40):  # a slow response every half second
        now = tick / 2
        feed(health, now, latency=SLOW)
        if health.step(now) != last:
            last = health.step(now)
            changes.append((now, last))
    assert changes == [(2.0, 1), (7.0, 2), (12.0, 3)]


def test_a_climb_falls_due_when_the_dwell_ends_without_a_new_observation():
    health = OriginHealth(dwell=5)
    feed(health, NOW, 5, retry_after=60)
    feed(health, NOW + 1, 5, retry_after=59)
    assert health.step(NOW + 4.9) == 1
    snapshot = health.snapshot(NOW + 7)
    assert (snapshot.step, snapshot.step_since, snapshot.retry_until) == (2, NOW + 5, NOW + 60)


@pytest.mark.parametrize("max_step", [0, 1, 3])
def test_the_step_never_passes_max_step(max_step):
    health = OriginHealth(max_step=max_step)
    for tick in range(400):
        feed(health, tick / 2, status=None, latency=SLOW)
    assert health.step(200) == max_step


def test_the_step_falls_one_step_per_cool_down_of_health():
    health = climbed_to(2, cool_down=30)  # healthy from t=100, when Retry-After ends
    steps = [health.step(seconds) for seconds in (129.9, 130, 159.9, 160, 1000)]
    assert steps == [2, 1, 1, 0, 0]
    assert health.snapshot(1000).step_since == 160


def test_a_break_in_health_starts_the_cool_down_again():
    health = climbed_to(1, cool_down=30)
    feed(health, 120, latency=0.6)  # above slow / 2: not healthy, though not unhealthy
    assert health.step(130) == 1
    # 0.6 falls to slow / 2 = 0.5 after 10 * log2(1.2) = 2.6 seconds, then 30 to cool down.
    assert [health.step(152.5), health.step(152.7)] == [1, 0]


def test_between_the_two_thresholds_the_step_holds_both_ways():
    health = climbed_to(1)
    for tick in range(100, 400):
        feed(health, tick, latency=0.7)  # slow / 2 < 0.7 <= slow
    assert health.step(400) == 1


def test_responses_alternating_around_slow_never_move_the_step():
    health = OriginHealth()
    steps = set()
    for tick in range(600):  # the average crosses slow at every response
        feed(health, tick / 4, latency=(1.1, 0.9)[tick % 2])
        steps.add(health.step(tick / 4))
    assert steps == {0}


def test_a_slow_spell_climbs_then_falls_one_step_at_a_time():
    health, steps = OriginHealth(dwell=5, cool_down=30), [0]
    changes = []
    for tick in range(2000):  # ten exchanges a second: slow for 30 s, then fast
        now = tick / 10
        feed(health, now, latency=SLOW if now < 30 else FAST)
        if health.step(now) != steps[-1]:
            steps.append(health.step(now))
            changes.append(now)
    assert steps == [0, 1, 2, 3, 2, 1, 0]
    ups, downs = changes[:3], changes[3:]
    assert all(later - earlier >= 5 for earlier, later in itertools.pairwise(ups))
    assert all(later - earlier >= 30 for earlier, later in itertools.pairwise(downs))
    assert downs[0] >= 30 + 30


def test_an_earlier_now_counts_as_the_latest_seen():
    health = climbed_to(1)
    assert health.step(130) == 0
    assert health.step(50) == 0
    feed(health, 60)  # recorded as at t=130
    assert health.snapshot(10).retry_until is None


def test_the_multiplier_doubles_per_step_up_to_its_cap():
    health = OriginHealth()
    assert health.multiplier(0, 8) == 1.0
    multipliers = []
    for step in range(1, 4):
        feed(health, 5.0 * step, 5, retry_after=60)
        multipliers.append((health.multiplier(5.0 * step, 8), health.multiplier(5.0 * step, 4)))
    assert multipliers == [(2.0, 2.0), (4.0, 4.0), (8.0, 4.0)]


@pytest.mark.parametrize(
    "knobs",
    [
        *({"dwell": 0}, {"dwell": 10, "cool_down": 5}, {"half_life": 0}, {"min_samples": 0}),
        *({"slow": 0}, {"max_error_rate": -1}, {"max_step": -1}, {"cool_down": math.inf}),
    ],
)
def test_knobs_that_could_not_work_are_refused_at_construction(knobs):
    with pytest.raises(ValueError, match=r"must be|need"):
        OriginHealth(**knobs)


# Properties: no flapping, and asking for the step does not move it

_EXCHANGES = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=4),  # seconds since the previous exchange
        st.floats(min_value=0, max_value=4),  # latency
        st.sampled_from([200, 200, 200, 304, 404, 429, 500, 503, None]),
        st.none() | st.floats(min_value=0, max_value=40),  # Retry-After
    ),
    max_size=80,
)
_KNOBS = st.fixed_dictionaries(
    {
        "dwell": st.floats(min_value=1, max_value=10),
        "extra_cool_down": st.floats(min_value=0, max_value=30),
        "min_samples": st.integers(min_value=1, max_value=6),
        "half_life": st.floats(min_value=1, max_value=30),
    }
)


def _health(knobs):
    return OriginHealth(
        dwell=knobs["dwell"],
        cool_down=knobs["dwell"] + knobs["extra_cool_down"],
        min_samples=knobs["min_samples"],
        half_life=knobs["half_life"],
    )


def _replay(health, exchanges, grid=math.inf):
    """Snapshots after each of ``exchanges``, and all snapshots, also taken every ``grid``
    seconds; a last healthy exchange two minutes on lets the step fall."""
    after, every, now, asked = [], [], 0.0, 0.0
    for gap, latency, status, retry_after in [*exchanges, (120.0, 0, 200, None)]:
        while asked + grid < now + gap:
            asked += grid
            every.append(health.snapshot(asked))
        now += gap
        health.observe(now, latency=latency, status=status, retry_after=retry_after)
        after.append(health.snapshot(now))
        every.append(after[-1])
    return after, every


@settings(max_examples=200, deadline=None)
@given(_EXCHANGES, _KNOBS)
def test_the_step_changes_by_one_at_most_once_per_dwell(exchanges, knobs):
    health = _health(knobs)
    previous = health.snapshot(0)
    for snapshot in _replay(health, exchanges, grid=knobs["dwell"] / 2)[1]:
        assert 0 <= snapshot.step <= health.max_step
        if snapshot.step_since == previous.step_since:
            assert snapshot.step == previous.step
            continue
        assert abs(snapshot.step - previous.step) == 1
        if previous.step_since is not None:
            assert snapshot.step_since - previous.step_since >= knobs["dwell"] - 1e-9
        previous = snapshot


@settings(max_examples=200, deadline=None)
@given(_EXCHANGES, _KNOBS)
def test_asking_for_the_step_more_often_does_not_change_it(exchanges, knobs):
    unasked, _ = _replay(_health(knobs), exchanges)
    asked, _ = _replay(_health(knobs), exchanges, grid=0.7)
    assert asked == unasked


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(min_value=0, max_value=30), st.floats(0, 0.5)), max_size=60),
    st.integers(min_value=0, max_value=60),
    st.floats(min_value=1, max_value=1e6),
)
def test_one_slow_response_however_slow_amid_healthy_ones_never_moves_the_step(
    exchanges, where, latency
):
    health, now = OriginHealth(), 0.0
    exchanges.insert(min(where, len(exchanges)), (0.5, latency))
    for gap, seconds in exchanges:
        now += gap
        feed(health, now, latency=seconds, status=200)
        assert health.step(now) == 0


# KeyGate


def test_the_gate_allows_a_key_once_per_interval():
    gate = KeyGate()
    answers = [gate.allow("/a", now, 5) for now in (0, 1, 4.9, 5, 6, 10)]
    assert answers == [True, False, False, True, False, True]


def test_the_gate_keeps_keys_apart():
    gate = KeyGate()
    assert [gate.allow(key, 0, 5) for key in ("/a", "/b", "/a")] == [True, True, False]


def test_the_gate_forgets_the_key_allowed_longest_ago_when_full():
    gate = KeyGate(limit=2)
    gate.allow("/a", 0, 5)
    gate.allow("/b", 1, 5)
    gate.allow("/c", 2, 5)
    assert len(gate) == 2
    assert [gate.allow(key, 3, 5) for key in ("/c", "/b", "/a")] == [False, False, True]


def test_allowing_a_key_again_makes_it_the_newest():
    gate = KeyGate(limit=2)
    gate.allow("/a", 0, 5)
    gate.allow("/b", 1, 5)
    gate.allow("/a", 6, 5)
    gate.allow("/c", 7, 5)
    assert [gate.allow(key, 8, 5) for key in ("/a", "/c")] == [False, False]


def test_the_gate_limit_must_be_positive():
    with pytest.raises(ValueError, match="limit"):
        KeyGate(limit=0)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=5),
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.floats(min_value=0, max_value=3))),
)
def test_the_gate_never_holds_more_than_its_limit(limit, requests):
    gate, now = KeyGate(limit=limit), 0.0
    for key, gap in requests:
        now += gap
        gate.allow(key, now, 2)
        assert len(gate) <= limit
