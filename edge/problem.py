"""Errors the edge answers itself, as ``application/problem+json`` (RFC 9457).

Each carries the field it is about (``field``), ``Cache-Control: no-store`` so no cache keeps
it, and, for errors reaching the origin, a ``Proxy-Status`` (RFC 9209) saying what failed.
"""

from __future__ import annotations

import json

from cachestatus import proxy_status
from messages import EdgeResponse, Fields
from upstream import OriginError

__all__ = ["PROBLEM_TYPE", "method_not_allowed", "origin_failure", "origin_resting", "problem"]

PROBLEM_TYPE = "application/problem+json"


def _phrase(status: int) -> str:
    # Errors are rare: the http module is imported on the first one, not at start-up.
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def problem(
    status: int, detail: str, *, field: str | None = None, **members: object
) -> EdgeResponse:
    """A problem response; ``field`` names the request part at fault, ``members`` are extension
    members (RFC 9457 §3.2) such as the batch item at fault."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": _phrase(status),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    body.update(members)
    headers = Fields([("content-type", PROBLEM_TYPE), ("cache-control", "no-store")])
    return EdgeResponse(status, headers, json.dumps(body).encode())


def method_not_allowed(detail: str, allow: str) -> EdgeResponse:
    """A 405 about the method, with the ``Allow`` field RFC 9110 §15.5.6 requires of one: the
    methods the endpoint takes, comma-separated."""
    response = problem(405, detail, field="method")
    response.headers.set("allow", allow)
    return response


def origin_failure(error: OriginError) -> EdgeResponse:
    """A 504 for an origin too slow, a 502 for one that gave no answer, with ``Proxy-Status``."""
    status = 504 if error.error == "http_response_timeout" else 502
    response = problem(status, error.detail, field="origin")
    response.headers.set("proxy-status", proxy_status(error.error, details=error.detail))
    return response


def origin_resting(seconds: int, received: int | None = None) -> EdgeResponse:
    """A 503 while the origin has asked for a rest (``Retry-After``) and nothing stale may
    stand in; ``received`` is the origin's own status when it said so itself."""
    detail = f"the origin is overloaded and asked to be left alone; retry after {seconds} s"
    response = problem(503, detail, field="origin")
    response.headers.set("retry-after", str(seconds))
    error = proxy_status("destination_unavailable", details=detail, received=received)
    response.headers.set("proxy-status", error)
    return response
