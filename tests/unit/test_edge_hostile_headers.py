"""Hostile header values: every parser of a request or origin header field is total.

Header values reach the edge from clients and origins it does not control. The HTTP layer
hands them over as text, bytes it could not decode as lone surrogates (``surrogateescape``),
so the values here are arbitrary text, Latin-1 text, such surrogate-escaped bytes, and
near-misses of each grammar. Each parser either returns its value or raises its own
documented error; nothing else escapes, and none takes more than linear time on a long value.
"""

from __future__ import annotations

import contextlib
import string

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
from conditional import freshen, is_not_modified, validators
from health import parse_retry_after
from hostile import outcome, quickly
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import Fields
from prefer import Preferences, parse_prefer
from sfv import SFVError, parse_dictionary, parse_list
from signature import SignatureError, sign, verify
from tags import MAX_TAGS_HEADER_BYTES, invalidated_groups, response_tags, tag_header

HOSTILE = settings(max_examples=300, deadline=None)

# Text as the HTTP layer may hand it over: any Unicode (lone surrogates included), Latin-1
# (obs-text), undecodable bytes escaped as surrogates, and the grammar's own characters.
ANY_TEXT = st.text(st.characters(exclude_categories=()))
LATIN1 = st.text(st.characters(max_codepoint=0xFF))
ESCAPED_BYTES = st.binary().map(lambda raw: raw.decode("utf-8", "surrogateescape"))
GRAMMAR = st.text(st.sampled_from('=,;"\\ \t*?:()-.')) | st.lists(
    st.sampled_from(
        [
            "max-age=",
            "s-maxage",
            "=",
            '"',
            "\\",
            ",",
            ";",
            "9" * 30,
            "-1",
            "private",
            "no-cache",
            "stale-while-revalidate=",
            "?1",
            ":YWJj:",
            "(",
            ")",
            "1.5",
            "%",
            "\x00",
            "\r\n",
            "\udcff",
            "W/",
            "t=",
            "v1=",
            "respond-async",
            "wait=",
        ]
    )
).map("".join)
HEADER = ANY_TEXT | LATIN1 | ESCAPED_BYTES | GRAMMAR
MAYBE_HEADER = st.none() | HEADER
NOW = 1_800_000_000.0
LONG = 64 * 1024  # a 64 KiB field: more than any front end lets through


# --- Cache-Control, CDN-Cache-Control, Pragma, Expires, Age ----------------------------------


@HOSTILE
@given(HEADER)
def test_cache_control_parses_any_value_into_lower_case_directives(value: str) -> None:
    directives = parse_cache_control(value)
    assert all(name == name.lower() for name in directives)


@HOSTILE
@given(HEADER)
def test_a_targeted_field_is_directives_or_ignored_whatever_its_value(value: str) -> None:
    directives = parse_targeted(value)
    assert directives is None or all(isinstance(name, str) for name in directives)


@HOSTILE
@given(HEADER)
def test_delta_seconds_is_none_or_within_the_cap(value: str) -> None:
    seconds = delta_seconds(value)
    assert seconds is None or 0 <= seconds <= MAX_DELTA_SECONDS


@HOSTILE
@given(HEADER)
def test_an_http_date_is_none_or_a_number_of_seconds(value: str) -> None:
    moment = parse_http_date(value)
    assert moment is None or isinstance(moment, float)


@HOSTILE
@given(HEADER)
def test_age_is_never_negative(value: str) -> None:
    assert 0 <= age_seconds(value) <= MAX_DELTA_SECONDS


@HOSTILE
@given(MAYBE_HEADER, MAYBE_HEADER, MAYBE_HEADER, MAYBE_HEADER, MAYBE_HEADER)
def test_response_caching_reads_any_set_of_origin_fields(
    cache_control: str | None,
    cdn_cache_control: str | None,
    expires: str | None,
    date: str | None,
    pragma: str | None,
) -> None:
    caching = response_caching(
        cache_control=cache_control,
        cdn_cache_control=cdn_cache_control,
        expires=expires,
        date=date,
        pragma=pragma,
        now=NOW,
    )
    assert isinstance(caching, ResponseCaching)
    assert caching.lifetime is None or caching.lifetime >= 0
    assert caching.swr >= 0
    assert caching.sie >= 0


@HOSTILE
@given(MAYBE_HEADER, MAYBE_HEADER)
def test_request_caching_reads_any_client_fields(
    cache_control: str | None, pragma: str | None
) -> None:
    caching = request_caching(cache_control=cache_control, pragma=pragma)
    assert isinstance(caching, RequestCaching)


