"""The ``workers`` module as worker code imports it, in plain CPython.

Mirrors the public names and behaviour of PyPI ``workers-runtime-sdk`` 1.9.x (module
``workers``) for the subset popcache supports: ``WorkerEntrypoint``, ``Request``, ``Response``,
``FetchResponse``, ``fetch`` and the types in ``FetchKwargs``. Quirks kept on purpose:

- ``request.headers`` and ``response.headers`` return a fresh ``http.client.HTTPMessage`` copy
  on every access (mutating it changes nothing), as the SDK does.
- ``Response.json`` is an instance coroutine on a response and a static constructor on the
  class (``Response.json({"a": 1})``), as the SDK's ``FetchResponse.json`` is.
- ``Response.redirect`` returns the runtime's JS ``Response``, not a ``workers.Response``.
- ``Request``/``Response`` headers must be a ``dict``, a list of pairs or a JS ``Headers``;
  anything else (an ``HTTPMessage`` too) is a ``TypeError``.
- Reading a body twice raises ``OSError`` ("Response body is already used").
"""

from __future__ import annotations

import builtins
import http.client
import json as _json
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPMethod, HTTPStatus
from typing import Any, Protocol, TypedDict, Unpack

from . import pyodide_http
from .fetcher import perform_fetch
from .headers import JsHeaders
from .http import BodyInit, JsRequest, JsResponse, ReadableStream
from .jsproxy import JsObject

__all__ = [
    "Context",
    "FetchKwargs",
    "FetchResponse",
    "Headers",
    "Request",
    "RequestInitCfProperties",
    "Response",
    "WorkerEntrypoint",
    "fetch",
]

Headers = dict[str, str] | list[tuple[str, str]] | JsHeaders
Body = BodyInit


class Context(Protocol):
    def waitUntil(self, other: Awaitable[Any]) -> None: ...


class RequestInitCfProperties(TypedDict, total=False):
    """``cf`` options of an outgoing fetch; accepted, not all acted on (see README)."""

    cacheEverything: bool | None
    cacheKey: str | None
    cacheTags: list[str] | None
    cacheTtl: int
    cacheTtlByStatus: dict[str, int]
    resolveOverride: str | None


class FetchKwargs(TypedDict, total=False):
    headers: Headers | None
    body: Body
    method: HTTPMethod | str | None
    redirect: str | None
    cf: RequestInitCfProperties | None


class HTTPMessageMapping(http.client.HTTPMessage, Mapping[str, str]):  # type: ignore[misc]
    """Headers as the SDK returns them: case-insensitive ``get``/``get_all``/``in``."""


def _to_http_message(headers: JsHeaders) -> HTTPMessageMapping:
    message = HTTPMessageMapping()
    for name, value in headers.entries():
        message.add_header(name, value.strip())
    return message


def _to_js_headers(headers: object) -> JsHeaders:
    if isinstance(headers, JsHeaders):
        return JsHeaders(headers)
    if isinstance(headers, dict):
        return JsHeaders(headers)
    if isinstance(headers, list):
        return JsHeaders(headers)
    raise TypeError("Received unexpected type for headers argument")


def _method_name(method: HTTPMethod | str | None) -> str:
    if method is None:
        return "GET"
    return method.value if isinstance(method, HTTPMethod) else str(method)


class Request:
    """An HTTP request, wrapping the runtime's JS ``Request`` (``js_object``)."""

    __slots__ = ("_js",)

    def __init__(self, input: Request | str | JsRequest, **options: Unpack[FetchKwargs]) -> None:
        if isinstance(input, JsRequest):
            if options:
                raise ValueError("Expected no options when constructing Request from a js.Request")
            self._js = input
            return
        base = input._js if isinstance(input, Request) else None
        self._js = _request_from(
            base, str(input) if base is None else base.url, options, _to_js_headers
        )

    def __repr__(self) -> str:
        return f"Request(method={self._js.method!r}, url={self._js.url!r})"

    @property
    def js_object(self) -> JsRequest:
        return self._js

    @property
    def url(self) -> str:
        return self._js.url

    @property
    def method(self) -> HTTPMethod:
        return HTTPMethod[self._js.method]

    @property
    def headers(self) -> HTTPMessageMapping:
        return _to_http_message(self._js.headers)

    @property
    def cf(self) -> JsObject | None:
        """Cloudflare's IncomingRequestCfProperties; fields are attributes (``cf.colo``)."""
        return self._js.cf

    @property
    def body(self) -> ReadableStream | None:
        return self._js.body

    @property
    def body_used(self) -> bool:
        return self._js.bodyUsed

    @property
    def redirect(self) -> str:
        return self._js.redirect

    def _raise_if_failed(self) -> None:
        if self._js.bodyUsed:
            raise OSError("Body already used")

    async def bytes(self) -> bytes:
        self._raise_if_failed()
        return await self._js.arrayBuffer()

    async def buffer(self) -> builtins.bytes:
        return await self.bytes()

    async def text(self) -> str:
        self._raise_if_failed()
        return await self._js.text()

    async def json(self, **kwargs: Any) -> Any:
        return _json.loads(await self.text(), **kwargs)

    def clone(self) -> Request:
        self._raise_if_failed()
        return Request(self._js.clone())


