"""Writes: stock levels, sessions, carts and checkout. Every write is one transaction.

Callers pass the time (``now``) and check that skus and stores exist; a write that would
break a rule raises :class:`ProblemError` (409) and changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict

from emulator.errors import ProblemError

from .db import transaction
from .models import CartLine, StockLevel
from .pricing import unit_price

__all__ = [
    "MAX_LINE_QTY",
    "add_to_cart",
    "adjust_stock",
    "cart_lines",
    "checkout",
    "open_session",
    "session_exists",
    "set_stock",
]

MAX_LINE_QTY = 99


def _level(conn: sqlite3.Connection, sku: str, store_id: str) -> StockLevel:
    row = conn.execute(
        "SELECT * FROM inventory WHERE sku = ? AND store_id = ?", (sku, store_id)
    ).fetchone()
    return StockLevel(**dict(row)) if row else StockLevel(store_id, sku, 0, 0.0)


def set_stock(
    conn: sqlite3.Connection, sku: str, store_id: str, qty: int, now: float
) -> StockLevel:
    """Set the stock of a known product at a known store."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO inventory VALUES (?, ?, ?, ?) ON CONFLICT (store_id, sku) "
            "DO UPDATE SET qty = excluded.qty, updated_at = excluded.updated_at",
            (store_id, sku, qty, now),
        )
    return _level(conn, sku, store_id)


def adjust_stock(
    conn: sqlite3.Connection, sku: str, store_id: str, delta: int, now: float
) -> StockLevel:
    """Add ``delta`` (may be negative) to the stock; 409 if it would go below zero."""
    with transaction(conn):
        have = _level(conn, sku, store_id).qty
        if have + delta < 0:
            raise ProblemError(
                409,
                "Insufficient stock",
                f"{sku} at {store_id} has {have}; cannot remove {-delta}",
                field="delta",
            )
        set_qty = "UPDATE inventory SET qty = ?, updated_at = ? WHERE store_id = ? AND sku = ?"
        conn.execute(set_qty, (have + delta, now, store_id, sku))
    return _level(conn, sku, store_id)


def open_session(conn: sqlite3.Connection, session_id: str, now: float) -> None:
    conn.execute("INSERT INTO sessions VALUES (?, ?)", (session_id, now))


def session_exists(conn: sqlite3.Connection, session_id: str) -> bool:
    return conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None


def add_to_cart(
    conn: sqlite3.Connection, session_id: str, sku: str, store_id: str, qty: int
) -> None:
    """Add ``qty`` of a product from a store to the cart; 409 past :data:`MAX_LINE_QTY`."""
    with transaction(conn):
        row = conn.execute(
            "SELECT qty FROM cart_items WHERE session_id = ? AND store_id = ? AND sku = ?",
            (session_id, store_id, sku),
        ).fetchone()
        total = qty + (row[0] if row else 0)
        if total > MAX_LINE_QTY:
            raise ProblemError(
                409,
                "Cart line too large",
                f"at most {MAX_LINE_QTY} of {sku} per order",
                field="qty",
            )
        conn.execute(
            "INSERT INTO cart_items VALUES (?, ?, ?, ?) ON CONFLICT (session_id, store_id, sku) "
            "DO UPDATE SET qty = excluded.qty",
            (session_id, store_id, sku, total),
        )


def cart_lines(conn: sqlite3.Connection, session_id: str) -> list[CartLine]:
    """The cart's lines priced in each store's city, ordered by store then SKU."""
    rows = conn.execute(
        """
        SELECT c.sku, c.store_id, p.name, c.qty, p.base_price_cents, ci.currency,
               ci.price_factor_bp, coalesce(pr.percent_off, 0)
        FROM cart_items c
        JOIN products p ON p.sku = c.sku
        JOIN stores s ON s.id = c.store_id
        JOIN cities ci ON ci.id = s.city_id
        LEFT JOIN promotions pr ON pr.city_id = ci.id AND pr.sku = c.sku
        WHERE c.session_id = ? ORDER BY c.store_id, c.sku
        """,
        (session_id,),
    ).fetchall()
    return [
        CartLine(sku, store_id, name, qty, unit_price(base, factor, off)[1], currency)
        for sku, store_id, name, qty, base, currency, factor, off in rows
    ]


def checkout(
    conn: sqlite3.Connection, session_id: str, order_id: str, now: float
) -> list[CartLine]:
    """Take every cart line out of its store's stock and empty the cart, all or nothing.

    409 if the cart is empty or any line wants more than the store has.
    """
    with transaction(conn):
        lines = cart_lines(conn, session_id)
        if not lines:
            raise ProblemError(409, "Cart is empty", "add items before checking out", field="cart")
        for line in lines:
            have = _level(conn, line.sku, line.store_id).qty
            if have < line.qty:
                raise ProblemError(
                    409,
                    "Insufficient stock",
                    f"{line.sku} at {line.store_id} has {have}; the cart wants {line.qty}",
                    field="cart",
                )
            conn.execute(
                "UPDATE inventory SET qty = qty - ?, updated_at = ? WHERE store_id = ? AND sku = ?",
                (line.qty, now, line.store_id, line.sku),
            )
        conn.execute("DELETE FROM cart_items WHERE session_id = ?", (session_id,))
        conn.execute(
            "INSERT INTO orders VALUES (?, ?, ?, ?)",
            (order_id, session_id, now, json.dumps([asdict(line) for line in lines])),
        )
    return lines
