"""JSON the edge decodes is measured first, and JSON it encodes always has bytes."""

from __future__ import annotations

import json

import pytest
from batch import item_json
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonbounds import MAX_NESTING, TooDeep, dump, load, load_document, nesting
from messages import EdgeResponse, Fields

JSON = Fields([("content-type", "application/json")])


@pytest.mark.parametrize(
    ("text", "depth"),
    [("1", 0), ("[]", 1), ('{"a": [[1], {"b": []}]}', 4), ('["[[[", "]]]"]', 1)],
)
def test_nesting_counts_the_brackets_outside_strings(text, depth):
    assert nesting(text) == depth


def test_nesting_ignores_brackets_after_escaped_quotes_inside_a_string():
    assert nesting(r'["a \" [[[ b"]') == 1


def test_nesting_of_an_unterminated_string_ends_with_the_text():
    assert nesting('["' + "[" * 1000) == 1


def test_json_nested_past_the_limit_is_refused_before_it_is_decoded():
    with pytest.raises(TooDeep, match=f"nest 100000 deep, more than the {MAX_NESTING} allowed"):
        load("[" * 100_000)


def test_json_nested_exactly_to_the_limit_is_decoded():
    text = "[" * MAX_NESTING + "]" * MAX_NESTING
    assert load(text) == json.loads(text)


@pytest.mark.parametrize("text", [b"NaN", b"[Infinity]", b"[-Infinity]", b"\xff", b"{", b""])
def test_what_is_not_json_is_a_value_error(text):
    with pytest.raises(ValueError):  # noqa: PT011 - every one of them is plain ValueError
        load(text)


def test_dump_is_compact_utf8():
    assert dump({"name": "crème", "n": [1, 2]}) == '{"name":"crème","n":[1,2]}'.encode()


def test_dump_escapes_a_lone_surrogate_instead_of_failing():
    assert dump(["\ud800", "é"]) == b'["\\ud800","\\u00e9"]'


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), st.lists, max_leaves=20))
def test_whatever_dump_writes_load_reads_back(value):
    assert load(dump(value)) == value


def test_an_origin_json_body_nested_past_the_limit_reaches_the_batch_as_base64():
    body = b"[" * 10_000 + b"]" * 10_000
    entry = item_json("deep", EdgeResponse(200, JSON, body))
    assert entry["encoding"] == "base64"


def test_a_document_naming_a_member_twice_is_refused():
    with pytest.raises(ValueError, match="member 'a' appears twice"):
        load_document(b'{"a": 1, "b": {"c": 2}, "a": 3}')


def test_a_document_that_is_not_utf8_says_so():
    with pytest.raises(ValueError, match=r"^not UTF-8$"):
        load_document(b'{"a": "\xff"}')


def test_a_document_reads_as_load_does():
    assert load_document(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
