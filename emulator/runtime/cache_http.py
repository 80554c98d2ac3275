"""The HTTP pieces of the Cache API: URLs as keys, byte ranges and conditional requests.

Pure functions over strings and bytes, no runtime types.

Keys (``normalize_url``) are what ``new URL(key).href`` gives, without the fragment: scheme and
host lower-cased (IDNA for non-ASCII hosts), default port and dot segments removed, empty path
``/``, WHATWG percent-encoding of path and query. Only absolute http(s) URLs are keys; anything
else raises workerd's ``TypeError`` (``validateUrl`` in ``src/workerd/api/cache.c++``).

Ranges and conditionals follow Miniflare's cache service
(cloudflare/workers-sdk ``packages/miniflare/src/workers/shared/range.ts`` and
``workers/cache/cache.worker.ts``), which answers ``workerd``'s cache subrequests locally, and
RFC 9110 where Miniflare is loose.

Ranges (``parse_range``) keep Miniflare's reading of ``Range``, which is stricter than RFC 9110
§14.1.2 in places: an unknown unit, ``a-b`` with ``a > b``, or any range starting past the end
makes the whole header unsatisfiable (416); a suffix ``-n`` with ``n >= size`` asks for the
whole body (200); ``-0`` is skipped. Several ranges are answered as ``multipart/byteranges``
(RFC 9110 §14.6), one part per range, in the order asked, without coalescing.

Conditionals (``is_not_modified``) follow RFC 9110 §13.2.2: ``If-None-Match`` decides when
present (weak comparison, §13.1.2; ``*`` matches any stored ETag, as Miniflare), and only
without it is ``If-Modified-Since`` compared with ``Last-Modified`` (§13.1.3).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = [
    "INVALID_URL",
    "ByteRange",
    "is_not_modified",
    "multipart_byteranges",
    "normalize_url",
    "parse_http_date",
    "parse_range",
    "weak_etag_match",
]

INVALID_URL = "Invalid URL. Cache API keys must be fully-qualified, valid URLs."

_DEFAULT_PORTS = {"http": 80, "https": 443}
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_HOST = re.compile(r"[a-z0-9\-._~!$&'()*+,;=]+|\[[0-9a-f:.]+\]")
# WHATWG URL percent-encode sets (https://url.spec.whatwg.org/#percent-encoded-bytes).
_PATH_ENCODE = frozenset(' "#<>?`{}')
_QUERY_ENCODE = frozenset(" \"#<>'")
_RANGE_UNIT = re.compile(r" *bytes *=", re.IGNORECASE)
_RANGE_SPEC = re.compile(r" *(?P<first>[0-9]+)? *- *(?P<last>[0-9]+)? *")
# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3); etagc may include commas.
_ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')


@functools.lru_cache(maxsize=4096)
def normalize_url(url: str) -> str:
    """The cache key of ``url``: ``new URL(url).href`` without the fragment (memoized: a PoP
    sees the same keys over and over)."""
    url = re.sub(r"[\t\n\r]", "", url).strip(_C0_AND_SPACE)
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise TypeError(INVALID_URL) from None
    scheme = parts.scheme  # urlsplit lower-cases it
    if ":" in host:
        host = f"[{host}]"
    if scheme not in _DEFAULT_PORTS or not _HOST.fullmatch(host):
        raise TypeError(INVALID_URL)
    authority = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    userinfo, _, _ = parts.netloc.rpartition("@")
    if userinfo:
        authority = f"{userinfo}@{authority}"
    path = _percent_encode(_remove_dot_segments(parts.path), _PATH_ENCODE)
    query = _percent_encode(parts.query, _QUERY_ENCODE)
    return f"{scheme}://{authority}{path}" + (f"?{query}" if query else "")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, as the WHATWG path parser applies it ("" becomes "/")."""
    segments: list[str] = []
    parts = path.split("/")[1:]
    for index, segment in enumerate(parts):
        last = index == len(parts) - 1
        if segment in (".", ".."):
            if segment == ".." and segments:
                segments.pop()
            if last:
                segments.append("")
        else:
            segments.append(segment)
    return "/" + "/".join(segments)


def _percent_encode(text: str, encode: frozenset[str]) -> str:
    return "".join(
        "".join(f"%{byte:02X}" for byte in char.encode())
        if char in encode or not " " < char <= "~"
        else char
        for char in text
    )


class ByteRange(NamedTuple):
    """An inclusive byte range of a body, as ``Content-Range`` writes it."""

    start: int
    end: int

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str, size: int) -> list[ByteRange] | None:
    """The ranges of a ``size``-byte body that ``header`` asks for.

    ``None`` means unsatisfiable (answer 416), ``[]`` the whole body (answer 200), anything else
    the ranges to answer with 206 -- Miniflare's ``parseRanges`` contract.
    """
    unit = _RANGE_UNIT.match(header)
    if unit is None:
        return None
    specs = header[unit.end() :]
    if not specs.strip():
        return []
    ranges: list[ByteRange] = []
    for spec in specs.split(","):
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return None
        first, last = match["first"], match["last"]
        if first is not None:
            start = int(first)
            end = size - 1 if last is None else int(last)
            if start > end or start >= size:
                return None
            ranges.append(ByteRange(start, min(end, size - 1)))
        elif last is not None:
            suffix = int(last)
            if suffix >= size:
                return []
            if suffix > 0:
                ranges.append(ByteRange(size - suffix, size - 1))
        else:
            return None
    return ranges


def multipart_byteranges(
    body: bytes, ranges: Sequence[ByteRange], boundary: str, content_type: str | None
) -> bytes:
    """A ``multipart/byteranges`` payload (RFC 9110 §14.6) laid out as Miniflare writes it."""
    parts = []
    for byte_range in ranges:
        head = f"--{boundary}\r\n"
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        head += f"Content-Range: {byte_range.content_range(len(body))}\r\n\r\n"
        parts.append(head.encode() + body[byte_range.start : byte_range.end + 1])
    trailer = f"--{boundary}--".encode()
    return b"\r\n".join([*parts, trailer])


def parse_http_date(value: str) -> float | None:
    """Seconds since the epoch of an HTTP-date (RFC 9110 §5.6.7, all three forms), else None."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # asctime() form: always GMT
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def weak_etag_match(a: str, b: str) -> bool:
    """RFC 9110 §8.8.3.2 weak comparison: the opaque tags are equal, ``W/`` or not."""
    tag_a, tag_b = _ENTITY_TAG.fullmatch(a.strip()), _ENTITY_TAG.fullmatch(b.strip())
    return tag_a is not None and tag_b is not None and tag_a[1] == tag_b[1]


def is_not_modified(
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str | None,
    last_modified: str | None,
) -> bool:
    """Whether a stored 2xx with ``etag``/``last_modified`` answers the request with a 304."""
    if if_none_match is not None:
        if etag is None:
            return False
        if if_none_match.strip() == "*":
            return True
        return any(weak_etag_match(tag[0], etag) for tag in _ENTITY_TAG.finditer(if_none_match))
    if if_modified_since is None or last_modified is None:
        return False
    since, modified = parse_http_date(if_modified_since), parse_http_date(last_modified)
    return since is not None and modified is not None and modified <= since
