"""Lifetimes, ages and lookups of stored responses (RFC 9111 §4.2, RFC 5861) under the classes."""

from dataclasses import replace

import pytest
from cachecontrol import RequestCaching, ResponseCaching, request_caching, response_caching
from freshness import Lifetimes, Lookup, Stored, initial_age, lifetimes, lookup
from hypothesis import given
from hypothesis import strategies as st
from routes import load_routes

ROUTES = load_routes("")
HOT, WARM, COLD, ORIGIN = (ROUTES.policy(name) for name in ("hot", "warm", "cold", "origin"))


def caching(**fields: object) -> ResponseCaching:
    """The caching of a response that states only ``fields``."""
    nothing = response_caching(
        cache_control=None, cdn_cache_control=None, expires=None, date=None, pragma=None, now=0.0
    )
    return replace(nothing, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "origin", "expected"),
    [
        (WARM, caching(lifetime=600.0), Lifetimes(600.0, 60.0, 3600.0)),
        (WARM, caching(), Lifetimes(300.0, 60.0, 3600.0)),
        (HOT, caching(lifetime=3600.0), Lifetimes(5.0, 5.0, 60.0)),
        (HOT, caching(lifetime=2.0), Lifetimes(2.0, 5.0, 60.0)),
        (replace(WARM, hints="ignore"), caching(lifetime=5.0, swr=9.0), Lifetimes(300, 60, 3600)),
        (COLD, caching(lifetime=60.0, swr=10.0, sie=20.0), Lifetimes(60.0, 10.0, 20.0)),
        (ORIGIN, caching(lifetime=30.0), Lifetimes(30.0, 0.0, 0.0)),
    ],
    ids=[
        "honour-takes-the-origins-lifetime",
        "honour-falls-back-to-the-class-ttl",
        "cap-never-exceeds-the-class-ttl",
        "cap-keeps-a-shorter-origin-lifetime",
        "ignore-always-uses-the-class",
        "the-origins-rfc5861-allowances-win-under-honour",
        "origin-class-is-plain-rfc9111",
    ],
)
def test_lifetimes_per_class(policy, origin, expected):
    assert lifetimes(policy, origin, 200) == expected


def test_origin_class_without_freshness_information_has_no_lifetime_rfc9111_4_2_1():
    assert lifetimes(ORIGIN, caching(), 200) is None


def test_a_class_ttl_only_applies_to_heuristically_cacheable_statuses_rfc9111_4_2_2():
    assert lifetimes(WARM, caching(), 400) is None
    assert lifetimes(WARM, caching(), 404) == Lifetimes(300.0, 60.0, 3600.0)


def test_no_cache_stores_for_validation_only_rfc9111_5_2_2_4():
    assert lifetimes(WARM, caching(lifetime=600.0, no_cache=True), 200).fresh == 0.0


def test_must_revalidate_allows_no_stale_serving_rfc9111_5_2_2_2():
    assert lifetimes(COLD, caching(must_revalidate=True), 200) == Lifetimes(86400.0, 0.0, 0.0)


def test_initial_age_takes_the_larger_of_apparent_and_corrected_age_rfc9111_4_2_3():
    assert initial_age(age=0, date=90.0, request_time=99.0, response_time=100.0) == 10.0
    assert initial_age(age=30, date=100.0, request_time=99.0, response_time=100.0) == 31.0
    assert initial_age(age=0, date=None, request_time=100.0, response_time=100.0) == 0.0


def record(**fields: object) -> Stored:
    defaults: dict[str, object] = {
        "response_time": 1000.0,
        "initial_age": 0.0,
        "fresh": 60.0,
        "swr": 30.0,
        "sie": 300.0,
        "content_class": "warm",
        "rule": "products",
        "tags": ("class:warm",),
        "cache_control": "public, max-age=60",
    }
    return Stored(**{**defaults, **fields})  # type: ignore[arg-type]


def test_a_record_round_trips_through_its_field():
    stored = record()
    assert Stored.decode(stored.encode()) == stored


@pytest.mark.parametrize("damaged", [None, "", "{", "[]", '{"fresh": 1}', '{"response_time": "x"}'])
def test_a_damaged_record_is_none(damaged):
    assert Stored.decode(damaged) is None


@given(st.text())
def test_decoding_never_raises(text):
    Stored.decode(text)


def test_retention_covers_freshness_staleness_and_validation():
    stored = record(initial_age=10.0)
    assert stored.retention(1000.0, has_validator=False) == 60 + 300 - 10
    assert stored.retention(1000.0, has_validator=True) == 60 + 300 - 10 + 3600


PLAIN = request_caching(cache_control=None, pragma=None)


@pytest.mark.parametrize(
    ("elapsed", "asked", "expected"),
    [
        (59.0, PLAIN, Lookup.FRESH),
        (61.0, PLAIN, Lookup.STALE_WHILE_REVALIDATE),
        (91.0, PLAIN, Lookup.REVALIDATE),
        (1.0, request_caching(cache_control="no-cache", pragma=None), Lookup.REVALIDATE),
        (1.0, request_caching(cache_control=None, pragma="no-cache"), Lookup.REVALIDATE),
        (20.0, request_caching(cache_control="max-age=10", pragma=None), Lookup.REVALIDATE),
        (20.0, request_caching(cache_control="min-fresh=50", pragma=None), Lookup.REVALIDATE),
    ],
    ids=[
        "fresh-rfc9111-4-2",
        "stale-within-swr-rfc5861-3",
        "stale-past-swr",
        "request-no-cache-rfc9111-5-2-1-4",
        "pragma-no-cache-rfc9111-5-4",
        "request-max-age-rfc9111-5-2-1-1",
        "request-min-fresh-rfc9111-5-2-1-3",
    ],
)
def test_lookup(elapsed, asked: RequestCaching, expected):
    assert lookup(record(), 1000.0 + elapsed, asked) is expected


def test_stale_if_error_window_is_measured_from_staleness_rfc5861_4():
    stored = record()
    assert stored.may_serve_on_error(1000.0 + 60 + 300)
    assert not stored.may_serve_on_error(1000.0 + 60 + 301)
