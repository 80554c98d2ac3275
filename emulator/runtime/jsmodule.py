"""The ``js`` module of one isolate: the JS globals Python code reaches with ``from js import``.

Edge code needs only ``caches``; the constructors a worker might use with Pyodide's ``.new``
convention (``js.Response.new(body, init)``, ``js.Headers.new(pairs)``), ``console`` and
``Date.now()`` are here too. Each isolate gets its own module object, so ``caches`` is the
Cache API storage of the PoP running it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..clock import Clock
from .cache import CacheStorage
from .headers import JsHeaders
from .http import JsRequest, JsResponse
from .jsproxy import JsObject

__all__ = ["make_js_module"]

console_log = logging.getLogger("popcache.console")


class _Constructor:
    """A JS class as Pyodide shows it: ``Cls.new(...)`` constructs."""

    def __init__(self, factory: Callable[..., Any], **statics: Any) -> None:
        self.new = factory
        for name, value in statics.items():
            setattr(self, name, value)


def _response(body: Any = None, init: dict[str, Any] | None = None, **options: Any) -> JsResponse:
    options = {**(init or {}), **options}
    return JsResponse(
        body,
        status=int(options.get("status", 200)),
        statusText=str(options.get("statusText", "")),
        headers=options.get("headers"),
    )


def _request(url: Any, init: dict[str, Any] | None = None, **options: Any) -> JsRequest:
    options = {**(init or {}), **options}
    if isinstance(url, JsRequest):
        # new Request(request, init) fills a new Headers from the old one: never shared.
        options = {"method": url.method, "headers": JsHeaders(url.headers), **options}
        url = url.url
    return JsRequest(
        str(url),
        method=str(options.get("method", "GET")),
        headers=options.get("headers"),
        body=options.get("body"),
        redirect=str(options.get("redirect", "follow")),
    )


class _Console:
    def _emit(self, level: int, *args: Any) -> None:
        console_log.log(level, " ".join(str(arg) for arg in args))

    def log(self, *args: Any) -> None:
        self._emit(logging.INFO, *args)

    info = log

    def debug(self, *args: Any) -> None:
        self._emit(logging.DEBUG, *args)

    def warn(self, *args: Any) -> None:
        self._emit(logging.WARNING, *args)

    def error(self, *args: Any) -> None:
        self._emit(logging.ERROR, *args)


def make_js_module(caches: CacheStorage, clock: Clock) -> ModuleType:
    module = ModuleType("js", "JS globals of one emulated isolate.")
    vars(module).update(
        caches=caches,
        Response=_Constructor(_response, redirect=JsResponse.redirect),
        Request=_Constructor(_request),
        Headers=_Constructor(JsHeaders),
        Object=_Constructor(lambda: JsObject({}), fromEntries=lambda pairs: JsObject(dict(pairs))),
        Date=_Constructor(lambda: JsObject({}), now=lambda: clock.now() * 1000.0),
        console=_Console(),
    )
    return module
