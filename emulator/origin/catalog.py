"""Read queries over the catalogue: cities, stores, products, stock, promotions, pages.

Each function takes the connection and returns records from :mod:`.models`; a lookup of
something unknown returns ``None`` (or an empty list), and the caller decides what that means.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .models import City, Page, Product, Promotion, StockLevel, Store

__all__ = [
    "categories",
    "get_city",
    "get_page",
    "get_product",
    "get_store",
    "list_cities",
    "list_products",
    "list_stores",
    "promotions_for",
    "stock_at_stores",
    "stock_of_product",
]


def _rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, args)]


def list_products(
    conn: sqlite3.Connection, *, category: str | None = None, limit: int = 20, offset: int = 0
) -> tuple[list[Product], int]:
    """One page of products ordered by SKU, and how many match in all."""
    where, args = ("WHERE category = ?", (category,)) if category else ("", ())
    total = conn.execute(f"SELECT count(*) FROM products {where}", args).fetchone()[0]
    rows = _rows(
        conn,
        f"SELECT * FROM products {where} ORDER BY sku LIMIT ? OFFSET ?",
        (*args, limit, offset),
    )
    return [Product(**row) for row in rows], int(total)


def get_product(conn: sqlite3.Connection, sku: str) -> Product | None:
    rows = _rows(conn, "SELECT * FROM products WHERE sku = ?", (sku,))
    return Product(**rows[0]) if rows else None


def categories(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT DISTINCT category FROM products ORDER BY 1")]


def list_cities(conn: sqlite3.Connection) -> list[City]:
    return [City(**row) for row in _rows(conn, "SELECT * FROM cities ORDER BY id")]


def get_city(conn: sqlite3.Connection, city_id: str) -> City | None:
    rows = _rows(conn, "SELECT * FROM cities WHERE id = ?", (city_id,))
    return City(**rows[0]) if rows else None


def list_stores(conn: sqlite3.Connection, *, city_id: str | None = None) -> list[Store]:
    if city_id is None:
        return [Store(**row) for row in _rows(conn, "SELECT * FROM stores ORDER BY id")]
    rows = _rows(conn, "SELECT * FROM stores WHERE city_id = ? ORDER BY id", (city_id,))
    return [Store(**row) for row in rows]


def get_store(conn: sqlite3.Connection, store_id: str) -> Store | None:
    rows = _rows(conn, "SELECT * FROM stores WHERE id = ?", (store_id,))
    return Store(**rows[0]) if rows else None


def stock_at_stores(conn: sqlite3.Connection, store_ids: list[str]) -> list[StockLevel]:
    """Every product's stock at the given stores, ordered by store then SKU."""
    marks = ", ".join("?" for _ in store_ids)
    rows = _rows(
        conn,
        f"SELECT * FROM inventory WHERE store_id IN ({marks}) ORDER BY store_id, sku",
        tuple(store_ids),
    )
    return [StockLevel(**row) for row in rows]


def stock_of_product(
    conn: sqlite3.Connection, sku: str, *, store_id: str | None = None
) -> list[StockLevel]:
    """One product's stock at one store, or at every store ordered by store id."""
    if store_id is None:
        rows = _rows(conn, "SELECT * FROM inventory WHERE sku = ? ORDER BY store_id", (sku,))
    else:
        rows = _rows(
            conn, "SELECT * FROM inventory WHERE sku = ? AND store_id = ?", (sku, store_id)
        )
    return [StockLevel(**row) for row in rows]


def promotions_for(conn: sqlite3.Connection, sku: str) -> dict[str, Promotion]:
    """The product's running promotions, by city id."""
    rows = _rows(conn, "SELECT * FROM promotions WHERE sku = ?", (sku,))
    return {row["city_id"]: Promotion(**row) for row in rows}


def get_page(conn: sqlite3.Connection, kind: str, slug: str) -> Page | None:
    rows = _rows(conn, "SELECT * FROM pages WHERE kind = ? AND slug = ?", (kind, slug))
    return Page(**rows[0]) if rows else None
