"""Cache hints: validators, dates, tag headers and when a request may be answered 304."""

from __future__ import annotations

import pytest

from emulator.origin.http_cache import (
    BYPASS,
    COLD_PAGE,
    HOT_INVENTORY,
    cache_tag_header,
    http_date,
    is_not_modified,
    strong_etag,
)

ETAG = strong_etag(b"body")
LAST_MODIFIED = 1_767_225_600.0  # Thu, 01 Jan 2026 00:00:00 GMT


def test_a_strong_etag_is_a_quoted_hash_that_changes_with_every_byte() -> None:
    assert ETAG.startswith('"')
    assert ETAG.endswith('"')
    assert not ETAG.startswith("W/")
    assert strong_etag(b"body") == ETAG
    assert strong_etag(b"bodY") != ETAG


def test_http_dates_are_imf_fixdates_in_gmt() -> None:
    assert http_date(LAST_MODIFIED) == "Thu, 01 Jan 2026 00:00:00 GMT"


def test_cache_tags_are_joined_with_commas_without_duplicates() -> None:
    assert cache_tag_header(["inventory", "store:a", "inventory", "product:B"]) == (
        "inventory,store:a,product:B"
    )


def test_only_public_classes_get_validators() -> None:
    assert HOT_INVENTORY.validators
    assert COLD_PAGE.validators
    assert not BYPASS.validators


@pytest.mark.parametrize(
    ("if_none_match", "if_modified_since", "expected"),
    [
        (ETAG, None, True),
        ("W/" + ETAG, None, True),  # If-None-Match compares weakly
        ('"other", ' + ETAG, None, True),
        ("*", None, True),
        ('"other"', None, False),
        ('"other"', "Thu, 01 Jan 2026 00:00:00 GMT", False),  # If-None-Match wins
        (None, "Thu, 01 Jan 2026 00:00:00 GMT", True),
        (None, "Fri, 02 Jan 2026 00:00:00 GMT", True),
        (None, "Wed, 31 Dec 2025 23:59:59 GMT", False),
        (None, "yesterday", False),  # an invalid date is ignored
        (None, None, False),
    ],
)
def test_a_request_is_not_modified_per_rfc_9110(
    if_none_match: str | None, if_modified_since: str | None, expected: bool
) -> None:
    assert is_not_modified(if_none_match, if_modified_since, ETAG, LAST_MODIFIED) is expected


def test_if_modified_since_needs_a_last_modified_to_compare_with() -> None:
    assert not is_not_modified(None, "Thu, 01 Jan 2026 00:00:00 GMT", ETAG, None)
