"""The origin's storage: schema, first-run seed, connection setup and transactions (sqlite3).

``open_database(None)`` is an in-memory database, seeded fresh each time. A file database
is seeded only while empty (no ``meta.seeded`` row), so a restart keeps stock changes, carts
and orders. The connection runs in autocommit mode; writes that must land together go
through :func:`transaction`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from emulator.errors import ConfigError

from . import seed_data as seed

__all__ = ["SCHEMA", "open_database", "transaction"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cities (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,
    lat REAL NOT NULL, lon REAL NOT NULL, currency TEXT NOT NULL,
    price_factor_bp INTEGER NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS stores (
    id TEXT PRIMARY KEY, city_id TEXT NOT NULL REFERENCES cities(id), name TEXT NOT NULL,
    address TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
    delivery_radius_km REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL,
    category TEXT NOT NULL, base_price_cents INTEGER NOT NULL, currency TEXT NOT NULL,
    updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS inventory (
    store_id TEXT NOT NULL REFERENCES stores(id), sku TEXT NOT NULL REFERENCES products(sku),
    qty INTEGER NOT NULL CHECK (qty >= 0), updated_at REAL NOT NULL,
    PRIMARY KEY (store_id, sku));
CREATE TABLE IF NOT EXISTS promotions (
    city_id TEXT NOT NULL REFERENCES cities(id), sku TEXT NOT NULL REFERENCES products(sku),
    percent_off INTEGER NOT NULL CHECK (percent_off BETWEEN 1 AND 99), label TEXT NOT NULL,
    updated_at REAL NOT NULL, PRIMARY KEY (city_id, sku));
CREATE TABLE IF NOT EXISTS pages (
    kind TEXT NOT NULL CHECK (kind IN ('marketing', 'help')), slug TEXT NOT NULL,
    title TEXT NOT NULL, body_html TEXT NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (kind, slug));
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cart_items (
    session_id TEXT NOT NULL REFERENCES sessions(id), store_id TEXT NOT NULL REFERENCES stores(id),
    sku TEXT NOT NULL REFERENCES products(sku), qty INTEGER NOT NULL CHECK (qty > 0),
    PRIMARY KEY (session_id, store_id, sku));
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, created_at REAL NOT NULL,
    lines_json TEXT NOT NULL);
"""


def open_database(path: Path | None) -> sqlite3.Connection:
    """Connect, create the schema if missing, and seed the database if it is empty.

    Raises :class:`ConfigError` naming the file when it cannot be opened or is not a database.
    """
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            ":memory:" if path is None else str(path),
            isolation_level=None,
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(SCHEMA)
        if conn.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone() is None:
            _seed(conn)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise ConfigError(path or ":memory:", f"cannot open the origin database: {exc}") from exc
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block's statements as one write transaction: all land, or none do."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _seed(conn: sqlite3.Connection) -> None:
    t = seed.SEED_TIME
    with transaction(conn):
        conn.executemany(
            "INSERT INTO cities VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(*c, t) for c in seed.CITIES]
        )
        conn.executemany(
            "INSERT INTO stores VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(*s, t) for s in seed.STORES]
        )
        conn.executemany(
            "INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (sku, name, description, category, cents, seed.BASE_CURRENCY, t)
                for sku, category, cents, name, description in seed.PRODUCTS
            ],
        )
        conn.executemany(
            "INSERT INTO inventory VALUES (?, ?, ?, ?)",
            [
                (store[0], product[0], seed.seed_qty(i, j), t)
                for i, store in enumerate(seed.STORES)
                for j, product in enumerate(seed.PRODUCTS)
            ],
        )
        conn.executemany(
            "INSERT INTO promotions VALUES (?, ?, ?, ?, ?)", [(*p, t) for p in seed.PROMOTIONS]
        )
        conn.executemany(
            "INSERT INTO pages VALUES (?, ?, ?, ?, ?)",
            [("marketing", *page, t) for page in seed.MARKETING_PAGES]
            + [("help", *page, t) for page in seed.HELP_PAGES],
        )
        conn.execute("INSERT INTO meta VALUES ('seeded', ?)", (str(t),))