class FetchResponse(pyodide_http.FetchResponse):
    """A response as ``fetch`` returns it: Pyodide's ``FetchResponse`` plus the SDK's
    additions. ``clone()`` is Pyodide's, as in the SDK: it returns a plain
    ``pyodide.http.FetchResponse`` (``js_response``, no ``js_object``)."""

    __slots__ = ()

    @property
    def js_object(self) -> JsResponse:
        return self.js_response

    @property
    def body(self) -> ReadableStream | None:
        return self.js_response.body

    @property
    def headers(self) -> HTTPMessageMapping:
        return _to_http_message(self.js_response.headers)

    def json(self, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self, FetchResponse):
            return self._json_body()
        return Response.from_json(self, *args, **kwargs)

    async def _json_body(self) -> Any:
        return _json.loads(await self.text())

    def replace_body(self, body: Body) -> Response:
        """A new Response with this one's status and headers and another body."""
        old = self.js_response
        return Response(
            JsResponse(
                body,
                status=old.status,
                statusText=old.statusText,
                headers=JsHeaders(old.headers),
                url=old.url,
            )
        )

    @staticmethod
    def redirect(url: str, status: HTTPStatus | int = HTTPStatus.FOUND) -> JsResponse:
        return JsResponse.redirect(url, int(status))

    @staticmethod
    def from_json(
        data: Any,
        status: HTTPStatus | int = HTTPStatus.OK,
        status_text: str = "",
        headers: Headers | None = None,
    ) -> Response:
        js_headers = _to_js_headers(headers) if headers else JsHeaders()
        if not js_headers.has("content-type"):
            js_headers.set("content-type", "application/json")
        return Response(
            JsResponse(
                _json.dumps(data), status=int(status), statusText=status_text, headers=js_headers
            )
        )


_BODY_TYPES = (str, bytes, ReadableStream)


class Response(FetchResponse):
    """An HTTP response built by worker code, with the web ``Response`` constructor's options."""

    __slots__ = ()

    def __init__(
        self,
        body: Body | JsResponse = None,
        status: HTTPStatus | int | None = None,
        status_text: str = "",
        headers: Headers | None = None,
    ) -> None:
        if isinstance(body, JsResponse):
            if status is not None or status_text or headers is not None:
                raise ValueError(
                    "Expected no options when constructing Response from a js.Response"
                )
            super().__init__(body.url, body)
            return
        if body is not None and not isinstance(body, _BODY_TYPES):
            raise TypeError(f"Unsupported type in Response: {type(body).__name__}")
        js = JsResponse(
            body,
            status=int(status) if status else 200,
            statusText=status_text,
            headers=(JsHeaders(headers) if type(headers) is dict else _to_js_headers(headers))
            if headers
            else None,
        )
        self.js_response = js

    def __repr__(self) -> str:
        return f"Response(status={self.status})"


async def fetch(resource: str | Request | JsRequest, **options: Unpack[FetchKwargs]) -> Response:
    """Fetch over the real network, through the emulator's HTTP client.

    Raises ``OSError`` when the network fails, as Pyodide's ``pyfetch`` does.
    """
    if isinstance(resource, Request):
        resource = resource.js_object
    if isinstance(resource, JsRequest) and not options:
        request = resource
    else:
        base = resource if isinstance(resource, JsRequest) else None
        url = base.url if base is not None else str(resource)
        request = _request_from(base, url, options, _fetch_headers)
    return Response(await perform_fetch(request))


def _request_from(
    base: JsRequest | None,
    url: str,
    options: FetchKwargs,
    convert_headers: Callable[[object], JsHeaders],
) -> JsRequest:
    """A JS Request from ``url`` and ``options``, the rest taken from ``base`` if given."""
    method = options.get("method")
    headers = options.get("headers")
    return JsRequest(
        url,
        method=_method_name(method) if method is not None else (base.method if base else "GET"),
        headers=convert_headers(headers)
        if headers is not None
        else (JsHeaders(base.headers) if base else None),
        body=options.get("body", base.body if base else None),
        cf=base.cf if base else None,
        redirect=options.get("redirect") or (base.redirect if base else "follow"),
    )


def _fetch_headers(headers: object) -> JsHeaders:
    if isinstance(headers, Mapping) and not isinstance(headers, dict):
        return JsHeaders(dict(headers.items()))
    return _to_js_headers(headers)


class WorkerEntrypoint:
    """Base class of a Worker's ``Default`` entrypoint, built as ``Default(ctx, env)``."""

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env
