"""The origin's knobs: which requests they reach, what they decide, and what they accept."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import ProblemError
from emulator.origin.knobs import FAIL_STATUSES, Decision, Knobs, applies, decide, parse_knobs


class NoDraws(random.Random):
    """A generator that fails the test if anything draws from it."""

    def random(self) -> float:
        raise AssertionError("drew from the generator")

    def uniform(self, a: float, b: float) -> float:
        raise AssertionError("drew from the generator")


# --- decide -------------------------------------------------------------------------------


def test_default_knobs_delay_and_fail_nothing_without_drawing_randomness() -> None:
    assert decide(Knobs(), "/api/products", NoDraws()) == Decision()


def test_latency_is_added_to_a_matching_request() -> None:
    assert decide(Knobs(latency_ms=250), "/api/products", NoDraws()).delay_ms == 250


def test_jitter_adds_between_zero_and_jitter_ms_on_top_of_latency() -> None:
    rng = random.Random(1)
    delays = [decide(Knobs(latency_ms=100, jitter_ms=50), "/x", rng).delay_ms for _ in range(200)]
    assert all(100 <= d <= 150 for d in delays)
    assert max(delays) - min(delays) > 25  # actually spread, not a constant


def test_fail_rate_one_fails_every_request_with_the_configured_status() -> None:
    knobs = Knobs(fail_rate=1.0, fail_status=502)
    assert {decide(knobs, "/api/cart", random.Random(i)).fail_status for i in range(50)} == {502}


def test_fail_rate_zero_never_fails_and_never_draws() -> None:
    assert decide(Knobs(fail_rate=0.0, latency_ms=5), "/api/cart", NoDraws()).fail_status is None


def test_fail_rate_half_fails_about_half_the_requests() -> None:
    rng = random.Random(42)
    failures = sum(
        decide(Knobs(fail_rate=0.5), "/x", rng).fail_status is not None for _ in range(1000)
    )
    assert 430 < failures < 570


def test_the_same_seed_replays_the_same_decisions() -> None:
    knobs = Knobs(jitter_ms=30, fail_rate=0.3)

    def run(seed: int) -> list[Decision]:
        rng = random.Random(seed)
        return [decide(knobs, "/x", rng) for _ in range(20)]

    assert run(9) == run(9)
    assert run(9) != run(10)


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(429, 7), (503, 7), (500, None), (502, None), (504, None)],
)
def test_retry_after_accompanies_only_429_and_503(status: int, retry_after: int | None) -> None:
    knobs = Knobs(fail_rate=1.0, fail_status=status, retry_after=7)
    assert decide(knobs, "/x", random.Random(0)).retry_after == retry_after


@pytest.mark.parametrize(
    ("prefixes", "path", "expected"),
    [
        ((), "/api/products", True),
        ((), "/healthz", True),
        (("/api/prices",), "/api/prices", True),
        (("/api/prices",), "/api/prices/BEV-COFFEE", True),
        (("/api/prices/",), "/api/prices/BEV-COFFEE", True),
        (("/api/prices",), "/api/pricesheet", False),
        (("/api/prices",), "/api/products", False),
        (("/pages", "/help"), "/help/delivery", True),
        ((), "/_admin/knobs", False),
        (("/",), "/_admin/stock", False),
        (("/_admin",), "/_admin/knobs", False),
    ],
)
def test_knobs_reach_paths_under_their_prefixes_and_never_admin(
    prefixes: tuple[str, ...], path: str, expected: bool
) -> None:
    assert applies(Knobs(paths=prefixes), path) is expected


def test_a_path_the_knobs_do_not_reach_is_left_alone() -> None:
    knobs = Knobs(latency_ms=500, fail_rate=1.0, paths=("/api/prices",))
    assert decide(knobs, "/api/products", NoDraws()) == Decision()


# --- parse_knobs --------------------------------------------------------------------------


def test_an_empty_object_gives_the_default_knobs() -> None:
    assert parse_knobs({}) == Knobs()


def test_knobs_survive_a_round_trip_through_json() -> None:
    knobs = Knobs(10, 5, 0.25, 429, 30, ("/api/prices", "/pages"))
    assert parse_knobs(knobs.to_json()) == knobs


def test_an_integer_fail_rate_is_accepted_as_a_number() -> None:
    assert parse_knobs({"fail_rate": 1}).fail_rate == 1.0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"latency_ms": -1}, "latency_ms"),
        ({"latency_ms": 60_001}, "latency_ms"),
        ({"latency_ms": 1.5}, "latency_ms"),
        ({"latency_ms": "100"}, "latency_ms"),
        ({"latency_ms": True}, "latency_ms"),
        ({"jitter_ms": -5}, "jitter_ms"),
        ({"fail_rate": 1.01}, "fail_rate"),
        ({"fail_rate": -0.1}, "fail_rate"),
        ({"fail_rate": float("nan")}, "fail_rate"),
        ({"fail_rate": False}, "fail_rate"),
        ({"fail_status": 404}, "fail_status"),
        ({"fail_status": 503.0}, "fail_status"),
        ({"fail_status": [503]}, "fail_status"),
        ({"retry_after": -1}, "retry_after"),
        ({"paths": "/api"}, "paths"),
        ({"paths": ["api"]}, "paths"),
        ({"paths": [1]}, "paths"),
        ({"paths": None}, "paths"),
        ({"latency": 100}, "latency"),
        ([], "body"),
        ("fast", "body"),
    ],
)
def test_invalid_knobs_are_a_400_naming_the_field(body: object, field: str) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_knobs(body)
    assert (caught.value.status, caught.value.field) == (400, field)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
knob_names = st.sampled_from(
    ["latency_ms", "jitter_ms", "fail_rate", "fail_status", "retry_after", "paths", "other"]
)


@given(st.dictionaries(knob_names, json_values, max_size=6))
def test_any_json_object_gives_valid_knobs_or_a_400_naming_a_field(body: dict[str, Any]) -> None:
    outcome: Knobs | ProblemError
    try:
        outcome = parse_knobs(body)
    except ProblemError as problem:
        outcome = problem
    if isinstance(outcome, ProblemError):
        assert outcome.status == 400
        assert outcome.field in body
        return
    knobs = outcome
    assert 0 <= knobs.latency_ms <= 60_000
    assert 0 <= knobs.jitter_ms <= 60_000
    assert 0.0 <= knobs.fail_rate <= 1.0
    assert knobs.fail_status in FAIL_STATUSES
    assert all(prefix.startswith("/") for prefix in knobs.paths)


valid_knobs = st.builds(
    Knobs,
    latency_ms=st.integers(0, 60_000),
    jitter_ms=st.integers(0, 60_000),
    fail_rate=st.floats(0, 1),
    fail_status=st.sampled_from(sorted(FAIL_STATUSES)),
    retry_after=st.integers(0, 86_400),
    paths=st.lists(st.text(max_size=10).map(lambda s: "/" + s), max_size=4).map(tuple),
)


@given(valid_knobs)
def test_every_valid_knobs_value_is_accepted_back_unchanged(knobs: Knobs) -> None:
    assert parse_knobs(knobs.to_json()) == knobs
