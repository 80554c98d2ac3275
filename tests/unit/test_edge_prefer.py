"""A Prefer field (RFC 7240) is read for respond-async and wait, whatever the client sends."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefer import Preferences, parse_prefer, preference_applied

MAX_WAIT = 30.0
NOTHING = Preferences(respond_async=False, wait=None)


def prefer(value):
    return parse_prefer(value, max_wait=MAX_WAIT)


# The examples of RFC 7240


def test_respond_async_rfc7240_4_1():
    assert prefer("respond-async") == Preferences(respond_async=True, wait=None)


def test_respond_async_with_wait_rfc7240_4_3():
    assert prefer("respond-async, wait=10") == Preferences(respond_async=True, wait=10.0)


def test_repeated_lines_joined_read_as_one_list_rfc7240_2():
    joined = prefer("respond-async, wait=10, handling=lenient")
    assert joined == prefer("handling=lenient, wait=10, respond-async")
    assert joined == Preferences(respond_async=True, wait=10.0)


@pytest.mark.parametrize(
    "value", ["respond-async; bar", 'respond-async; bar=""', 'respond-async=""; bar']
)
def test_an_empty_value_is_no_value_rfc7240_2(value):
    assert prefer(value).respond_async


# Syntax, RFC 7240 §2


def test_names_are_case_insensitive_rfc7240_2():
    assert prefer("RESPOND-ASYNC, Wait=5") == Preferences(respond_async=True, wait=5.0)


@pytest.mark.parametrize(
    ("value", "wait"),
    [
        ("wait=5, wait=10", 5.0),
        ("wait=10, respond-async, wait=5", 10.0),
        ("wait=abc, wait=10", None),  # the first instance counts, though unusable
        ("wait=, wait=10", None),
        ("wait=1 2, wait=10", None),
        ("wait@=5, wait=2", 2.0),  # not a preference at all, so not an instance of wait
    ],
)
def test_the_first_instance_of_a_preference_wins_rfc7240_2(value, wait):
    assert prefer(value).wait == wait


def test_a_first_respond_async_with_a_value_hides_a_later_one_rfc7240_2():
    assert not prefer("respond-async=yes, respond-async").respond_async


@pytest.mark.parametrize("value", ['wait="7"', 'wait="\\7"', "wait = 7", "wait\t=\t7", " wait=7 "])
def test_a_value_is_a_token_or_quoted_string_with_bws_around_equals_rfc7240_2(value):
    assert prefer(value).wait == 7.0


def test_commas_inside_quoted_strings_do_not_split_rfc9110_5_6_4():
    assert prefer('foo="a, wait=3, respond-async", wait=4') == Preferences(False, 4.0)


@pytest.mark.parametrize(
    "value", ["wait=5; unit=ms", "wait=5;", 'wait=5 ; x="a;b, c"; y', "wait=5;;;=junk"]
)
def test_parameters_after_a_semicolon_are_ignored_rfc7240_2(value):
    assert prefer(value).wait == 5.0


def test_an_unterminated_quoted_string_swallows_the_rest():
    assert prefer('x="open, wait=5, respond-async') == NOTHING


@pytest.mark.parametrize(
    "value", [None, "", " , ,, ", "return=minimal, handling=strict", "wait-for=5, async"]
)
def test_absent_empty_or_unknown_preferences_leave_the_defaults(value):
    assert prefer(value) == NOTHING


@pytest.mark.parametrize("value", ["respond-async=yes", "respond-async=", "respond-async x"])
def test_respond_async_takes_no_value_rfc7240_4_1(value):
    assert prefer(value) == Preferences(respond_async=value == "respond-async=", wait=None)


# wait, RFC 7240 §4.3: delta-seconds


@pytest.mark.parametrize(
    ("value", "wait"),
    [("wait=0", 0.0), ("wait=007", 7.0), ("wait=30", 30.0), ("wait=31", 30.0)],
)
def test_wait_is_delta_seconds_clamped_to_max_wait_rfc7240_4_3(value, wait):
    assert prefer(value).wait == wait


@pytest.mark.parametrize("digits", ["99999999999999999999", "9" * 5000, "0" * 5000 + "3"])
def test_long_digit_strings_are_read_without_int_of_the_whole(digits):
    assert prefer(f"wait={digits}").wait == (3.0 if digits.endswith("03") else MAX_WAIT)


@pytest.mark.parametrize("value", ["-1", "+1", "1.5", "1e3", "abc", '""', "\u0663", "²", '" 5"x'])
def test_a_wait_that_is_not_delta_seconds_is_ignored_rfc7240_4_3(value):
    assert prefer(f"respond-async, wait={value}") == Preferences(respond_async=True, wait=None)


def test_max_wait_zero_allows_only_zero():
    assert parse_prefer("wait=10", max_wait=0).wait == 0.0


@pytest.mark.parametrize("max_wait", [-1.0, float("nan")])
def test_a_negative_max_wait_is_a_wiring_mistake(max_wait):
    with pytest.raises(ValueError, match="max_wait"):
        parse_prefer("wait=1", max_wait=max_wait)


# Preference-Applied, RFC 7240 §3


@pytest.mark.parametrize(
    ("applied", "field"),
    [
        (Preferences(respond_async=True, wait=3.0), "respond-async, wait=3"),
        (Preferences(respond_async=True), "respond-async"),
        (Preferences(wait=0.0), "wait=0"),
        (Preferences(wait=2.9), "wait=2"),  # whole seconds, rounded down
        (NOTHING, None),
    ],
)
def test_preference_applied_names_what_was_honoured_rfc7240_3(applied, field):
    assert preference_applied(applied) == field


@pytest.mark.parametrize("wait", [-1.0, float("nan"), float("inf")])
def test_preferences_refuse_a_wait_that_is_not_seconds(wait):
    with pytest.raises(ValueError, match="wait"):
        Preferences(wait=wait)


# Hostile input


_PREFER_TEXT = st.text(alphabet=st.sampled_from(list(' \t,;="\\-09wait=respond-async\x00\x7fé')))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), _PREFER_TEXT), st.floats(min_value=0, max_value=1e9))
def test_parse_prefer_never_raises_and_keeps_wait_in_range(value, max_wait):
    wait = parse_prefer(value, max_wait=max_wait).wait
    assert wait is None or 0 <= wait <= max_wait


@settings(max_examples=200, deadline=None)
@given(st.booleans(), st.none() | st.integers(min_value=0, max_value=int(MAX_WAIT)))
def test_preference_applied_reads_back_as_the_same_preferences(respond_async, wait):
    applied = Preferences(respond_async, None if wait is None else float(wait))
    assert prefer(preference_applied(applied)) == applied


@pytest.mark.parametrize(
    "value",
    [
        '"' * 100_000,
        'wait="' + "\\" * 100_000,
        'wait="' + "a" * 100_000,
        "w" * 100_000 + "@",
        "wait=" + "9" * 100_000,
        ", " * 50_000,
        "x;" * 50_000,
        "respond-async=" + "\x01" * 100_000,
        "a=b " * 25_000,
    ],
)
def test_a_100_kb_hostile_field_is_read_in_linear_time(value):
    started = time.monotonic()
    wait = prefer(value).wait
    assert time.monotonic() - started < 2
    assert wait is None or wait == MAX_WAIT
