"""What Tiered Cache's upper tier keeps of an origin response, and how it answers from it.

The upper tier (:mod:`emulator.uppertier`) is a shared cache in front of the origin
(https://developers.cloudflare.com/cache/how-to/tiered-cache/), so it stores as RFC 9111 lets a
shared cache store, with Cloudflare's defaults: the lifetime is ``ttl_of``'s (``s-maxage``,
``max-age``, ``Expires``, else Cloudflare's default Edge TTL by status:
https://developers.cloudflare.com/cache/how-to/configure-cache-status-code/#edge-ttl) and the
headers must pass ``is_storable`` (no ``no-store``, ``no-cache``, ``private`` or ``Set-Cookie``),
both from :mod:`emulator.runtime.cache`. On top of those:

- only the statuses RFC 9110 §15.1 calls heuristically cacheable, plus 302, 303 and 307 with
  a lifetime, are kept (``STORABLE_STATUSES``): never a 206 (the tier keys by URL, not range),
  a 304, or a 5xx, so an origin's outage never sticks in the tier;
- ``Vary: *`` is never stored; other ``Vary`` names become part of the entry's key: the values
  the request carried for them (RFC 9111 §4.1);
- a response reached by following a redirect is not stored under the URL asked for, and a
  stored 3xx only answers a fetch with ``redirect: "manual"``: a fetch that follows redirects
  must get the final response;
- ``Cache-Tag`` stays on the entry and on every answer: the tier keeps tags for purges, and the
  worker (the edge) needs them to tag its own entries. Only the viewer never sees it, which is
  the PoP's business.

An answer from an entry is a new response with ``Age`` (RFC 9111 §5.1), ``CF-Cache-Status`` and
the tier's ``Cache-Status`` member after the origin's own (RFC 9211 §2: first member closest to
the origin); a fresh entry whose validators match the request's ``If-None-Match`` or
``If-Modified-Since`` answers 304 with the fields RFC 9110 §15.4.5 lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from .runtime.cache import MAX_OBJECT_SIZE, is_storable, parse_cache_tags, ttl_of
from .runtime.cache_http import is_not_modified
from .runtime.headers import JsHeaders
from .runtime.http import NULL_BODY_STATUSES, JsRequest, JsResponse

__all__ = ["HEADER_REFUSALS", "STORABLE_STATUSES", "TierEntry", "refusal", "vary_key"]

STORABLE_STATUSES = frozenset({200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414})
HEADER_REFUSALS = frozenset({"headers", "vary", "lifetime"})
"""Refusals the origin's own headers asked for: Cloudflare shows those as ``BYPASS``."""
# Not kept with an entry: what an answer recomputes (Age, Content-Length, the statuses; the
# origin's Cache-Status is kept apart), hop-by-hop fields, and cookies (RFC 9111 §3.1).
_UNSTORED = frozenset(
    {
        "age",
        "cache-status",
        "cf-cache-status",
        "connection",
        "content-length",
        "keep-alive",
        "set-cookie",
        "transfer-encoding",
    }
)
# RFC 9110 §15.4.5: what a 304 carries of the stored response.
_NOT_MODIFIED_FIELDS = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "last-modified", "vary"}
)
_REDIRECTS = frozenset({300, 301, 302, 303, 307, 308})


def vary_key(response_headers: JsHeaders) -> tuple[str, ...] | None:
    """The request fields a response varies on (lower-cased, sorted); None for ``Vary: *``."""
    names = {
        name.strip().lower()
        for value in (response_headers.get("vary") or "").split(",")
        if (name := value.strip())
    }
    return None if "*" in names else tuple(sorted(names))


def refusal(response: JsResponse, now: float) -> str | None:
    """Why the tier does not store ``response`` (``status``, ``redirected``, ``headers``,
    ``vary``, ``lifetime``), or None when it does."""
    if response.status not in STORABLE_STATUSES:
        return "status"
    if response.redirected:
        return "redirected"
    if not is_storable(response.headers):
        return "headers"
    if vary_key(response.headers) is None:
        return "vary"
    if ttl_of(response.headers, now, response.status) <= 0:
        return "lifetime"
    return None


