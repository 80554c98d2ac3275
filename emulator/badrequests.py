"""Requests too malformed to reach a worker, answered as problem+json.

aiohttp's parser refuses a bad request line, header or URL before the front door sees it, and
answers in plain text. popcache answers every bad input with an RFC 9457 problem naming the
part at fault, so this server swaps aiohttp's error page for one. (Cloudflare's own edge
answers such requests with its 400 page before any Worker runs; the status is the same.)
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from aiohttp import http_exceptions, web
from aiohttp.web_protocol import RequestHandler

from .errors import PROBLEM_JSON, ProblemError
from .frontdoor import SERVER

__all__ = ["ProblemServer"]

log = logging.getLogger("popcache.frontdoor")

# Which part of the request each parser error is about.
_FIELDS: tuple[tuple[type[Exception], str], ...] = (
    (http_exceptions.InvalidURLError, "url"),
    (http_exceptions.InvalidHeader, "headers"),
    (http_exceptions.BadStatusLine, "request-line"),
    (http_exceptions.LineTooLong, "request-line"),
)


def _field(exc: BaseException | None, detail: str) -> str:
    for kind, field in _FIELDS:
        if isinstance(exc, kind):
            return field
    return "headers" if "header" in detail.lower() else "request"


class _ProblemHandler(RequestHandler):
    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp: a response is already under way
            raise ConnectionError("Response is sent already, cannot send the error")
        # aiohttp's message is a title, a reason, then the raw line with a caret under the fault.
        lines = [line.strip() for line in (message or "").splitlines()]
        kept = [line for line in lines if line and line != "^"][:2]
        detail = " ".join(kept).rstrip(":") or HTTPStatus(status).description
        if status >= 500:  # not the client's fault: the emulator's own, with its traceback
            log.error("error serving %s %s", request.method, request.rel_url, exc_info=exc)
        else:
            log.info("bad request from %s: %s", request.remote, detail)
        problem = ProblemError(status, HTTPStatus(status).phrase, detail, _field(exc, detail))
        response = web.Response(
            status=status,
            body=problem.body(),
            content_type=PROBLEM_JSON,
            headers={"Server": SERVER},
        )
        response.force_close()
        return response


class ProblemServer(web.Server):
    """``web.Server`` whose parser errors are problem+json."""

    def __call__(self) -> RequestHandler:
        kwargs: dict[str, Any] = self._kwargs
        return _ProblemHandler(self, loop=self._loop, **kwargs)
