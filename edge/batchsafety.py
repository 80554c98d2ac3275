"""What a batch item may ask the origin for, and which of its header fields travel.

A batch turns one client request into many origin requests, so each item is a request the
client could not otherwise shape: its URL must stay a relative path on the storefront's own
origin, under a configured prefix, and its fields must not speak for the edge or the browser.
The checks refuse rather than repair: a path an origin could read two ways (encoded dots or
slashes, backslashes, empty or dot segments) is a trick, not a typo.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from messages import Fields

__all__ = ["EDGE_PREFIX", "item_fields", "item_path", "refuse_url"]

EDGE_PREFIX = "/_edge/"
"""The edge's own endpoints: never an item's target, so batches do not nest."""

MAX_URL = 8192
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")  # RFC 3986 §3.1
_ALLOWED = re.compile(r"[!-~]*")  # printable ASCII, no space
# Escapes that decode to a path delimiter, a dot, a backslash, NUL or another escape.
_TRICK_ESCAPE = re.compile(r"%(?:2[eEfF]|5[cC]|00|25)")
# Escapes of unreserved characters (RFC 3986 §2.3), which an origin may read decoded.
_UNRESERVED_ESCAPE = re.compile(r"%(?:2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])")
# Fetch standard §2.2.2 forbidden request-header names, and the fields only the edge may set.
_FORBIDDEN = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-http-method",
        "x-http-method-override",
        "x-method-override",
        "forwarded",
        "x-real-ip",
        "true-client-ip",
        "cdn-loop",
    }
)
_FORBIDDEN_PREFIXES = ("proxy-", "sec-", "cf-", "x-forwarded-", "edge-geo-", "popcache-")


def item_path(url: str) -> str:
    """An item URL as a path from the storefront's root: Graph takes ``users?$top=5`` as well
    as ``/users?$top=5``; an absolute URL stays as it is, for ``refuse_url`` to refuse."""
    if url.startswith(("/", "\\")) or _SCHEME.match(url):
        return url
    return f"/{url}"


def refuse_url(url: str, prefixes: Iterable[str]) -> str | None:
    """Why an item may not ask for ``url``, or None when it may.

    ``url`` must be a path (and query) relative to the storefront's origin, in printable ASCII,
    whose path starts with one of ``prefixes`` and is not under ``/_edge/``.
    """
    if len(url) > MAX_URL:
        return f"longer than {MAX_URL} characters"
    if _SCHEME.match(url):
        return "an absolute URL names a host: an item's URL is a path on the storefront"
    if not url.startswith("/"):
        return "must be a path relative to the storefront, starting with '/'"
    if url.startswith("//"):
        return "a scheme-relative URL ('//host') names another host"
    if _ALLOWED.fullmatch(url) is None:
        return "must be printable ASCII without spaces (percent-encode the rest)"
    if "\\" in url:
        return "must not contain a backslash"
    if "#" in url:
        return "must not contain a fragment ('#')"
    path = url.partition("?")[0]
    if _TRICK_ESCAPE.search(path):
        return "must not percent-encode '.', '/', '\\', '%' or NUL in the path"
    for segment in path[1:].split("/")[:-1] if path.endswith("/") else path[1:].split("/"):
        if segment == "":
            return "must not contain an empty path segment ('//')"
        if segment.partition(";")[0] in (".", ".."):
            return "must not contain '.' or '..' path segments"
    plain = _UNRESERVED_ESCAPE.sub(_unescape, path)  # "/%5Fedge/" is "/_edge/" (RFC 3986)
    if plain.startswith(EDGE_PREFIX) or plain == EDGE_PREFIX.rstrip("/"):
        return "must not target the edge's own endpoints (/_edge/...): batches do not nest"
    allowed = tuple(prefixes)
    if not path.startswith(allowed):
        return f"must be under {_listing(allowed)}"
    return None


def item_fields(headers: Iterable[tuple[str, str]]) -> Fields:
    """An item's header fields without those a browser may not set (Fetch standard's forbidden
    request-headers: cookies, hop-by-hop fields, ``Sec-``/``Proxy-``, method overrides) and
    those only the edge sets (where the client is, who it is, what it asked the edge)."""
    return Fields(
        (name, value)
        for name, value in headers
        if name.lower() not in _FORBIDDEN and not name.lower().startswith(_FORBIDDEN_PREFIXES)
    )


def _unescape(escape: re.Match[str]) -> str:
    return chr(int(escape[0][1:], 16))


def _listing(prefixes: tuple[str, ...]) -> str:
    if not prefixes:
        return "a configured prefix ([batch] prefixes is empty: no item is allowed)"
    return " or ".join(repr(prefix) for prefix in prefixes)
