"""Client preconditions answered at the edge, and the origin's 304 folded in (RFC 9110 §13)."""

import pytest
from conditional import freshen, is_not_modified, validators
from messages import Fields

STORED = Fields(
    [("etag", 'W/"v1"'), ("last-modified", "Thu, 01 Jan 2026 00:00:00 GMT"), ("x-a", "1")]
)


@pytest.mark.parametrize(
    ("request_fields", "expected"),
    [
        ([("if-none-match", '"v1"')], True),
        ([("if-none-match", '"v0", W/"v1"')], True),
        ([("if-none-match", "*")], True),
        ([("if-none-match", '"v2"')], False),
        ([("if-none-match", "garbage")], False),
        ([("if-modified-since", "Thu, 01 Jan 2026 00:00:00 GMT")], True),
        ([("if-modified-since", "Wed, 31 Dec 2025 00:00:00 GMT")], False),
        ([("if-modified-since", "not a date")], False),
        (
            [("if-none-match", '"v2"'), ("if-modified-since", "Fri, 02 Jan 2026 00:00:00 GMT")],
            False,
        ),
        ([], False),
    ],
    ids=[
        "weak-comparison-rfc9110-13-1-2",
        "any-tag-in-the-list",
        "star-matches-any-stored-tag",
        "other-tag",
        "unparsable-never-matches",
        "not-modified-since-rfc9110-13-1-3",
        "modified-since",
        "bad-date-never-matches",
        "if-none-match-decides-when-present-rfc9110-13-2-2",
        "unconditional",
    ],
)
def test_is_not_modified(request_fields, expected):
    assert is_not_modified(Fields(request_fields), STORED) is expected


def test_validators_ask_with_the_stored_etag_and_date_rfc9111_4_3_1():
    assert validators(STORED) == [
        ("if-none-match", 'W/"v1"'),
        ("if-modified-since", "Thu, 01 Jan 2026 00:00:00 GMT"),
    ]


def test_a_304_updates_stored_fields_but_never_content_length_rfc9111_3_2():
    merged = freshen(
        Fields([*STORED, ("content-length", "5")]),
        Fields([("etag", 'W/"v1"'), ("x-a", "2"), ("content-length", "0")]),
    )
    assert merged.get("x-a") == "2"
    assert merged.get("content-length") == "5"
    assert merged.get("last-modified") == "Thu, 01 Jan 2026 00:00:00 GMT"
