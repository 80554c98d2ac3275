"""Responses with the origin's cache hints: the one place handlers turn data into HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterable

from aiohttp import web

from emulator.errors import PROBLEM_JSON, ProblemError

from .http_cache import (
    NO_STORE,
    CachePolicy,
    cache_groups_header,
    cache_tag_header,
    http_date,
    is_not_modified,
    strong_etag,
)
from .state import STATE

__all__ = ["GROUP_INVALIDATION", "JSON", "json_body", "problem_response", "reply", "reply_json"]

JSON = "application/json"
GROUP_INVALIDATION = "Cache-Group-Invalidation"  # RFC 9875 §3


def json_body(payload: object) -> bytes:
    """Canonical JSON (sorted keys, compact), so equal data hashes to an equal ETag."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def reply(
    request: web.Request,
    body: bytes,
    *,
    content_type: str,
    policy: CachePolicy,
    tags: Iterable[str] = (),
    invalidates: Iterable[str] = (),
    last_modified: float | None = None,
    status: int = 200,
) -> web.Response:
    """A response carrying ``policy``'s hints; a 304 when the request's validators match.

    ``invalidates`` names the groups (cache tags) an unsafe request changed, sent as
    ``Cache-Group-Invalidation`` so a cache that sees this response drops what it stored
    under them (RFC 9875 §3) without waiting for a purge.
    """
    headers = {
        "Cache-Control": policy.cache_control,
        "Popcache-Content-Class": policy.content_class,
        # The origin's own clock (RFC 9110 §6.6.1), so caches reading Date agree with the
        # clock a test injects rather than the machine's.
        "Date": http_date(request.app[STATE].clock.now()),
    }
    if policy.vary:
        headers["Vary"] = policy.vary
    tag_header = cache_tag_header(tags)
    if tag_header:
        headers["Cache-Tag"] = tag_header
    groups = cache_groups_header(invalidates)
    if groups:
        headers[GROUP_INVALIDATION] = groups
    if policy.validators and status == 200:
        headers["ETag"] = etag = strong_etag(body)
        if last_modified is not None:
            headers["Last-Modified"] = http_date(last_modified)
        inm, ims = request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
        if request.method in ("GET", "HEAD") and is_not_modified(inm, ims, etag, last_modified):
            return web.Response(status=304, headers=headers)
    headers["Content-Type"] = content_type
    return web.Response(status=status, body=body, headers=headers)


def reply_json(
    request: web.Request,
    payload: object,
    *,
    policy: CachePolicy,
    tags: Iterable[str] = (),
    invalidates: Iterable[str] = (),
    last_modified: float | None = None,
    status: int = 200,
) -> web.Response:
    body = json_body(payload)
    return reply(
        request,
        body,
        content_type=JSON,
        policy=policy,
        tags=tags,
        invalidates=invalidates,
        last_modified=last_modified,
        status=status,
    )


def problem_response(problem: ProblemError, headers: dict[str, str] | None = None) -> web.Response:
    """RFC 9457 problem details; never stored by a cache."""
    return web.Response(
        status=problem.status,
        body=problem.body(),
        headers={
            "Content-Type": PROBLEM_JSON,
            "Cache-Control": NO_STORE.cache_control,
            "Popcache-Content-Class": NO_STORE.content_class,
            **(headers or {}),
        },
    )
