"""Cache-Control and the other origin and client fields the edge reads: CDN-Cache-Control
(targeted), Expires, Date, Age, Pragma, Prefer, Retry-After, Structured Field Values, and the
cache tags (Cache-Groups, Cache-Tag, Surrogate-Key, Cache-Group-Invalidation).

As tests/unit/test_edge_hostile_headers.py: all total except the SFV parsers (``SFVError``).
"""

from __future__ import annotations

from cachecontrol import (
    MAX_DELTA_SECONDS,
    age_seconds,
    delta_seconds,
    parse_cache_control,
    parse_http_date,
    parse_targeted,
    request_caching,
    response_caching,
)
from health import parse_retry_after
from prefer import parse_prefer
from sfv import SFVError, parse_dictionary, parse_list
from tags import MAX_TAGS_HEADER_BYTES, invalidated_groups, response_tags, tag_header

from ..contract import checked, fields, framed, one_of, text

NOW = 1_800_000_000.0
TOTAL: tuple[type[Exception], ...] = ()


def _cache_control(raw: bytes) -> None:
    directives = checked(TOTAL, parse_cache_control, text(raw))
    assert all(name == name.lower() for name in directives)


def _targeted(raw: bytes) -> None:
    checked(TOTAL, parse_targeted, text(raw))


def _delta_seconds(raw: bytes) -> None:
    seconds = checked(TOTAL, delta_seconds, text(raw))
    assert seconds is None or 0 <= seconds <= MAX_DELTA_SECONDS


def _http_date(raw: bytes) -> None:
    moment = checked(TOTAL, parse_http_date, text(raw))
    assert moment is None or isinstance(moment, float)


def _age(raw: bytes) -> None:
    assert 0 <= checked(TOTAL, age_seconds, text(raw)) <= MAX_DELTA_SECONDS


def _response_caching(raw: bytes) -> None:
    cache_control, cdn_cache_control, expires, date, pragma = fields(raw, 5)
    caching = checked(
        TOTAL,
        response_caching,
        cache_control=cache_control,
        cdn_cache_control=cdn_cache_control,
        expires=expires,
        date=date,
        pragma=pragma,
        now=NOW,
    )
    assert caching.lifetime is None or caching.lifetime >= 0
    assert caching.swr >= 0
    assert caching.sie >= 0


def _request_caching(raw: bytes) -> None:
    cache_control, pragma = fields(raw, 2)
    checked(TOTAL, request_caching, cache_control=cache_control, pragma=pragma)


def _prefer(raw: bytes) -> None:
    preferences = checked(TOTAL, parse_prefer, text(raw), max_wait=10.0)
    assert preferences.wait is None or 0 <= preferences.wait <= 10.0


def _retry_after(raw: bytes) -> None:
    seconds = checked(TOTAL, parse_retry_after, text(raw), NOW, cap=60.0)
    assert seconds is None or 0.0 <= seconds <= 60.0


def _sf_list(raw: bytes) -> None:
    checked((SFVError,), parse_list, text(raw))


def _sf_dictionary(raw: bytes) -> None:
    checked((SFVError,), parse_dictionary, text(raw))


def _tags(raw: bytes) -> None:
    cache_groups, cache_tag, surrogate_key = fields(raw, 3)
    tags = checked(
        TOTAL,
        response_tags,
        cache_groups=cache_groups,
        cache_tag=cache_tag,
        surrogate_key=surrogate_key,
    )
    assert len(tag_header(tags).encode()) <= MAX_TAGS_HEADER_BYTES
    assert all(tag and "," not in tag and tag == tag.strip() for tag in tags)


def _invalidated_groups(raw: bytes) -> None:
    groups = checked(TOTAL, invalidated_groups, text(raw))
    assert all(group and "," not in group for group in groups)


PARSERS = (
    _cache_control,
    _targeted,
    _delta_seconds,
    _http_date,
    _age,
    _response_caching,
    _request_caching,
    _prefer,
    _retry_after,
    _sf_list,
    _sf_dictionary,
    _tags,
    _invalidated_groups,
)


fuzz_one = one_of(PARSERS)


SEEDS = (
    framed(0, 'public, max-age=60, s-maxage=300, stale-while-revalidate=30, private="set-cookie"'),
    framed(1, "max-age=600, stale-if-error=86400"),
    framed(2, "3600"),
    framed(3, "Sun, 06 Nov 1994 08:49:37 GMT"),
    framed(3, "Sunday, 06-Nov-94 08:49:37 GMT"),
    framed(4, "120"),
    framed(
        5,
        "public, max-age=60",
        "max-age=600",
        "Thu, 01 Dec 2026 16:00:00 GMT",
        "Thu, 01 Dec 2026 15:00:00 GMT",
        "no-cache",
    ),
    framed(6, "no-cache, max-stale=30", "no-cache"),
    framed(7, 'respond-async, wait=5, handling="lenient"'),
    framed(8, "120"),
    framed(8, "Wed, 21 Oct 2026 07:28:00 GMT"),
    framed(9, 'sugar, tea;q=0.5, (a "b");lvl=5, :YWJj:, ?1, 1.5'),
    framed(10, 'a=1, b;x=?0, c=(1 2), d="text", e=:YWJj:, f=@1700000000'),
    framed(11, "catalog, sku:1", "product-1,product-2", "key1 key2"),
    framed(12, "catalog, sku:1"),
)
