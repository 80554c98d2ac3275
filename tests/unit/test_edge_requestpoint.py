"""The request data point (docs/observability.md): a request's cache outcome read from its
Cache-Status member, the tally a request's parts and origin exchanges add to, and the point's
fixed layout of blobs, doubles and index."""

from __future__ import annotations

from cachestatus import CacheStatus
from hypothesis import given
from hypothesis import strategies as st
from requestpoint import OUTCOMES, Tally, outcome, request_point


def test_a_fresh_hit_is_a_hit() -> None:
    assert outcome(CacheStatus(hit=True, ttl=30), 200) == "hit"


def test_a_hit_served_stale_is_stale() -> None:
    assert outcome(CacheStatus(hit=True, fwd="stale", detail="stale-while-revalidate"), 200) == (
        "stale"
    )


def test_a_stale_copy_instead_of_a_placeholder_is_stale() -> None:
    assert outcome(CacheStatus(hit=True, fwd="stale", detail="placeholder-stale"), 200) == "stale"


def test_a_request_that_waited_on_another_ones_fetch_is_collapsed() -> None:
    status = CacheStatus(fwd="uri-miss", fwd_status=200, collapsed=True)
    assert outcome(status, 200) == "collapsed"


def test_a_placeholder_for_a_slow_origin_is_a_placeholder() -> None:
    assert outcome(CacheStatus(fwd="uri-miss", detail="placeholder"), 202) == "placeholder"


def test_a_fetch_from_the_origin_is_a_miss_whatever_the_origin_answered() -> None:
    assert outcome(CacheStatus(fwd="uri-miss", fwd_status=503), 503) == "miss"


def test_a_bypass_class_an_unsafe_method_and_credentials_are_bypasses() -> None:
    cases = [
        CacheStatus(fwd="bypass", fwd_status=200),
        CacheStatus(fwd="method", fwd_status=201),
        CacheStatus(fwd="request", fwd_status=200, detail="credentials"),
        CacheStatus(fwd="request", fwd_status=200, detail="no-store"),
        CacheStatus(fwd="request", fwd_status=200, detail="authorization"),
    ]
    assert {outcome(status, 200) for status in cases} == {"bypass"}


def test_an_error_the_edge_answered_itself_is_an_error() -> None:
    assert outcome(CacheStatus(fwd="uri-miss"), 502) == "error"
    assert outcome(CacheStatus(fwd="request", detail="invalid-url"), 400) == "error"


def test_the_tally_keeps_the_least_cached_outcome_of_a_requests_parts() -> None:
    tally = Tally()
    for cache in ("hit", "miss", "stale"):
        tally.note(cache, scope="z", content_class="warm", pressure=0)
    assert tally.cache == "miss"


@given(st.lists(st.sampled_from(OUTCOMES), min_size=1))
def test_whatever_the_parts_the_tally_holds_the_last_ranked_of_them(parts: list[str]) -> None:
    tally = Tally()
    for cache in parts:
        tally.note(cache, scope="", content_class="", pressure=0)
    assert tally.cache == max(parts, key=OUTCOMES.index)


def test_the_tally_keeps_the_first_parts_scope_and_class_and_the_highest_pressure() -> None:
    tally = Tally()
    tally.note("hit", scope="sf", content_class="hot", pressure=1)
    tally.note("hit", scope="global", content_class="cold", pressure=0)
    assert (tally.scope, tally.content_class, tally.pressure) == ("sf", "hot", 1)


def test_origin_exchanges_add_up_and_the_last_status_is_kept() -> None:
    tally = Tally()
    tally.exchanged(200, 0.25)
    tally.exchanged(None, 0.5)
    assert (tally.origin_requests, tally.origin_status, tally.origin_seconds) == (2, 0, 0.75)


def test_the_point_lays_out_blobs_doubles_and_the_pop_as_index() -> None:
    tally = Tally()
    tally.note("miss", scope="san-francisco", content_class="warm", pressure=2)
    tally.exchanged(200, 0.0425)
    point = request_point(tally, colo="SFO", method="GET", status=200, size=512, seconds=0.05)
    assert point == {
        "blobs": ["request", "SFO", "san-francisco", "warm", "miss", "GET"],
        "doubles": [200.0, 200.0, 42.5, 512.0, 50.0, 2.0, 1.0],
        "indexes": ["SFO"],
    }


def test_an_edge_endpoint_is_its_own_class() -> None:
    tally = Tally(endpoint="batch")
    tally.note("hit", scope="sf", content_class="hot", pressure=0)
    point = request_point(tally, colo="SFO", method="POST", status=200, size=2, seconds=0.0)
    assert point["blobs"][3:5] == ["batch", "hit"]


def test_an_endpoint_that_proxied_nothing_is_a_bypass_or_an_error_by_its_status() -> None:
    def cache(status: int) -> object:
        point = request_point(
            Tally(endpoint="events"), colo="", method="POST", status=status, size=0, seconds=0
        )
        return point["blobs"][4]

    assert (cache(202), cache(401)) == ("bypass", "error")
