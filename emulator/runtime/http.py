"""The JS ``Request``, ``Response`` and ``ReadableStream`` as the runtime hands them to Python.

These are what ``request.js_object`` and ``response.js_object`` return, what ``caches.default``
stores and matches, and what ``Response(js_response)`` wraps. Bodies are buffered bytes: the
emulator does not stream (see README, "Differences from the real runtime"). Validation errors
carry the runtime's messages; the SDK turns a JS ``RangeError`` into ``ValueError`` and a JS
``TypeError`` into ``TypeError``, so these raise those Python types directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .cache_http import _percent_encode, normalize_url
from .headers import HeadersInit, JsHeaders
from .jsproxy import JsObject

__all__ = [
    "BodyInit",
    "BodyUsedError",
    "JsRequest",
    "JsResponse",
    "ReadableStream",
    "request_url",
]

INVALID_REDIRECT = (
    'Invalid redirect value, must be one of "follow" or "manual" ("error" won\'t be '
    'implemented since it does not make sense at the edge; use "manual" and check the '
    "response status code)."
)
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
# The Content-Type a str body brings (the Fetch standard's "extract a body", USVString case).
TEXT_PLAIN = "text/plain;charset=UTF-8"
# The WHATWG fragment percent-encode set, beyond C0 controls, space and non-ASCII.
_FRAGMENT_ENCODE = frozenset('"<>`')
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))


class BodyUsedError(OSError):
    """A body was read twice (Pyodide's ``pyodide.http.BodyUsedError``)."""

    def __init__(self) -> None:
        super().__init__("Response body is already used")


class ReadableStream:
    """A body stream; here a holder of bytes that can be read once."""

    __slots__ = ("_data", "locked")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.locked = False

    def _take(self) -> bytes:
        if self.locked:
            raise TypeError("This ReadableStream is currently locked to a reader.")
        self.locked = True
        return self._data


BodyInit = str | bytes | bytearray | memoryview | ReadableStream | None


def body_bytes(body: BodyInit) -> bytes | None:
    """Bytes of any accepted body type; ``None`` for no body."""
    if body is None or type(body) is bytes:  # bytes are immutable: no copy needed
        return body
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, ReadableStream):
        return body._take()
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    raise TypeError(f"Unsupported type in Response: {type(body).__name__}")


def request_url(url: str) -> str:
    """``new Request(url).url`` in workerd: ``new URL(url).href`` for an http(s) URL.

    That is the WHATWG serialization (``normalize_url``: scheme and host lower-cased, default
    port and dot segments removed, empty path ``/``, path and query percent-encoded) with the
    fragment kept, as the Fetch standard's ``url`` getter serializes it. Any other string is
    kept as given: a relative URL or another scheme (``fetch`` refuses those), and an http(s)
    URL ``normalize_url`` refuses. workerd's ``TypeError("Invalid URL: ...")`` is not raised:
    ``normalize_url`` validates Cache API keys and is stricter than ``new URL`` (it refuses an
    empty host label, ``https://a..b/``, which ``new URL`` takes), so refusing here would
    reject requests the runtime builds.
    """
    head, hash_mark, fragment = url.partition("#")
    try:
        href = normalize_url(head)
    except TypeError:
        return url
    if not hash_mark:
        return href
    fragment = re.sub(r"[\t\n\r]", "", fragment).rstrip(_C0_AND_SPACE)
    return f"{href}#{_percent_encode(fragment, _FRAGMENT_ENCODE)}"


def _default_text_type(headers: JsHeaders) -> None:
    """Give a str body's headers ``Content-Type: text/plain;charset=UTF-8`` unless they have
    one, as a JS ``Request`` or ``Response`` built with a string body does."""
    for name, _ in headers.fields:  # a loop, not has(): hot path
        if name == "content-type":
            return
    headers.set("content-type", TEXT_PLAIN)


class _Body:
    """What ``Request`` and ``Response`` share: a body read at most once."""

    # Slots: one request and one response are built per request, so size and speed count.
    __slots__ = ("_body", "bodyUsed")
    _body: bytes | None
    bodyUsed: bool
    headers: JsHeaders

    @property
    def body(self) -> ReadableStream | None:
        return None if self._body is None else ReadableStream(self._body)

    def _consume(self) -> bytes:
        if self.bodyUsed:
            raise BodyUsedError()
        self.bodyUsed = True
        return self._body or b""

    async def arrayBuffer(self) -> bytes:
        return self._consume()

    async def text(self) -> str:
        return self._consume().decode("utf-8", errors="replace")

    async def json(self) -> Any:
        return json.loads(self._consume())