@pytest.mark.parametrize(
    "value",
    [
        "max-age=" + "9" * 5000,  # past int()'s digit limit
        "max-age=\U0001d7d7",  # a non-ASCII digit: str.isdigit() says yes
        'private="' + "\\" * 9999,  # an unterminated quoted-string of escapes
        "no-store,\udcff\udcfe",  # bytes that were not UTF-8
        "\x00max-age=60",
    ],
)
def test_response_caching_survives_known_hostile_values(value: str) -> None:
    caching = response_caching(
        cache_control=value, cdn_cache_control=value, expires=value, date=value, pragma=value, now=0
    )
    assert caching.lifetime is None or 0 <= caching.lifetime <= MAX_DELTA_SECONDS


def test_a_non_ascii_digit_is_not_delta_seconds() -> None:
    assert delta_seconds("\U0001d7d7") is None


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 99999999999 08:49:37 GMT",  # a year past datetime's range
        "Sun, 06 Nov 1994 99:99:99 GMT",
        "Sun, 06 Nov 1994 08:49:37 +9999",  # an offset past a day
        "\udcff, 06 Nov 1994",
        "06 Nov",
    ],
)
def test_an_impossible_http_date_is_no_date(value: str) -> None:
    assert parse_http_date(value) is None


# --- Structured Field Values ------------------------------------------------------------------


@HOSTILE
@given(HEADER)
def test_an_sf_list_parses_or_raises_sfverror(value: str) -> None:
    with contextlib.suppress(SFVError):
        parse_list(value)


@HOSTILE
@given(HEADER)
def test_an_sf_dictionary_parses_or_raises_sfverror(value: str) -> None:
    with contextlib.suppress(SFVError):
        parse_dictionary(value)


@pytest.mark.parametrize(
    "value",
    [
        "a=" + "1" * 16,  # an Integer of 16 digits: more than RFC 8941 allows
        "a=1." + "1" * 4,  # a Decimal of 4 fraction digits
        "a=:YW\x00Jj:",
        "a=(" * 1000,
        'a="\\x"',
        "a=?2",
        "a=%",
    ],
)
def test_an_invalid_sf_dictionary_raises_sfverror(value: str) -> None:
    with pytest.raises(SFVError):
        parse_dictionary(value)


def test_a_deep_inner_list_of_a_long_field_is_refused_in_linear_time() -> None:
    with pytest.raises(SFVError):
        quickly(parse_list, "(" * LONG)


# --- Prefer, Retry-After ----------------------------------------------------------------------


@HOSTILE
@given(HEADER)
def test_prefer_is_always_preferences_with_a_bounded_wait(value: str) -> None:
    preferences = parse_prefer(value, max_wait=10.0)
    assert isinstance(preferences, Preferences)
    assert preferences.wait is None or 0 <= preferences.wait <= 10.0


@pytest.mark.parametrize(
    "value",
    ["wait=" + "9" * 5000, 'wait="' + "\\" * LONG, "," * LONG, '"' * LONG, "wait=\U0001d7d7"],
)
def test_prefer_reads_a_long_or_odd_field_quickly(value: str) -> None:
    preferences = quickly(parse_prefer, value, max_wait=10.0)
    assert preferences.wait in (None, 10.0)


@HOSTILE
@given(HEADER)
def test_retry_after_is_none_or_within_the_cap(value: str) -> None:
    seconds = parse_retry_after(value, NOW, cap=60.0)
    assert seconds is None or 0.0 <= seconds <= 60.0


@pytest.mark.parametrize(
    "value", ["9" * 5000, "-1", "1.5", "\U0001d7d7", "Sun, 06 Nov 99999 08:49:37 GMT", " " * LONG]
)
def test_a_hostile_retry_after_is_capped_or_ignored(value: str) -> None:
    seconds = quickly(parse_retry_after, value, NOW, cap=60.0)
    assert seconds in (None, 60.0)


# --- Conditional requests ---------------------------------------------------------------------


@HOSTILE
@given(MAYBE_HEADER, MAYBE_HEADER, MAYBE_HEADER, MAYBE_HEADER)
def test_conditional_fields_never_raise(
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str | None,
    last_modified: str | None,
) -> None:
    request = Fields(
        (name, value)
        for name, value in (
            ("if-none-match", if_none_match),
            ("if-modified-since", if_modified_since),
        )
        if value is not None
    )
    stored = Fields(
        (name, value)
        for name, value in (("etag", etag), ("last-modified", last_modified))
        if value is not None
    )
    assert isinstance(is_not_modified(request, stored), bool)
    assert len(validators(stored)) == (etag is not None) + (last_modified is not None)
    assert isinstance(freshen(stored, request), Fields)


