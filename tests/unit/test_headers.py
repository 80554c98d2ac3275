"""JS Headers follow the Fetch standard."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.runtime.headers import JsHeaders

token = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1
)
value = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)


def test_get_is_case_insensitive_and_joins_repeats():
    headers = JsHeaders([("Accept", "a"), ("accept", "b")])
    assert headers.get("ACCEPT") == "a, b"


def test_get_of_a_missing_name_is_none():
    assert JsHeaders().get("x") is None


def test_iteration_is_sorted_and_lower_cased():
    headers = JsHeaders({"B": "2", "a": "1"})
    assert list(headers) == [("a", "1"), ("b", "2")]


def test_set_cookie_is_never_joined():
    headers = JsHeaders([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    assert headers.getSetCookie() == ["a=1", "b=2"]
    assert list(headers) == [("set-cookie", "a=1"), ("set-cookie", "b=2")]


def test_set_replaces_every_value():
    headers = JsHeaders([("x", "1"), ("X", "2")])
    headers.set("x", "3")
    assert headers.get("x") == "3"


def test_an_invalid_name_is_a_type_error():
    with pytest.raises(TypeError, match="Invalid header name"):
        JsHeaders({"bad name": "x"})


def test_a_value_with_a_newline_is_a_type_error():
    with pytest.raises(TypeError, match="Invalid header value"):
        JsHeaders({"x": "a\nb"})


@given(st.lists(st.tuples(token, value), max_size=8))
def test_every_appended_field_is_kept_in_order(pairs):
    headers = JsHeaders(pairs)
    assert headers.raw() == [(name.lower(), v.strip(" \t")) for name, v in pairs]


@given(token, value)
def test_has_agrees_with_get(name, v):
    headers = JsHeaders([(name, v)])
    assert headers.has(name.upper())
    assert headers.get(name.swapcase()) is not None
