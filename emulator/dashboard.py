"""The live dashboard at ``/cdn-cgi/popcache/``, and the demo buttons behind it.

The page is three files shipped in the package (``static/dashboard.html``, ``.js``, ``.css``),
so it works with no network: no CDN scripts, no web fonts, charts drawn as inline SVG by its own
script. It polls the front door's ``/cdn-cgi/popcache/stats?window=600`` every second and puts
every value in the page as text (``textContent``, ``setAttribute``), because zone and class
names come from requests; a Content-Security-Policy that allows only the page's own files backs
that up, so even a slip could not run a script a name smuggled in.

The demo buttons post here and the emulator forwards them to the demo origin's admin API, so the
browser only ever talks to the front door:

- ``POST /cdn-cgi/popcache/demo/origin-mode`` ``{"mode": "slow"}`` → ``PUT <origin>/_admin/mode``;
- ``POST /cdn-cgi/popcache/demo/restock`` ``{"sku", "store_id", "qty"}`` → ``POST
  <origin>/_admin/stock``, the origin's own stock edit, so it signs and sends its inventory
  event and the edge purges as it would in production.

A bad body is a 400 problem naming the field; the buttons are a 404 when ``popcache dev`` runs in
front of another origin (``--origin``), a 502 when the demo origin cannot be reached, and the
origin's own refusals (an unknown sku: 404 naming ``sku``) are passed on as they are. A post
whose ``Origin`` is another site is a 403: a page open in another tab cannot press them.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from .bodies import TooLarge, read_within
from .errors import PROBLEM_JSON, ProblemError
from .origin.modes import MODES
from .origin.params import bad_request, str_field
from .origin.routes_admin import MAX_QTY

__all__ = ["DASHBOARD_PATH", "MODE_ENDPOINT", "RESTOCK_ENDPOINT", "Dashboard"]

DASHBOARD_PATH = "/cdn-cgi/popcache/"
MODE_ENDPOINT = "/cdn-cgi/popcache/demo/origin-mode"
RESTOCK_ENDPOINT = "/cdn-cgi/popcache/demo/restock"
_BARE_PATH = DASHBOARD_PATH.rstrip("/")
# Path under the dashboard → (package file, content type).
_FILES = {
    DASHBOARD_PATH: ("dashboard.html", "text/html; charset=utf-8"),
    f"{DASHBOARD_PATH}dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    f"{DASHBOARD_PATH}dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
}
_FILE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
}
_MAX_BODY = 16 * 1024
_MAX_NAME = 64
_RESTOCK_FIELDS = ("sku", "store_id", "qty")
_TIMEOUT = aiohttp.ClientTimeout(total=10)


class Dashboard:
    """The page's files and the demo endpoints; ``demo_origin`` is the URL of the demo origin
    ``popcache dev`` started, None when it runs in front of another one."""

    def __init__(self, demo_origin: str | None) -> None:
        self._demo_origin = demo_origin

    @staticmethod
    def serves(path: str) -> bool:
        return path in _FILES or path in (_BARE_PATH, MODE_ENDPOINT, RESTOCK_ENDPOINT)

    async def handle(self, request: web.BaseRequest) -> web.Response:
        """The answer for a path ``serves`` said yes to."""
        if request.path == _BARE_PATH:
            return web.Response(status=301, headers={"Location": DASHBOARD_PATH})
        if request.path in _FILES:
            if request.method not in ("GET", "HEAD"):
                return _refused(request.path, "GET, HEAD")
            name, content_type = _FILES[request.path]
            body = resources.files(__package__).joinpath("static", name).read_bytes()
            return web.Response(body=body, headers={"Content-Type": content_type, **_FILE_HEADERS})
        if request.method != "POST":
            return _refused(request.path, "POST")
        try:
            return await self._demo(request)
        except ProblemError as problem:
            return _problem(problem)

    async def _demo(self, request: web.BaseRequest) -> web.Response:
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            raise ProblemError(
                403, "Forbidden", "the demo buttons answer only the dashboard's own page", "Origin"
            )
        if self._demo_origin is None:
            raise ProblemError(
                404,
                "No demo origin",
                "popcache dev runs in front of another origin (--origin); the demo buttons "
                "drive only the demo origin it starts",
            )
        data = await _json_object(request)
        if request.path == MODE_ENDPOINT:
            return await self._forward("PUT", "/_admin/mode", _mode_body(data))
        return await self._forward("POST", "/_admin/stock", _restock_body(data))

    async def _forward(self, method: str, path: str, body: dict[str, Any]) -> web.Response:
        """The demo origin's answer to ``body``, status and all, never stored."""
        assert self._demo_origin is not None
        url = f"{self._demo_origin.rstrip('/')}{path}"
        try:
            async with (
                aiohttp.ClientSession(timeout=_TIMEOUT) as session,
                session.request(method, url, json=body) as reply,
            ):
                answer = await reply.read()
                content_type = reply.headers.get("Content-Type", "application/json")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProblemError(
                502,
                "Bad Gateway",
                f"the demo origin at {self._demo_origin} cannot be reached: "
                f"{exc or type(exc).__name__}",
                "origin",
            ) from None
        return web.Response(
            status=reply.status,
            body=answer,
            headers={"Content-Type": content_type, "Cache-Control": "no-store"},
        )


def _mode_body(data: dict[str, Any]) -> dict[str, Any]:
    _only(data, ("mode",))
    mode = data.get("mode")
    if not isinstance(mode, str) or mode not in MODES:
        raise bad_request("mode", f"must be one of {', '.join(MODES)}")
    return {"mode": mode}


def _restock_body(data: dict[str, Any]) -> dict[str, Any]:
    _only(data, _RESTOCK_FIELDS)
    for name in ("sku", "store_id"):
        if len(str_field(data, name)) > _MAX_NAME:
            raise bad_request(name, f"must be at most {_MAX_NAME} characters")
    qty = data.get("qty")
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise bad_request("qty", f"is required: an integer from 1 to {MAX_QTY}")
    return {name: data[name] for name in _RESTOCK_FIELDS}


def _only(data: dict[str, Any], fields: tuple[str, ...]) -> None:
    for key in data:
        if key not in fields:
            raise bad_request(key, f"unknown field; expected {', '.join(fields)}")


async def _json_object(request: web.BaseRequest) -> dict[str, Any]:
    try:
        data = json.loads(await read_within(request, _MAX_BODY))
    except TooLarge:
        raise ProblemError(
            413, "Content Too Large", f"the body is larger than {_MAX_BODY} bytes", "body"
        ) from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise bad_request("body", "must be a JSON object") from None
    if not isinstance(data, dict):
        raise bad_request("body", "must be a JSON object")
    return data


def _problem(problem: ProblemError) -> web.Response:
    return web.Response(
        status=problem.status, body=problem.body(), headers={"Content-Type": PROBLEM_JSON}
    )


def _refused(path: str, allowed: str) -> web.Response:
    refused = _problem(ProblemError(405, "Method Not Allowed", f"{path} takes {allowed}", "method"))
    refused.headers["Allow"] = allowed
    return refused