@pytest.mark.parametrize(
    "if_none_match",
    [" " * LONG, "\t" * LONG, 'W/"' * (LONG // 3), '"a",' * (LONG // 4), "," * LONG],
)
def test_a_long_if_none_match_is_compared_quickly(if_none_match: str) -> None:
    request = Fields([("if-none-match", if_none_match)])
    stored = Fields([("etag", '"v1"')])
    assert quickly(is_not_modified, request, stored) is False


# --- Cache tags -------------------------------------------------------------------------------


@HOSTILE
@given(MAYBE_HEADER, MAYBE_HEADER, MAYBE_HEADER)
def test_response_tags_are_always_joinable_within_the_header_limit(
    cache_groups: str | None, cache_tag: str | None, surrogate_key: str | None
) -> None:
    tags = response_tags(
        cache_groups=cache_groups, cache_tag=cache_tag, surrogate_key=surrogate_key
    )
    header = tag_header(tags)
    assert len(header.encode()) <= MAX_TAGS_HEADER_BYTES
    assert all(tag and "," not in tag and tag == tag.strip() for tag in tags)


@HOSTILE
@given(MAYBE_HEADER)
def test_a_cache_group_invalidation_field_gives_tags_or_none(value: str | None) -> None:
    groups = invalidated_groups(value)
    assert all(group and "," not in group for group in groups)


def test_a_huge_cache_tag_field_is_cut_to_the_header_limit() -> None:
    many = ",".join(f"t{index}" for index in range(LONG))
    tags = quickly(response_tags, cache_groups=None, cache_tag=many, surrogate_key=many)
    assert 0 < len(tag_header(tags).encode()) <= MAX_TAGS_HEADER_BYTES


def test_a_tag_with_a_lone_surrogate_is_dropped() -> None:
    tags = response_tags(cache_groups=None, cache_tag="ok,\udcff", surrogate_key=None)
    assert tags == ("ok",)


# --- Popcache-Signature -----------------------------------------------------------------------

SECRETS = ("s3cret",)
BODY = b'[{"event_id":"e1"}]'


@HOSTILE
@given(MAYBE_HEADER, st.binary(max_size=256))
def test_a_signature_header_is_accepted_or_refused_with_signatureerror(
    header: str | None, body: bytes
) -> None:
    refused = outcome(SignatureError, verify, header, body, SECRETS, now=NOW, tolerance=300)
    if isinstance(refused, SignatureError):
        assert refused.reason in ("missing", "malformed", "expired", "mismatch")


@HOSTILE
@given(st.integers(min_value=0, max_value=10**12 - 1), st.binary(max_size=64))
def test_a_signature_of_another_body_is_a_mismatch_or_expired(timestamp: int, body: bytes) -> None:
    header = sign(BODY, SECRETS, timestamp)
    with pytest.raises(SignatureError) as refused:
        verify(header, body + b" ", SECRETS, now=NOW, tolerance=300)
    assert refused.value.reason in ("mismatch", "expired")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("t=1,v1=" + "0" * 64 + ",t=2", "malformed"),  # t twice
        ("t=" + "9" * 13 + ",v1=" + "0" * 64, "malformed"),  # past the 12 digits of t
        ("t=\U0001d7d7,v1=" + "0" * 64, "malformed"),  # a non-ASCII digit
        ("t=1,v1=" + "0" * 64 + "," * 2000, "malformed"),  # longer than 1 KiB
        ("t=1,v1=" + "A" * 64, "malformed"),  # upper-case hex
        ("t=1,v1=" + "\udcff" * 64, "malformed"),
        ("t=1", "malformed"),
        ("\t", "missing"),
    ],
)
def test_a_malformed_signature_header_names_its_reason(header: str, reason: str) -> None:
    with pytest.raises(SignatureError) as refused:
        verify(header, BODY, SECRETS, now=NOW, tolerance=300)
    assert refused.value.reason == reason


def test_a_replayed_signature_outside_the_window_is_expired() -> None:
    header = sign(BODY, SECRETS, int(NOW) - 301)
    with pytest.raises(SignatureError) as refused:
        verify(header, BODY, SECRETS, now=NOW, tolerance=300)
    assert refused.value.reason == "expired"


def test_a_signature_by_the_previous_secret_still_verifies_during_a_rotation() -> None:
    header = sign(BODY, ["old"], int(NOW))
    assert verify(header, BODY, ["new", "old"], now=NOW, tolerance=300) == int(NOW)


@pytest.mark.parametrize("length", [10, 1000, LONG])
def test_header_characters_beyond_ascii_never_raise(length: int) -> None:
    for alphabet in (string.printable, "\x80\xff\udc80", "=,"):
        value = (alphabet * (length // len(alphabet) + 1))[:length]
        parse_cache_control(value)
        parse_targeted(value)
        parse_prefer(value, max_wait=1.0)
        response_tags(cache_groups=value, cache_tag=value, surrogate_key=value)
