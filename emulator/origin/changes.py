"""What a stock write changed: one ``StockChange`` per level, read back from the database.

Events (``events``) and ``Cache-Group-Invalidation`` both need a level's quantity before and
after the write and the zone (the store's city) it belongs to; the writes in ``orders`` answer
with the new rows only, so the handlers read the old quantity first and build changes here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from . import catalog
from .models import CartLine

__all__ = ["StockChange", "checkout_changes", "qty_now", "stock_change"]


@dataclass(frozen=True)
class StockChange:
    """The stock of ``sku`` at ``store_id`` (in city ``zone_id``) went from ``before`` to
    ``after``."""

    sku: str
    store_id: str
    zone_id: str
    before: int
    after: int

    @property
    def restocked(self) -> bool:
        """Sold out before, in stock now: the edge runs its restock cascade for these."""
        return self.before == 0 and self.after > 0


def qty_now(conn: sqlite3.Connection, sku: str, store_id: str) -> int:
    """The stock of a known product at a known store; 0 where no row has been written."""
    levels = catalog.stock_of_product(conn, sku, store_id=store_id)
    return levels[0].qty if levels else 0


def stock_change(
    conn: sqlite3.Connection, sku: str, store_id: str, zone_id: str, before: int
) -> StockChange:
    """The change from ``before`` to the level now stored."""
    return StockChange(sku, store_id, zone_id, before, qty_now(conn, sku, store_id))


def checkout_changes(conn: sqlite3.Connection, lines: Iterable[CartLine]) -> list[StockChange]:
    """The levels a checkout of ``lines`` took stock from, in the lines' order; each line's
    quantity was taken, so the level before is the one now plus the line's."""
    cities: dict[str, str] = {}
    changes = []
    for line in lines:
        if line.store_id not in cities:
            store = catalog.get_store(conn, line.store_id)
            cities[line.store_id] = store.city_id if store else line.store_id
        after = qty_now(conn, line.sku, line.store_id)
        changes.append(
            StockChange(line.sku, line.store_id, cities[line.store_id], after + line.qty, after)
        )
    return changes
