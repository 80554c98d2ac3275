"""A shared cache reads Cache-Control, CDN-Cache-Control, Expires, Age and Pragma per RFC 9111."""

import dataclasses
from email.utils import formatdate

import pytest
from cachecontrol import (
    MAX_DELTA_SECONDS,
    RequestCaching,
    ResponseCaching,
    age_seconds,
    delta_seconds,
    parse_cache_control,
    parse_http_date,
    parse_targeted,
    request_caching,
    response_caching,
)
from hypothesis import given
from hypothesis import strategies as st

NOW = 1_700_000_000.0


def _response(**fields):
    given_fields = {"cache_control": None, "cdn_cache_control": None, "expires": None}
    given_fields |= {"date": None, "pragma": None, "now": NOW} | fields
    return response_caching(**given_fields)


# parse_cache_control, RFC 9111 §5.2


def test_directive_names_are_lower_cased_rfc9111_5_2():
    assert parse_cache_control("Max-Age=60, NO-STORE") == {"max-age": "60", "no-store": None}


def test_quoted_string_arguments_are_unescaped_rfc9110_5_6_4():
    assert parse_cache_control('no-cache="Set-Cookie, X-A", x="a\\"b"') == {
        "no-cache": "Set-Cookie, X-A",
        "x": 'a"b',
    }


def test_first_occurrence_of_a_repeated_directive_wins_rfc9111_4_2_1():
    assert parse_cache_control("max-age=60, max-age=0") == {"max-age": "60"}


@pytest.mark.parametrize(
    "value",
    ["=60", "max-age=", "max-age = 60", "max age=60", 'x="a"b', "a=b=c", "a=\x01", "a=\u0100"],
)
def test_malformed_elements_are_skipped_rfc9111_5_2(value):
    assert parse_cache_control(f"public, {value}, private") == {"public": None, "private": None}


def test_an_unterminated_quoted_string_swallows_the_rest_rfc9110_5_6_4():
    assert parse_cache_control('public, x="open, private') == {"public": None}


@pytest.mark.parametrize("value", [None, "", " , ,, "])
def test_absent_or_empty_cache_control_has_no_directives(value):
    assert parse_cache_control(value) == {}


@given(st.text())
def test_parse_cache_control_never_raises(value):
    assert isinstance(parse_cache_control(value), dict)


# parse_targeted, RFC 9213 §2.1


def test_targeted_field_maps_sf_types_to_directive_arguments_rfc9213_2_1():
    assert parse_targeted('max-age=60;x=1, no-store, a=tok, b="str"') == {
        "max-age": "60",
        "no-store": None,
        "a": "tok",
        "b": "str",
    }


@pytest.mark.parametrize("member", ["max-age=1.5", "a=:YQ==:", "a=(1 2)", "no-store=?0"])
def test_targeted_members_of_other_types_are_skipped_rfc9213_2_1(member):
    assert parse_targeted(f"public, {member}") == {"public": None}


def test_targeted_field_with_only_skipped_members_still_counts_rfc9213_2_2():
    assert parse_targeted("max-age=1.5") == {}


@pytest.mark.parametrize("value", [None, "", "   ", "max-age=60,", "Max-Age=60", 'a="x'])
def test_absent_empty_or_unparsable_targeted_field_is_ignored_rfc9213_2_1(value):
    assert parse_targeted(value) is None


def test_targeted_duplicate_directive_last_wins_as_in_any_sf_dictionary_rfc8941_4_2_2():
    assert parse_targeted("max-age=60, max-age=10") == {"max-age": "10"}


@given(st.text())
def test_parse_targeted_never_raises(value):
    parse_targeted(value)


# delta_seconds, RFC 9111 §1.2.2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("60", 60),
        (" 60\t", 60),
        ("007", 7),
        ("2147483648", MAX_DELTA_SECONDS),
        ("99999999999", MAX_DELTA_SECONDS),
        ("9" * 10_000, MAX_DELTA_SECONDS),
        ("0" * 10_000 + "5", 5),
    ],
)
def test_delta_seconds_reads_digits_and_caps_at_2_31_rfc9111_1_2_2(value, expected):
    assert delta_seconds(value) == expected


