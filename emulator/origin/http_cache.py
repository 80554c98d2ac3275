"""The origin's cache hints and conditional requests, as pure functions over strings.

Each response belongs to one content class and carries that class's ``Cache-Control``
(RFC 9111 §5.2.2, RFC 5861 for the ``stale-*`` extensions). Cacheable responses also carry a
strong ``ETag`` (a hash of the body) and ``Last-Modified``, and a ``Cache-Tag`` list that names
what they show, so an edge can purge them by tag. Responses to unsafe requests that change what
cached responses show name the tags to drop in ``Cache-Group-Invalidation`` (RFC 9875 §3).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime

__all__ = [
    "BYPASS",
    "COLD_PAGE",
    "HOT_INVENTORY",
    "HOT_PRICES",
    "HOT_ZONE_INVENTORY",
    "MAX_CACHE_TAG_BYTES",
    "NO_STORE",
    "WARM_CATALOG",
    "WARM_RECOMMENDATIONS",
    "CachePolicy",
    "cache_groups_header",
    "cache_tag_header",
    "http_date",
    "is_not_modified",
    "strong_etag",
]


@dataclass(frozen=True)
class CachePolicy:
    """The hints one kind of response carries."""

    content_class: str  # hot | warm | cold | bypass | none; sent as Popcache-Content-Class
    cache_control: str
    vary: str | None = None

    @property
    def validators(self) -> bool:
        """Whether responses get ETag/Last-Modified and may be answered with 304."""
        return self.content_class in ("hot", "warm", "cold")


HOT_INVENTORY = CachePolicy("hot", "public, max-age=5")
HOT_ZONE_INVENTORY = CachePolicy("hot", "public, max-age=5", vary="Edge-Geo-Zone")
HOT_PRICES = CachePolicy("hot", "public, max-age=10", vary="Edge-Geo-Zone")
WARM_CATALOG = CachePolicy("warm", "public, max-age=300, stale-while-revalidate=60")
WARM_RECOMMENDATIONS = CachePolicy("warm", "public, max-age=120")
COLD_PAGE = CachePolicy("cold", "public, max-age=86400, stale-if-error=604800")
BYPASS = CachePolicy("bypass", "private, no-store")  # personal data
NO_STORE = CachePolicy("none", "no-store")  # health, admin, errors

MAX_CACHE_TAG_BYTES = 15 * 1024
"""Cloudflare keeps at most 16 KB of Cache-Tag per response; the edge adds its own tags
(``class:``, ``zone:``) in front of the origin's, so the origin leaves it 1 KB."""

_ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')


def strong_etag(body: bytes) -> str:
    """A strong validator (RFC 9110 §8.8.3): changes whenever a byte of the body does."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(timestamp: float) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7), e.g. ``Thu, 01 Jan 2026 00:00:00 GMT``."""
    return formatdate(timestamp, usegmt=True)


def cache_tag_header(tags: Iterable[str], limit: int = MAX_CACHE_TAG_BYTES) -> str:
    """Tags joined for Cloudflare's ``Cache-Tag`` header, duplicates dropped, order kept.

    Tags stop at the first that would take the header past ``limit`` bytes, as the edge cuts
    them, so what the edge stores is what the origin meant; handlers put their broad tags
    first, so a purge by those still reaches a response whose long tail was cut.
    """
    kept: list[str] = []
    size = -1  # no comma before the first tag
    for tag in dict.fromkeys(tags):
        size += 1 + len(tag.encode())
        if size > limit:
            break
        kept.append(tag)
    return ",".join(kept)


def cache_groups_header(groups: Iterable[str]) -> str:
    """An RFC 8941 List of Strings (§4.1.6) for ``Cache-Groups``-syntax fields such as
    ``Cache-Group-Invalidation``, duplicates dropped, order kept.

    A String holds only printable ASCII, so a group with anything else is left out rather
    than sent as a field every cache would have to discard whole (RFC 8941 §4.2).
    """
    members = []
    for group in dict.fromkeys(groups):
        if group and all(" " <= char <= "~" for char in group):
            escaped = group.replace("\\", "\\\\").replace('"', '\\"')
            members.append(f'"{escaped}"')
    return ", ".join(members)


def is_not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str,
    last_modified: float | None,
) -> bool:
    """Whether a GET may be answered 304 (RFC 9110 §13.1.2, §13.1.3, §13.2.2).

    ``If-None-Match`` wins when present and uses weak comparison; ``If-Modified-Since`` is
    consulted only without it, and ignored when it is not a valid date.
    """
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        opaque = etag.removeprefix("W/")
        return any(match.group(2) == opaque for match in _ENTITY_TAG.finditer(if_none_match))
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError):
        return False
    return int(last_modified) <= since
