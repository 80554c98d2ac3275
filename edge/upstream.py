"""Where a storefront request goes at the origin, and which of its headers travel along.

Pure functions over strings; the entry adapter does the I/O. Hop-by-hop fields (RFC 9110
§7.6.1) never cross a proxy, and ``Host`` is the origin's own, so the storefront's host and
scheme travel as ``X-Forwarded-Host`` / ``X-Forwarded-Proto`` and the client's address as
``CF-Connecting-IP`` and the last ``X-Forwarded-For`` entry, as Cloudflare sends them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from messages import EdgeRequest, EdgeResponse, Fields

__all__ = [
    "HOP_BY_HOP",
    "Origin",
    "OriginError",
    "client_fields",
    "forwarded_headers",
    "origin_headers",
    "origin_url",
    "reach",
    "too_slow",
    "unreachable",
]

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


_ABSOLUTE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^#]*)")


def _split(url: str) -> tuple[str, str, str]:
    """Scheme, authority, and path with query (no fragment) of an absolute URL, as urlsplit
    gives them for the URLs the runtime hands a Worker, at a tenth of its cost."""
    found = _ABSOLUTE.match(url)
    if found is None:
        parts = urlsplit(url)
        return parts.scheme, parts.netloc, parts.path + (f"?{parts.query}" if parts.query else "")
    return found[1].lower(), found[2], found[3]


def origin_url(origin: str, request_url: str) -> str:
    """The origin URL for ``request_url``: the origin's scheme and host, the request's path."""
    path, _, query = _split(request_url)[2].partition("?")
    return f"{origin.rstrip('/')}{path or '/'}{'?' if query else ''}{query}"


def forwarded_headers(headers: Iterable[tuple[str, str]]) -> Fields:
    """The request's header fields minus hop-by-hop ones and those ``Connection`` names."""
    fields = headers.copy() if isinstance(headers, Fields) else Fields(headers)
    connection = fields.get("connection")
    if connection is None:
        return fields.without(HOP_BY_HOP)
    named = {token.strip().lower() for token in connection.split(",")} - {""}
    return fields.without(HOP_BY_HOP | named)


def client_fields(
    request_url: str, client_ip: str | None, forwarded_for: str | None
) -> list[tuple[str, str]]:
    """The fields that tell the origin who asked, for which host, over which scheme."""
    scheme, authority, _ = _split(request_url)
    fields = [("x-forwarded-host", authority), ("x-forwarded-proto", scheme)]
    if client_ip:
        # Cloudflare has already appended the client to X-Forwarded-For; add it only if not.
        chain = forwarded_for or ""
        if chain.rpartition(",")[2].strip() != client_ip:
            chain = f"{chain}, {client_ip}" if chain else client_ip
        fields += [("cf-connecting-ip", client_ip), ("x-forwarded-for", chain)]
    return fields


def origin_headers(request: EdgeRequest, drop: frozenset[str] = frozenset()) -> Fields:
    """The fields a request takes to the origin: its own minus hop-by-hop ones and ``drop``,
    plus who asked, for which host, over which scheme."""
    headers = forwarded_headers(request.headers).without(drop)
    forwarded_for = request.headers.get("x-forwarded-for")
    for name, value in client_fields(request.url, request.client_ip, forwarded_for):
        headers.set(name, value)
    return headers


class OriginError(Exception):
    """The origin gave no response; ``error`` is the RFC 9209 §2.3 error type."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


Origin = Callable[[EdgeRequest], Awaitable[EdgeResponse]]


async def reach(origin: Origin, request: EdgeRequest, within: float) -> EdgeResponse:
    """The origin's answer within ``within`` seconds, else OriginError (RFC 9209 §2.3.10)."""
    try:
        async with asyncio.timeout(within):  # no task of its own, unlike wait_for
            return await origin(request)
    except TimeoutError:
        raise too_slow(within) from None


_REFUSED = ("cannot connect", "refused")
_TERMINATED = ("reset", "closed", "terminated", "broke off")


def unreachable(message: str) -> OriginError:
    """The error of a fetch that failed before the origin's headers, by the runtime's message
    (its network errors have no common type, and "Network connection lost." prefixes most)."""
    lowered = message.lower()
    if any(word in lowered for word in _REFUSED):
        error = "connection_refused"
    elif "timeout" in lowered or "timed out" in lowered:
        error = "connection_timeout"
    elif "dns" in lowered or "resolve" in lowered:
        error = "dns_error"
    elif any(word in lowered for word in _TERMINATED):
        error = "connection_terminated"
    else:
        error = "destination_unavailable"
    return OriginError(error, f"the origin is unreachable: {message}")


def too_slow(timeout: float) -> OriginError:
    """The error of an origin that did not answer within ``timeout`` seconds."""
    return OriginError("http_response_timeout", f"the origin did not answer within {timeout:g} s")
