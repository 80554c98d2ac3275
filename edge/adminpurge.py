"""``POST /_edge/purge``: an operator's purge, through the same purge API as the events.

The body takes the purge API's own fields (exactly one of ``tags``, ``files``, ``prefixes``,
``hosts`` or ``purge_everything``) plus ``mode``: ``hard`` (the default) deletes, ``soft``
marks stale. It is authorised by a bearer token from the ``ADMIN_TOKEN`` secret, compared in
constant time. The purge is carried out before the answer, which says what was applied; the
values are split into calls of ``[purge] tags_per_call``. Answers: 200 with what was purged,
400 naming the field at fault, 401 without a valid token, 429 when the purge rate is spent
and 503 when the purge API is down (both with ``Retry-After``), 502 when the purge API refused,
503 when nothing is configured.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping

from eventconfig import PurgeSettings
from eventports import EventPorts
from jsonbounds import TooDeep, load
from messages import EdgeRequest, EdgeResponse, Fields
from problem import method_not_allowed, problem
from purgeapi import PurgeCall, Refused, Selector
from purgebucket import TokenBucket
from purging import carry_out

__all__ = ["ADMIN_PURGE_PATH", "AdminPurge", "PurgeBodyError", "parse_purge_body"]

ADMIN_PURGE_PATH = "/_edge/purge"
_MAX_BODY = 64 * 1024
_MAX_VALUES = 1000
_LISTS: tuple[Selector, ...] = ("tags", "files", "prefixes", "hosts")
_FIELDS = frozenset({*_LISTS, "purge_everything", "mode"})
_TAG = re.compile(r"[^,\s\x00-\x1f\x7f]{1,1024}")
_FILE = re.compile(r"https?://[^\s\x00-\x1f\x7f]{1,2048}", re.IGNORECASE)
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}(?::[0-9]{1,5})?/[^\s\x00-\x1f\x7f]{0,2048}")
_SYNTAX: Mapping[str, tuple[re.Pattern[str], str]] = {
    "tags": (_TAG, "a tag: no commas, whitespace or control characters, at most 1,024 characters"),
    "files": (_FILE, "an absolute http(s) URL"),
    "hosts": (_HOST, "a host name"),
    "prefixes": (_PREFIX, "a host and path without a scheme, such as shop.example/api/"),
}


class PurgeBodyError(ValueError):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def parse_purge_body(body: bytes, per_call: int) -> tuple[PurgeCall, ...]:
    """The purge calls the admin ``body`` asks for; PurgeBodyError naming the field."""
    if len(body) > _MAX_BODY:
        raise PurgeBodyError("body", f"the body is over {_MAX_BODY} bytes")
    try:
        data = load(body)
    except (TooDeep, ValueError):
        raise PurgeBodyError("body", "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise PurgeBodyError("body", "the body must be a JSON object")
    for name in data:
        if name not in _FIELDS:
            raise PurgeBodyError(name, f"unknown field; expected {', '.join(sorted(_FIELDS))}")
    mode = data.get("mode", "hard")
    if mode not in ("hard", "soft"):
        raise PurgeBodyError("mode", "must be 'hard' or 'soft'")
    chosen = [name for name in (*_LISTS, "purge_everything") if name in data]
    if len(chosen) != 1:
        raise PurgeBodyError(
            chosen[1] if chosen else "body",
            "give exactly one of tags, files, prefixes, hosts or purge_everything",
        )
    selector: Selector = chosen[0]
    hard = mode == "hard"
    if selector == "purge_everything":
        if data[selector] is not True:
            raise PurgeBodyError(selector, "must be true")
        return (PurgeCall("hard" if hard else "soft", selector, ()),)
    values = _values(data[selector], selector)
    return tuple(
        PurgeCall("hard" if hard else "soft", selector, values[start : start + per_call])
        for start in range(0, len(values), per_call)
    )


def _values(value: object, selector: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise PurgeBodyError(selector, "must be a non-empty array of strings")
    if len(value) > _MAX_VALUES:
        raise PurgeBodyError(selector, f"at most {_MAX_VALUES} values in one request")
    syntax, what = _SYNTAX[selector]
    for index, item in enumerate(value):
        if not isinstance(item, str) or not syntax.fullmatch(item):
            raise PurgeBodyError(f"{selector}[{index}]", f"must be {what}")
    return tuple(dict.fromkeys(value))


class AdminPurge:
    def __init__(self, settings: PurgeSettings, bucket: TokenBucket) -> None:
        """``bucket`` is the consumer's: both purge through the one account's rate."""
        self.settings = settings
        self.bucket = bucket

    async def handle(self, request: EdgeRequest, ports: EventPorts) -> EdgeResponse:
        if request.method != "POST":
            return method_not_allowed("purges are sent with POST", "POST")
        if not ports.admin_tokens or ports.purge is None:
            return problem(503, "purging is not configured: no ADMIN_TOKEN or purge API")
        if not _authorised(request.headers.get("authorization"), ports.admin_tokens):
            refused = problem(401, "a valid bearer token is required", field="authorization")
            refused.headers.set("www-authenticate", 'Bearer realm="popcache"')
            return refused
        try:
            calls = parse_purge_body(request.body or b"", self.settings.tags_per_call)
        except PurgeBodyError as exc:
            return problem(400, exc.detail, field=exc.field)
        carried = await carry_out(calls, ports, self.bucket)
        applied = [value for call in calls[: carried.done] for value in call.values]
        if isinstance(carried.stopped, Refused):
            return problem(502, f"the purge API refused: {carried.stopped.reason}", field="purge")
        if carried.stopped is not None:
            stopped = carried.stopped
            later = problem(
                429 if stopped.limited else 503,
                f"{'the purge rate is spent' if stopped.limited else 'the purge API is down'} "
                f"({stopped.reason}); {carried.done} of {len(calls)} calls were applied",
                applied=applied,
            )
            later.headers.set("retry-after", str(stopped.seconds))
            return later
        first = calls[0]
        answer: dict[str, object] = {
            "mode": first.mode,
            "selector": first.selector,
            "calls": len(calls),
        }
        if first.selector != "purge_everything":
            answer[first.selector] = applied
        headers = Fields([("content-type", "application/json"), ("cache-control", "no-store")])
        return EdgeResponse(200, headers, json.dumps(answer).encode())


def _authorised(header: str | None, tokens: tuple[str, ...]) -> bool:
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    # surrogatepass: a header's bytes that were not UTF-8 may arrive as lone surrogates.
    given_bytes = given.strip().encode("utf-8", "surrogatepass")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given_bytes, token.encode())
    return matched
