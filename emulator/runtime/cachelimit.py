"""How many entries an emulated cache keeps, and which go when it is full.

Cloudflare evicts from a data center's cache what is least used once the cache is full; an
emulated cache that only ever dropped entries when they were asked for after expiring, or
purged, would keep every distinct URL it was given for as long as ``popcache dev`` runs. Each
cache (a PoP's ``caches.default``, each named cache, the upper tier) keeps at most
``MAX_ENTRIES``: past it, the expired entries go first, then the longest stored, down to nine
tenths of the limit, so a full cache sweeps once per tenth of its limit, not on every store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["MAX_ENTRIES", "evict"]

MAX_ENTRIES = 10_000
"""Entries (URLs) one emulated cache keeps at most."""

T = TypeVar("T")


def evict(entries: dict[str, T], limit: int, live: Callable[[T], bool]) -> None:
    """Make room in ``entries`` (in the order stored) once it holds more than ``limit``."""
    if len(entries) <= limit:
        return
    for url in [url for url, entry in entries.items() if not live(entry)]:
        del entries[url]
    keep = limit * 9 // 10
    for url in list(entries)[: max(0, len(entries) - keep)]:
        del entries[url]