class JsRequest(_Body):
    """A JS ``Request``: url, method, headers, body, and the Cloudflare ``cf`` object."""

    # Slots: one of these is built per request, so size and attribute speed count.
    __slots__ = (
        "_body",
        "_header_source",
        "_headers",
        "bodyUsed",
        "cf",
        "method",
        "redirect",
        "url",
    )

    def __init__(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: HeadersInit | Callable[[], JsHeaders] | None = None,
        body: BodyInit = None,
        cf: JsObject | None = None,
        redirect: str = "follow",
    ) -> None:
        self.url = request_url(url)
        self.method = method.upper()
        self._headers: JsHeaders | None = None
        self._header_source: Callable[[], JsHeaders] | None = None
        if isinstance(headers, JsHeaders):
            self._headers = headers
        elif callable(headers):
            self._header_source = headers
        else:
            self._headers = JsHeaders(headers)
        self._body = body_bytes(body)
        if self._body is not None and self.method in ("GET", "HEAD"):
            raise TypeError("Request with a GET or HEAD method cannot have a body.")
        if redirect not in ("follow", "manual"):
            raise TypeError(INVALID_REDIRECT)
        if type(body) is str:
            _default_text_type(self.headers)
        self.cf = cf
        self.redirect = redirect
        self.bodyUsed = False

    @classmethod
    def incoming(
        cls,
        url: str,
        method: str,
        headers: Callable[[], JsHeaders],
        body: bytes | None,
        cf: JsObject,
    ) -> JsRequest:
        """A request the front door parsed: already valid, so built without re-checking, except
        ``url``, which becomes ``new URL(url).href`` without a fragment (a request target has
        none); ``TypeError`` if it is not a valid http(s) URL (a bad ``Host``, say)."""
        request = cls.__new__(cls)
        request.url = normalize_url(url)
        request.method = method
        request._headers = None
        request._header_source = headers
        request._body = body
        request.cf = cf
        request.redirect = "follow"
        request.bodyUsed = False
        return request

    @property
    def headers(self) -> JsHeaders:  # type: ignore[override]
        """Built on first use: most workers never read most requests' headers."""
        if self._headers is None:
            assert self._header_source is not None
            self._headers = self._header_source()
        return self._headers

    def clone(self) -> JsRequest:
        if self.bodyUsed:
            raise TypeError("Body has already been used. It can only be used once.")
        return self.snapshot()

    def snapshot(self) -> JsRequest:
        """A copy as the request is now, even if its body was read (the bytes are kept)."""
        copy = JsRequest.__new__(JsRequest)
        for name in (*_Body.__slots__, *JsRequest.__slots__):
            setattr(copy, name, getattr(self, name))
        if self._headers is not None:
            copy._headers = JsHeaders(self._headers)
        copy.bodyUsed = False
        return copy

    def __repr__(self) -> str:
        return f"Request({self.method} {self.url})"


class JsResponse(_Body):
    """A JS ``Response``."""

    __slots__ = (
        "_body",
        "bodyUsed",
        "headers",
        "redirected",
        "status",
        "statusText",
        "type",
        "url",
    )

    def __init__(
        self,
        body: BodyInit = None,
        *,
        status: int = 200,
        statusText: str = "",
        headers: HeadersInit | None = None,
        url: str = "",
        redirected: bool = False,
    ) -> None:
        if not 200 <= status <= 599 and status != 101:
            raise ValueError(
                "Responses may only be constructed with status codes in the range 200 to 599, "
                "inclusive."
            )
        is_text = type(body) is str
        self._body = body.encode() if is_text else body_bytes(body)  # type: ignore[union-attr]
        if self._body and status in NULL_BODY_STATUSES:
            raise TypeError("Response with null body status cannot have body")
        self.status = status
        self.statusText = statusText
        self.headers = headers if isinstance(headers, JsHeaders) else JsHeaders(headers)
        if is_text:
            _default_text_type(self.headers)
        self.url = url
        self.redirected = redirected
        self.type = "default"
        self.bodyUsed = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    def clone(self) -> JsResponse:
        if self.bodyUsed:
            raise TypeError("Body has already been used. It can only be used once.")
        copy = JsResponse.__new__(JsResponse)
        for name in (*_Body.__slots__, *JsResponse.__slots__):
            setattr(copy, name, getattr(self, name))
        copy.headers = JsHeaders(self.headers)
        return copy

    @staticmethod
    def redirect(url: str, status: int = 302) -> JsResponse:
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"Invalid status code: {status}")
        return JsResponse(status=status, headers={"location": url})

    def __repr__(self) -> str:
        return f"Response({self.status})"
