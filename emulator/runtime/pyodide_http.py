"""``pyodide.http.FetchResponse``: the base of the SDK's responses, and what ``clone()`` gives.

workers-runtime-sdk's ``FetchResponse`` (and ``Response``) subclass Pyodide's and add
``js_object``, an ``HTTPMessage`` for ``headers`` and the web-style constructors; they do not
override ``clone()``, so a clone is a plain Pyodide ``FetchResponse``: it has ``js_response``
but no ``js_object``, and its ``headers`` are a ``dict``. Worker code that stores a clone in
the Cache API passes ``clone.js_response``.
"""

from __future__ import annotations

import json
from typing import Any

from .http import BodyUsedError, JsResponse

__all__ = ["FetchResponse"]


class FetchResponse:
    """A JS ``Response`` seen from Python, as Pyodide wraps it."""

    # One wrapper per request and per response: slots keep them small on the hot path.
    __slots__ = ("js_response",)

    def __init__(self, url: str, js_response: JsResponse) -> None:
        """Pyodide's signature; the URL is read from the JS response itself."""
        self.js_response = js_response

    @property
    def status(self) -> int:
        return self.js_response.status

    @property
    def status_text(self) -> str:
        return self.js_response.statusText

    @property
    def ok(self) -> bool:
        return self.js_response.ok

    @property
    def url(self) -> str:
        return self.js_response.url

    @property
    def redirected(self) -> bool:
        return self.js_response.redirected

    @property
    def type(self) -> str:
        return self.js_response.type

    @property
    def body_used(self) -> bool:
        return self.js_response.bodyUsed

    @property
    def headers(self) -> Any:
        """A ``dict`` of the header fields (the SDK's subclass returns an ``HTTPMessage``)."""
        return dict(self.js_response.headers)

    def _raise_if_failed(self) -> None:
        if self.js_response.bodyUsed:
            raise BodyUsedError()

    def raise_for_status(self) -> None:
        if 400 <= self.status < 600:
            kind = "Client" if self.status < 500 else "Server"
            raise OSError(f"{self.status} {kind} Error: {self.status_text} for url: {self.url}")

    async def buffer(self) -> bytes:
        self._raise_if_failed()
        return await self.js_response.arrayBuffer()

    async def bytes(self) -> bytes:
        return await self.buffer()

    async def text(self) -> str:
        self._raise_if_failed()
        return await self.js_response.text()

    async def json(self, **kwargs: Any) -> Any:
        return json.loads(await self.text(), **kwargs)

    def clone(self) -> FetchResponse:
        self._raise_if_failed()
        return FetchResponse(self.url, self.js_response.clone())
