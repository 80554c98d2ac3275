"""One trip to the origin for a cacheable request, and what it leaves in the cache.

A trip is the unit that request collapsing shares: it fetches (conditionally when it
revalidates a stored response), decides storage once, writes the cache once, and hands every
waiting request the same ``Outcome``. Storage I/O goes through the injected ``Store``; a
failing store loses the entry, never the response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

from cachecontrol import RequestCaching, age_seconds, parse_http_date, response_caching
from conditional import freshen
from freshness import STORED_FIELD, Stored, initial_age
from messages import EdgeRequest, EdgeResponse, Fields
from respond import INTERNAL_FIELDS
from routes import ClassPolicy
from storable import Exchange, storage
from store import Store, quietly
from tags import response_tags, tag_header
from upstream import Origin, OriginError, reach
from variants import VARIANTS_FIELD, marker

__all__ = ["Outcome", "Stale", "Trip", "fly"]

_UNSTORED = INTERNAL_FIELDS | {"age", "cache-control", "set-cookie"}
# Refusals whose response may still be handed to collapsed followers: nothing personal in it.
_SHAREABLE_REFUSALS = frozenset({"status", "no-freshness", "vary"})


@dataclass(frozen=True, slots=True)
class Stale:
    """A stored response that needs validating, and where it lives."""

    key: str
    entry: EdgeResponse
    record: Stored


@dataclass(frozen=True, slots=True)
class Trip:
    """What to fetch and how to store its answer."""

    request: EdgeRequest  # shaped for the origin already
    key: str  # where a response without Vary is stored
    variant_key: Callable[[tuple[str, ...], str], str]  # (fields, generation) -> key
    variants: tuple[str, tuple[str, ...]] | None  # (generation, fields) of the Vary marker
    policy: ClassPolicy
    rule: str
    caching: RequestCaching
    credentials: str | None  # "authorization" or "cookie" when storing needs permission
    vary_ok: Callable[[str | None], tuple[str, ...] | None]  # Vary -> fields, None: refused
    stale: Stale | None
    tags: tuple[str, ...] = ()  # the edge's own tags besides class:<name> (zone:<id>)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a trip brought back; every collapsed request reads the same one."""

    response: EdgeResponse | None = None
    error: OriginError | None = None
    record: Stored | None = None
    refusal: str | None = None
    origin_status: int | None = None

    @property
    def shareable(self) -> bool:
        """Whether a follower may be given this outcome (never a personal response)."""
        return (
            self.record is not None
            or self.refusal in _SHAREABLE_REFUSALS
            or (self.response is None)
        )


async def fly(trip: Trip, origin: Origin, store: Store, now: Callable[[], float]) -> Outcome:
    """Fetch within the policy's timeout, then store what may be stored."""
    request_time = now()
    try:
        response = await reach(origin, trip.request, trip.policy.timeout)
    except OriginError as exc:
        return Outcome(error=exc)
    response_time = now()
    origin_status = response.status
    if response.status == 304 and trip.stale is not None:
        entry, kept = trip.stale.entry, trip.stale.entry.headers.without(_UNSTORED)
        if trip.stale.record.cache_control is not None:
            kept.set("cache-control", trip.stale.record.cache_control)
        merged = freshen(kept, response.headers)
        response = EdgeResponse(entry.status, merged, entry.body)
    headers = response.headers
    if not headers.has("date"):
        headers.set("date", formatdate(response_time, usegmt=True))  # RFC 9110 §6.6.1
    fields = trip.vary_ok(headers.get("vary"))
    decision = storage(
        Exchange(
            policy=trip.policy,
            request=trip.caching,
            response=response_caching(
                cache_control=headers.get("cache-control"),
                cdn_cache_control=headers.get("cdn-cache-control"),
                expires=headers.get("expires"),
                date=headers.get("date"),
                pragma=headers.get("pragma"),
                now=response_time,
            ),
            status=response.status,
            credentials=trip.credentials,
            set_cookie=headers.has("set-cookie"),
            vary_ok=fields is not None,
            validator=headers.has("etag") or headers.has("last-modified"),
        )
    )
    if isinstance(decision, str):
        if trip.stale is not None and response.status < 500 and response.status != 429:
            # The origin no longer allows it; an overloaded one (429) says nothing of the
            # content, and the copy is what stale-if-error serves meanwhile.
            await quietly(store.delete(trip.stale.key))
        return Outcome(response, refusal=decision, origin_status=origin_status)
    record = Stored(
        response_time=response_time,
        initial_age=initial_age(
            age=age_seconds(headers.get("age")),
            date=parse_http_date(headers.get("date")),
            request_time=request_time,
            response_time=response_time,
        ),
        fresh=decision.fresh,
        swr=decision.swr,
        sie=decision.sie,
        content_class=trip.policy.name,
        rule=trip.rule,
        tags=response_tags(
            cache_groups=headers.get("cache-groups"),
            cache_tag=headers.get("cache-tag"),
            surrogate_key=headers.get("surrogate-key"),
            extra=(f"class:{trip.policy.name}", *trip.tags),
        ),
        cache_control=headers.get("cache-control"),
    )
    if await _store(trip, store, response, record, fields or ()):
        return Outcome(response, record=record, origin_status=origin_status)
    return Outcome(response, refusal="store-failed", origin_status=origin_status)


async def _store(
    trip: Trip,
    store: Store,
    response: EdgeResponse,
    record: Stored,
    fields: tuple[str, ...],
) -> bool:
    now = record.response_time
    validator = response.headers.has("etag") or response.headers.has("last-modified")
    retention = record.retention(now, validator)
    if retention <= 0:
        return False
    storage_fields = [
        ("cache-control", f"max-age={max(1, int(retention))}"),
        ("cache-tag", tag_header(record.tags)),
    ]
    headers = response.headers.without(_UNSTORED)
    for name, value in storage_fields:
        headers.set(name, value)
    headers.set(STORED_FIELD, record.encode())
    key = trip.key
    if fields:
        known = trip.variants
        generation = known[0] if known and known[1] == fields else f"{int(now * 1e6):x}"
        variants = Fields([*storage_fields, (VARIANTS_FIELD, marker(generation, fields))])
        if not await quietly(store.put(trip.key, EdgeResponse(200, variants, b""))):
            return False
        key = trip.variant_key(fields, generation)
    return await quietly(store.put(key, EdgeResponse(response.status, headers, response.body)))
