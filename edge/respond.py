"""What the client sees: a stored or origin response shaped for the browser.

The edge's own bookkeeping (the stored record, tags, the storage ``Cache-Control``) never
leaves it; the browser gets the class's ``Cache-Control`` (or the origin's), an ``Age``, the
``Cache-Status`` member, and a 304 when its own validators still match. A response fetched
now keeps the ``Cache-Status`` members of the caches it came through (an upper tier, the
origin's own), the edge's last: RFC 9211 §2 lists them from the origin towards the user. A
stored one carries only the edge's: what those caches said then is no longer true.
"""

from __future__ import annotations

from cachestatus import CacheStatus
from conditional import NOT_MODIFIED_FIELDS, is_not_modified
from freshness import STORED_FIELD, Stored
from memo import Memo
from messages import EdgeRequest, EdgeResponse, Fields
from routes import ClassPolicy
from tags import TAG_HEADERS
from variants import VARIANTS_FIELD

__all__ = ["INTERNAL_FIELDS", "finish", "from_origin", "from_store", "keep_from_shared_caches"]
# Fields of a stored or origin response that are the edge's business, or the runtime's to set.
INTERNAL_FIELDS = (
    frozenset(
        {
            STORED_FIELD,
            VARIANTS_FIELD,
            "cf-cache-status",
            "cache-status",
            "content-length",
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "trailer",
            "upgrade",
        }
    )
    | TAG_HEADERS
)
_STORED_ONLY = INTERNAL_FIELDS | {"age", "cache-control"}
_FROM_ORIGIN = INTERNAL_FIELDS - {"cache-status"}
_NOT_MODIFIED = NOT_MODIFIED_FIELDS | {"age"}
_SHARED_ONLY = frozenset({"public", "s-maxage", "proxy-revalidate"})
private_forms: Memo[str | None, str] = Memo(1024)
"""Cache-Control values and their private form."""


def from_store(
    entry: EdgeResponse, record: Stored, policy: ClassPolicy, now: float
) -> EdgeResponse:
    """A stored response as the browser gets it, with its current ``Age``."""
    headers = entry.headers.without(_STORED_ONLY)
    cache_control = policy.browser or record.cache_control
    if cache_control is not None:
        headers.set("cache-control", cache_control)
    headers.set("age", str(int(record.age(now))))
    return EdgeResponse(entry.status, headers, entry.body)


def from_origin(
    response: EdgeResponse, policy: ClassPolicy, record: Stored | None, now: float
) -> EdgeResponse:
    """An origin response as the browser gets it; ``record`` when the edge stored it."""
    headers = response.headers.without(_FROM_ORIGIN)
    if policy.store and policy.browser is not None and response.status < 500:
        headers.set("cache-control", policy.browser)
    if record is not None:
        headers.set("age", str(int(record.age(now))))
    return EdgeResponse(response.status, headers, response.body)


def finish(response: EdgeResponse, request: EdgeRequest, status: CacheStatus) -> EdgeResponse:
    """Add ``Cache-Status``, answer the client's own validators, and drop a HEAD's body."""
    if (
        response.status == 200
        and request.method in ("GET", "HEAD")
        and is_not_modified(request.headers, response.headers)
    ):
        kept = [(name, value) for name, value in response.headers if name in _NOT_MODIFIED]
        response = EdgeResponse(304, Fields(kept), b"")
    upstream = response.headers.get("cache-status")
    ours = status.value()
    response.headers.set("cache-status", f"{upstream}, {ours}" if upstream else ours)
    if request.method == "HEAD":
        response.body = b""
    return response


def keep_from_shared_caches(headers: Fields) -> None:
    """Mark a zone-scoped response ``private`` for caches past the edge.

    The edge keys it by the client's zone, which it learnt from ``request.cf``; a shared cache
    downstream sees no such header to vary on, so it could hand one zone's stock to another.
    ``private`` keeps the browser's copy and stops shared ones (RFC 9111 §5.2.2.7); ``public``
    and the shared-cache directives go, as they would contradict it.
    """
    value = headers.get("cache-control")
    private = private_forms.get(value)
    if private is None:
        private = private_forms.keep(value, _private(value))
    if private != value:
        headers.set("cache-control", private)


def _private(value: str | None) -> str:
    directives = [d.strip() for d in (value or "").split(",") if d.strip()]
    names = [d.partition("=")[0].strip().lower() for d in directives]
    if value is not None and ("no-store" in names or "private" in names):
        return value
    kept = [d for d, n in zip(directives, names, strict=True) if n not in _SHARED_ONLY]
    return ", ".join(["private", *kept])
