"""The storage the proxy needs: three calls over the Workers Cache API.

The entry adapter implements it over ``caches.default``; tests and the in-process benchmark
can give a dictionary. Keys are absolute URLs (``cachekey.cache_key``); responses are the
proxy's own ``EdgeResponse``. The Cache API decides retention from the stored response's
``Cache-Control`` and keeps its ``Cache-Tag`` for purging by tag.

An entry a soft purge (Cloudflare's ``invalidate_cache``) marked stale comes back from
``match`` with ``CF-Cache-Status: STALE`` (``INVALIDATED``) instead of ``HIT``: the emulator
says so; what production's Cache API answers for such an entry is not documented
(docs/events.md), and there it reads as a plain hit.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from messages import EdgeResponse

__all__ = ["CACHE_STATUS_FIELD", "INVALIDATED", "Store", "match_quietly", "quietly"]

CACHE_STATUS_FIELD = "cf-cache-status"
INVALIDATED = "STALE"


class Store(Protocol):
    async def match(self, key: str) -> EdgeResponse | None:
        """The live response stored under ``key``, if any."""
        ...

    async def put(self, key: str, response: EdgeResponse) -> None:
        """Store ``response`` under ``key``, replacing what was there."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove ``key``; whether something was removed."""
        ...


async def quietly(operation: Awaitable[object]) -> bool:
    """Run a cache write or delete; whether it worked. A failing cache costs the entry, never
    the response: the Cache API may fail in any way, and the request goes on."""
    try:
        await operation
    except Exception:
        return False
    return True


async def match_quietly(store: Store, key: str) -> EdgeResponse | None:
    """A lookup; a failing cache is a miss, never an error."""
    try:
        return await store.match(key)
    except Exception:
        return None