def _age(headers: JsHeaders) -> float:
    value = (headers.get("age") or "").strip()
    return float(min(int(value), 2**31)) if value.isascii() and value.isdigit() else 0.0


@dataclass(frozen=True, slots=True)
class TierEntry:
    """One stored response, with the request field values it was stored under."""

    url: str
    status: int
    status_text: str
    headers: tuple[tuple[str, str], ...]
    origin_cache_status: str | None
    body: bytes
    stored_at: float
    expires_at: float
    initial_age: float
    tags: frozenset[str]
    vary: tuple[tuple[str, str | None], ...]
    invalidated: bool = False  # soft-purged: kept, but refetched as if expired

    @classmethod
    def of(
        cls, url: str, request: JsRequest, response: JsResponse, body: bytes, now: float
    ) -> TierEntry | None:
        """The entry for ``response`` (whose body is ``body``) fetched for ``request`` at
        ``now``; None if too large (Cloudflare's 512 MB object limit)."""
        if len(body) > MAX_OBJECT_SIZE:
            return None
        headers = response.headers
        names = vary_key(headers) or ()
        return cls(
            url=url,
            status=response.status,
            status_text=response.statusText,
            headers=tuple(field for field in headers.fields if field[0] not in _UNSTORED),
            origin_cache_status=headers.get("cache-status"),
            body=body,
            stored_at=now,
            expires_at=now + ttl_of(headers, now, response.status),
            initial_age=_age(headers),
            tags=parse_cache_tags(headers.get("cache-tag")),
            vary=tuple((name, request.headers.get(name)) for name in names),
        )

    def selected_by(self, request: JsRequest) -> bool:
        """Whether this entry is the one for ``request``: the fields it varies on match, and a
        redirect only answers a fetch that does not follow it."""
        if self.status in _REDIRECTS and request.redirect != "manual":
            return False
        headers = request.headers
        return all(headers.get(name) == value for name, value in self.vary)

    def live(self, now: float) -> bool:
        """Not expired (an invalidated entry is still live until it expires or is replaced)."""
        return self.expires_at > now

    def fresh(self, now: float) -> bool:
        """Served without asking the origin."""
        return not self.invalidated and self.expires_at > now

    def ttl(self, now: float) -> int:
        """Seconds of freshness left, for ``Cache-Status``'s ``ttl``."""
        return int(self.expires_at - now)

    def answer(
        self, request: JsRequest, now: float, cf_cache_status: str, member: str
    ) -> JsResponse:
        """A new response from this entry for ``request``: 304, or the stored one (no body for
        a HEAD), with ``Age``, ``CF-Cache-Status`` and ``Cache-Status`` ``member`` appended."""
        cache_status = (
            f"{self.origin_cache_status}, {member}" if self.origin_cache_status else member
        )
        added = [
            ("age", str(int(self.initial_age + now - self.stored_at))),
            ("cf-cache-status", cf_cache_status),
            ("cache-status", cache_status),
        ]
        headers = JsHeaders.trusted([*self.headers, *added])
        if 200 <= self.status <= 299 and is_not_modified(
            if_none_match=request.headers.get("if-none-match"),
            if_modified_since=request.headers.get("if-modified-since"),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
        ):
            kept = [field for field in self.headers if field[0] in _NOT_MODIFIED_FIELDS]
            not_modified = JsHeaders.trusted([*kept, *added])
            return JsResponse(None, status=304, headers=not_modified, url=self.url)
        if self.status not in NULL_BODY_STATUSES:
            headers.fields.append(("content-length", str(len(self.body))))
        body = None if request.method == "HEAD" or self.status in NULL_BODY_STATUSES else self.body
        return JsResponse(
            body, status=self.status, statusText=self.status_text, headers=headers, url=self.url
        )
