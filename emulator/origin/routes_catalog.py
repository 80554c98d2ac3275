"""Warm catalogue routes: products and stores (``max-age=300, stale-while-revalidate=60``).

A response showing a product carries ``sku:<sku>`` for it, the tag the edge soft-purges when
the product changes or is restocked (``tags``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from typing import Any

from aiohttp import web

from . import catalog
from .http_cache import WARM_CATALOG
from .models import City, Product, Store
from .params import bad_request, int_param, not_found
from .respond import reply_json
from .state import STATE
from .tags import sku_tag, sku_tags

__all__ = ["public", "require_city", "require_product", "require_store", "routes"]

routes = web.RouteTableDef()


def public(record: Product | Store | City) -> dict[str, Any]:
    """A record as the API shows it: every column but ``updated_at`` (sent as Last-Modified)."""
    data = asdict(record)
    del data["updated_at"]
    return data


def require_product(conn: sqlite3.Connection, sku: str, field: str = "sku") -> Product:
    product = catalog.get_product(conn, sku)
    if product is None:
        raise not_found(field, f"no product with sku {sku!r}")
    return product


def require_store(conn: sqlite3.Connection, store_id: str, field: str = "store_id") -> Store:
    store = catalog.get_store(conn, store_id)
    if store is None:
        raise not_found(field, f"no store with id {store_id!r}")
    return store


def require_city(conn: sqlite3.Connection, city_id: str, field: str = "city") -> City:
    """A city named in a query parameter: an unknown one is bad input (400)."""
    city = catalog.get_city(conn, city_id)
    if city is None:
        known = ", ".join(c.id for c in catalog.list_cities(conn))
        raise bad_request(field, f"unknown city {city_id!r}; known cities are {known}")
    return city


@routes.get("/api/products")
async def list_products(request: web.Request) -> web.Response:
    conn = request.app[STATE].conn
    category = request.query.get("category")
    if category is not None and category not in catalog.categories(conn):
        known = ", ".join(catalog.categories(conn))
        raise bad_request("category", f"unknown category {category!r}; known are {known}")
    limit = int_param(request.query, "limit", default=20, lo=1, hi=100)
    offset = int_param(request.query, "offset", default=0, lo=0, hi=1_000_000)
    products, total = catalog.list_products(conn, category=category, limit=limit, offset=offset)
    payload = {
        "items": [public(p) for p in products],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
    tags = ["products", *([f"category:{category}"] if category else [])]
    return reply_json(
        request,
        payload,
        policy=WARM_CATALOG,
        tags=tags + [f"product:{p.sku}" for p in products] + sku_tags(p.sku for p in products),
        last_modified=max((p.updated_at for p in products), default=None),
    )


@routes.get("/api/products/{sku}")
async def get_product(request: web.Request) -> web.Response:
    product = require_product(request.app[STATE].conn, request.match_info["sku"])
    return reply_json(
        request,
        public(product),
        policy=WARM_CATALOG,
        tags=[
            "products",
            f"product:{product.sku}",
            f"category:{product.category}",
            sku_tag(product.sku),
        ],
        last_modified=product.updated_at,
    )


@routes.get("/api/stores")
async def list_stores(request: web.Request) -> web.Response:
    conn = request.app[STATE].conn
    city_id = request.query.get("city")
    if city_id is not None:
        require_city(conn, city_id)
    stores = catalog.list_stores(conn, city_id=city_id)
    tags = ["stores", *([f"city:{city_id}"] if city_id else [])]
    return reply_json(
        request,
        {"items": [public(s) for s in stores]},
        policy=WARM_CATALOG,
        tags=tags + [f"store:{s.id}" for s in stores],
        last_modified=max((s.updated_at for s in stores), default=None),
    )


@routes.get("/api/stores/{store_id}")
async def get_store(request: web.Request) -> web.Response:
    store = require_store(request.app[STATE].conn, request.match_info["store_id"])
    return reply_json(
        request,
        public(store),
        policy=WARM_CATALOG,
        tags=["stores", f"store:{store.id}", f"city:{store.city_id}"],
        last_modified=store.updated_at,
    )