@pytest.mark.parametrize("value", [None, "", " ", "-1", "+1", "1.5", "1 0", "abc", "\u0661", "²"])
def test_delta_seconds_is_none_for_anything_but_digits_rfc9111_1_2_2(value):
    assert delta_seconds(value) is None


@given(st.text())
def test_delta_seconds_never_raises_and_stays_in_range(value):
    seconds = delta_seconds(value)
    assert seconds is None or 0 <= seconds <= MAX_DELTA_SECONDS


# parse_http_date, RFC 9110 §5.6.7


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete RFC 850 format
        "Sun Nov  6 08:49:37 1994",  # obsolete asctime format, no zone: UTC
    ],
)
def test_http_date_formats_rfc9110_5_6_7(value):
    assert parse_http_date(value) == 784111777.0


@pytest.mark.parametrize(
    "value",
    [None, "", "0", "-1", "tomorrow", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 99999 0:0:0"],
)
def test_invalid_http_dates_are_none_rfc9110_5_6_7(value):
    assert parse_http_date(value) is None


@given(st.floats(min_value=0, max_value=4e9).map(int))
def test_http_dates_round_trip(seconds):
    assert parse_http_date(formatdate(seconds, usegmt=True)) == seconds


@given(st.text())
def test_parse_http_date_never_raises(value):
    parse_http_date(value)


# age_seconds, RFC 9111 §5.1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0), ("", 0), ("120", 120), ("x", 0), ("-5", 0), ("x, 30, 40", 30), ("1e3", 0)],
)
def test_age_is_delta_seconds_else_zero_rfc9111_5_1(value, expected):
    assert age_seconds(value) == expected


# response_caching, RFC 9111 §4.2.1 and RFC 9213


# What a response without any caching field amounts to.
NOTHING = ResponseCaching(
    lifetime=None,
    swr=0.0,
    sie=0.0,
    no_store=False,
    no_cache=False,
    private=False,
    public=False,
    must_revalidate=False,
    s_maxage=False,
    targeted=False,
)


def test_no_caching_headers_give_no_explicit_lifetime():
    assert _response() == NOTHING


def test_max_age_is_the_lifetime_rfc9111_5_2_2_1():
    assert _response(cache_control="max-age=60").lifetime == 60


def test_s_maxage_wins_over_max_age_rfc9111_5_2_2_10():
    caching = _response(cache_control="max-age=60, s-maxage=600")
    assert (caching.lifetime, caching.s_maxage) == (600, True)


@pytest.mark.parametrize("cache_control", ["max-age=abc", "max-age=-1", "s-maxage=1.5, max-age=60"])
def test_invalid_max_age_means_stale_rfc9111_4_2_1(cache_control):
    assert _response(cache_control=cache_control).lifetime == 0


def test_max_age_wins_over_expires_rfc9111_5_3():
    expires = formatdate(NOW + 600, usegmt=True)
    assert _response(cache_control="max-age=60", expires=expires).lifetime == 60


def test_expires_minus_date_is_the_lifetime_rfc9111_4_2_1():
    date, expires = formatdate(NOW - 100, usegmt=True), formatdate(NOW + 500, usegmt=True)
    assert _response(expires=expires, date=date).lifetime == 600


@pytest.mark.parametrize("date", [None, "garbage"])
def test_expires_without_a_valid_date_counts_from_now_rfc9111_4_2_1(date):
    assert _response(expires=formatdate(NOW + 300, usegmt=True), date=date).lifetime == 300


@pytest.mark.parametrize("expires", ["0", "-1", "soon", ""])
def test_invalid_expires_means_already_expired_rfc9111_5_3(expires):
    assert _response(expires=expires).lifetime == 0


def test_expires_in_the_past_gives_lifetime_zero_rfc9111_4_2_1():
    assert _response(expires=formatdate(NOW - 60, usegmt=True)).lifetime == 0


@pytest.mark.parametrize(
    ("cache_control", "field", "expected"),
    [
        ("no-store", "no_store", True),
        ("no-cache", "no_cache", True),
        ('no-cache="Set-Cookie"', "no_cache", True),
        ("private", "private", True),
        ('private="X-User"', "private", True),
        ("public", "public", True),
        ("must-revalidate", "must_revalidate", True),
        ("proxy-revalidate", "must_revalidate", True),
        ("stale-while-revalidate=30", "swr", 30.0),
        ("stale-if-error=300", "sie", 300.0),
        ("stale-while-revalidate=soon", "swr", 0.0),
        ("stale-if-error", "sie", 0.0),
    ],
)
def test_response_directives_rfc9111_5_2_2_and_rfc5861(cache_control, field, expected):
    assert getattr(_response(cache_control=cache_control), field) == expected


