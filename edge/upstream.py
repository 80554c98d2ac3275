"""Where a storefront request goes at the origin, and which of its headers travel along.

Pure functions over strings; the entry adapter does the I/O. Hop-by-hop fields (RFC 9110
§7.6.1) never cross a proxy, and ``Host`` is the origin's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["HOP_BY_HOP", "forwarded_headers", "origin_url"]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def origin_url(origin: str, request_url: str) -> str:
    """The origin URL for ``request_url``: the origin's scheme and host, the request's path."""
    parts = urlsplit(request_url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{origin.rstrip('/')}{path}{query}"


def forwarded_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The request's header fields minus hop-by-hop ones and those ``Connection`` names."""
    fields = list(headers)
    named = {
        token.strip().lower()
        for name, value in fields
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [
        (name, value)
        for name, value in fields
        if name.lower() not in HOP_BY_HOP and name.lower() not in named
    ]
