"""Cache tags from an origin response's headers, ready to store with the entry and purge by.

Origins name tags in three dialects: Cache-Groups (RFC 9875 §2: an sf-list of Strings, RFC 8941
§3.1), Cloudflare's comma-separated Cache-Tag and Fastly's space-separated Surrogate-Key. The
edge keeps them as one comma-joined Cache-Tag value within Cloudflare's limits, compared
case-insensitively as Cloudflare does, so each tag must survive that join: a tag with a comma,
a control character or whitespace, or more than ``MAX_TAG_BYTES`` bytes of UTF-8, is dropped.
Nothing here raises, whatever the origin sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from sfv import Item, SFVError, Token, parse_list

__all__ = [
    "MAX_TAGS_HEADER_BYTES",
    "MAX_TAG_BYTES",
    "TAG_HEADERS",
    "invalidated_groups",
    "response_tags",
    "tag_header",
]

MAX_TAG_BYTES = 1024  # Cloudflare: a tag is at most 1,024 characters
MAX_TAGS_HEADER_BYTES = 16 * 1024  # Cloudflare: all Cache-Tag values together at most 16 KB
# Stripped before the client sees a response, as Cloudflare strips Cache-Tag.
TAG_HEADERS: frozenset[str] = frozenset({"cache-groups", "cache-tag", "surrogate-key"})

# What cannot travel inside a comma-joined Cache-Tag value: commas, whitespace (Cloudflare allows
# no spaces in a tag), control characters (C0, DEL, C1) and lone surrogates (no UTF-8 form).
_UNUSABLE = re.compile(r"[,\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def response_tags(
    *,
    cache_groups: str | None,
    cache_tag: str | None,
    surrogate_key: str | None,
    extra: Iterable[str] = (),
) -> tuple[str, ...]:
    """The response's tags, normalised and de-duplicated, first occurrence first.

    ``extra`` (the edge's own tags) come first, then Cache-Groups, Cache-Tag and Surrogate-Key.
    Tags are added until the comma-joined header would pass ``MAX_TAGS_HEADER_BYTES``.
    """
    tags: dict[str, None] = {}
    size = -1  # no comma before the first tag
    for tag in _normalised(_candidates(extra, cache_groups, cache_tag, surrogate_key)):
        if tag in tags:
            continue
        size += 1 + len(tag.encode())
        if size > MAX_TAGS_HEADER_BYTES:
            break
        tags[tag] = None
    return tuple(tags)


def tag_header(tags: Iterable[str]) -> str:
    """The Cache-Tag value the edge stores with an entry: ``tags`` joined with commas."""
    return ",".join(tags)


def invalidated_groups(value: str | None) -> tuple[str, ...]:
    """The groups a ``Cache-Group-Invalidation`` field names (RFC 9875 §3: the Cache-Groups
    syntax), as the tags they were stored under; empty when it does not parse."""
    return tuple(dict.fromkeys(_normalised(_cache_groups(value))))


def _candidates(
    extra: Iterable[str], cache_groups: str | None, cache_tag: str | None, surrogate_key: str | None
) -> Iterator[str]:
    yield from extra
    yield from _cache_groups(cache_groups)
    yield from (cache_tag or "").split(",")
    yield from re.split(r"[ \t]+", surrogate_key or "")


def _cache_groups(value: str | None) -> list[str]:
    """Cache-Groups members (RFC 9875 §2). The field must be a List of Strings: one that fails to
    parse, or holds any other member, is ignored as a whole (RFC 8941 §2, §4.2). Parameters are
    ignored (RFC 9875 §2)."""
    if value is None:
        return []
    try:
        members = parse_list(value)
    except SFVError:
        return []
    groups = [
        member.value
        for member in members
        if isinstance(member, Item)
        and isinstance(member.value, str)
        and not isinstance(member.value, Token)
    ]
    return groups if len(groups) == len(members) else []


def _normalised(candidates: Iterable[str]) -> Iterator[str]:
    for candidate in candidates:
        tag = candidate.strip(" \t").lower()  # OWS, RFC 9110 §5.6.3
        # len() first: a character is at least one byte, and the origin's tag may be huge.
        if (
            0 < len(tag) <= MAX_TAG_BYTES
            and not _UNUSABLE.search(tag)
            and len(tag.encode()) <= MAX_TAG_BYTES
        ):
            yield tag
