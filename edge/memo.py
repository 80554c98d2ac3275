"""A bounded memo: pure results an isolate computes over and over, kept until it is full.

An isolate lives for many requests and sees the same few URLs, places and header values again
and again; remembering what they work out to saves each request microseconds. A memo that
grew with every distinct input would grow without bound under hostile traffic, so when one is
full it is emptied and starts over: cheaper than tracking recency, and the hot entries are back
within a few requests.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V]):
    """A dict of at most ``limit`` entries; :meth:`keep` adds one, emptying it first if full."""

    def __init__(self, limit: int = 4096) -> None:
        super().__init__()
        self.limit = limit

    def keep(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` and return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
