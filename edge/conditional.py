"""Conditional requests at the edge (RFC 9110 §13, RFC 9111 §4.3).

Three jobs: answer a client's ``If-None-Match`` / ``If-Modified-Since`` from the response it
is about to get (a 304 instead of the body), ask the origin to validate a stored response, and
fold the origin's 304 into the stored response's header fields.
"""

from __future__ import annotations

import re

from cachecontrol import parse_http_date
from messages import Fields

__all__ = [
    "CLIENT_CONDITIONALS",
    "NOT_MODIFIED_FIELDS",
    "freshen",
    "is_not_modified",
    "validators",
]

# Preconditions a cache handles itself: stripped before a request it may store goes forward.
CLIENT_CONDITIONALS = frozenset(
    {"if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"}
)
# RFC 9110 §15.4.5: what a 304 repeats from the 200 it stands for.
NOT_MODIFIED_FIELDS = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified"}
)
# RFC 9111 §3.2: fields a 304 never updates in the stored response.
_NOT_UPDATED = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "content-range"}
)
# A match never starts inside a run of whitespace (the lookbehind): one that could would also
# start where the run does, and trying each position of a long run would take quadratic time.
_ENTITY_TAG = re.compile(r'(?<!\s)\s*((?:W/)?"[^"]*")\s*(?:,|$)')


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def _tags(value: str) -> list[str]:
    return [match[1] for match in _ENTITY_TAG.finditer(value)]


def is_not_modified(request: Fields, response: Fields) -> bool:
    """Whether a 200 for ``response`` should be a 304 for ``request`` (RFC 9110 §13.2.2).

    ``If-None-Match`` decides when present (weak comparison, §13.1.2); only without it is
    ``If-Modified-Since`` compared with ``Last-Modified`` (§13.1.3). Unparsable dates and
    entity-tags never match, so a hostile header gets the full response.
    """
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        etag = response.get("etag")
        if etag is None:
            return False
        if if_none_match.strip() == "*":
            return True
        return _opaque(etag.strip()) in {_opaque(tag) for tag in _tags(if_none_match)}
    since = request.get("if-modified-since")
    if since is None:
        return False
    modified = parse_http_date(response.get("last-modified"))
    since_time = parse_http_date(since)
    return since_time is not None and modified is not None and modified <= since_time


def validators(stored: Fields) -> list[tuple[str, str]]:
    """The conditional fields that ask the origin to validate ``stored`` (RFC 9111 §4.3.1)."""
    fields = []
    if (etag := stored.get("etag")) is not None:
        fields.append(("if-none-match", etag))
    if (modified := stored.get("last-modified")) is not None:
        fields.append(("if-modified-since", modified))
    return fields


def freshen(stored: Fields, not_modified: Fields) -> Fields:
    """``stored`` updated with the fields of the origin's 304 (RFC 9111 §4.3.4, §3.2)."""
    updates = not_modified.without(_NOT_UPDATED)
    names = frozenset(name for name, _ in updates)
    merged = stored.without(names)
    for name, value in updates:
        merged.add(name, value)
    return merged