def test_pragma_no_cache_counts_without_cache_control_rfc9111_5_4():
    assert _response(pragma="no-cache").no_cache


def test_pragma_is_ignored_when_cache_control_is_present_rfc9111_5_4():
    assert not _response(cache_control="max-age=60", pragma="no-cache").no_cache


def test_cdn_cache_control_alone_decides_rfc9213_2_2():
    caching = _response(
        cache_control="no-store, private, max-age=5",
        cdn_cache_control="max-age=600, stale-while-revalidate=60",
        expires="0",
        pragma="no-cache",
    )
    assert caching == dataclasses.replace(NOTHING, lifetime=600, swr=60.0, targeted=True)


def test_cdn_cache_control_s_maxage_wins_over_its_max_age():
    assert _response(cdn_cache_control="max-age=60, s-maxage=600").lifetime == 600


def test_cdn_cache_control_ignores_expires_rfc9213_2_2():
    caching = _response(cdn_cache_control="public", expires=formatdate(NOW + 60, usegmt=True))
    assert (caching.lifetime, caching.public, caching.targeted) == (None, True, True)


@pytest.mark.parametrize(
    ("cdn_cache_control", "field"),
    [
        ("no-store", "no_store"),
        ("no-cache", "no_cache"),
        ("private", "private"),
        ("must-revalidate", "must_revalidate"),
    ],
)
def test_cdn_cache_control_directives_apply_rfc9213_2_2(cdn_cache_control, field):
    assert getattr(_response(cdn_cache_control=cdn_cache_control, cache_control="public"), field)


def test_invalid_cdn_cache_control_falls_back_to_cache_control_rfc9213_2_1():
    caching = _response(cdn_cache_control="max-age=600,", cache_control="max-age=60")
    assert (caching.lifetime, caching.targeted) == (60, False)


@given(
    cache_control=st.none() | st.text(),
    cdn_cache_control=st.none() | st.text(),
    expires=st.none() | st.text(),
    date=st.none() | st.text(),
    pragma=st.none() | st.text(),
)
def test_response_caching_never_raises(cache_control, cdn_cache_control, expires, date, pragma):
    caching = _response(
        cache_control=cache_control,
        cdn_cache_control=cdn_cache_control,
        expires=expires,
        date=date,
        pragma=pragma,
    )
    assert caching.lifetime is None or caching.lifetime >= 0


# request_caching, RFC 9111 §5.2.1


def test_no_request_directives():
    assert request_caching(cache_control=None, pragma=None) == RequestCaching(
        no_store=False,
        no_cache=False,
        max_age=None,
        max_stale=None,
        min_fresh=None,
        only_if_cached=False,
    )


@pytest.mark.parametrize(
    ("cache_control", "field", "expected"),
    [
        ("no-store", "no_store", True),
        ("no-cache", "no_cache", True),
        ("max-age=0", "no_cache", True),
        ("max-age=5", "no_cache", False),
        ("max-age=5", "max_age", 5),
        ('max-age="5"', "max_age", 5),
        ("max-age=soon", "max_age", None),
        ("max-stale", "max_stale", MAX_DELTA_SECONDS),
        ("max-stale=30", "max_stale", 30),
        ("max-stale=x", "max_stale", None),
        ("min-fresh=10", "min_fresh", 10),
        ("only-if-cached", "only_if_cached", True),
    ],
)
def test_request_directives_rfc9111_5_2_1(cache_control, field, expected):
    assert getattr(request_caching(cache_control=cache_control, pragma=None), field) == expected


def test_request_pragma_no_cache_without_cache_control_rfc9111_5_4():
    assert request_caching(cache_control=None, pragma="no-cache").no_cache


def test_request_pragma_ignored_with_cache_control_rfc9111_5_4():
    assert not request_caching(cache_control="max-age=60", pragma="no-cache").no_cache


@given(cache_control=st.none() | st.text(), pragma=st.none() | st.text())
def test_request_caching_never_raises(cache_control, pragma):
    request_caching(cache_control=cache_control, pragma=pragma)
