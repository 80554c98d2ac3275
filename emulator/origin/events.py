"""Inventory events for the edge's ``POST /_edge/events``: built from stock changes, no I/O.

The edge reads a JSON array of ``{"event_id", "type", "sku", "store_id", "zone_id", "qty",
"ts"}`` (``edge/events.py``) and purges by type: ``inventory.changed`` the level's
``sku:<sku>@<store>``, ``restock`` (sold out to in stock) a cascade reaching product pages,
listings and the zone. One stock write is one request, so the edge applies its events
together; past ``MAX_EVENTS_PER_POST`` (the edge's, and Queues', batch limit) it is split.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .changes import StockChange
from .respond import json_body

__all__ = ["MAX_EVENTS_PER_POST", "Event", "event_bodies", "event_type", "stock_events"]

MAX_EVENTS_PER_POST = 100  # edge [events] max_events default; Queues' sendBatch limit

Event = dict[str, object]


def event_type(change: StockChange) -> str:
    return "restock" if change.restocked else "inventory.changed"


def stock_events(
    changes: Iterable[StockChange], new_id: Callable[[str], str], now: float
) -> list[Event]:
    """One event per change, stamped ``now`` (unix seconds), ids from ``new_id``."""
    return [
        {
            "event_id": new_id("evt-"),
            "type": event_type(change),
            "sku": change.sku,
            "store_id": change.store_id,
            "zone_id": change.zone_id,
            "qty": change.after,
            "ts": now,
        }
        for change in changes
    ]


def event_bodies(
    events: Sequence[Event], per_post: int = MAX_EVENTS_PER_POST
) -> list[tuple[bytes, int]]:
    """The request bodies carrying ``events``, each with how many events it holds."""
    return [
        (json_body(list(events[start : start + per_post])), len(events[start : start + per_post]))
        for start in range(0, len(events), per_post)
    ]
