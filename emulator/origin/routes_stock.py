"""Stock-bearing routes: hot inventory (``max-age=5``) and warm recommendations (``max-age=120``).

Every response that reads a store's stock carries ``stock:{store_id}``, so a stock change at
one store is purged with that one tag (see ``purge_tags`` in admin and checkout responses).
"""

from __future__ import annotations

import sqlite3

from aiohttp import web

from . import catalog
from .geo import rank_in_stock, stores_serving
from .http_cache import HOT_INVENTORY, HOT_ZONE_INVENTORY, WARM_RECOMMENDATIONS
from .models import StockLevel
from .params import float_param, int_param
from .respond import reply_json
from .routes_catalog import require_product, require_store
from .routes_prices import ZONE_HEADER
from .state import STATE

__all__ = ["routes", "stock_tags"]

routes = web.RouteTableDef()


def stock_tags(store_ids: list[str]) -> list[str]:
    """The tags a stock change at these stores must purge."""
    return [f"stock:{store_id}" for store_id in store_ids]


def _levels_tags(levels: list[StockLevel]) -> list[str]:
    stores = sorted({level.store_id for level in levels})
    products = sorted({level.sku for level in levels})
    return (
        ["inventory"]
        + [f"store:{s}" for s in stores]
        + stock_tags(stores)
        + [f"product:{p}" for p in products]
    )


@routes.get("/api/stores/{store_id}/inventory")
async def store_inventory(request: web.Request) -> web.Response:
    conn = request.app[STATE].conn
    store = require_store(conn, request.match_info["store_id"])
    levels = catalog.stock_at_stores(conn, [store.id])
    return reply_json(
        request,
        {"store_id": store.id, "items": [{"sku": lv.sku, "qty": lv.qty} for lv in levels]},
        policy=HOT_INVENTORY,
        tags=_levels_tags(levels) or ["inventory", f"store:{store.id}", f"stock:{store.id}"],
        last_modified=max((lv.updated_at for lv in levels), default=store.updated_at),
    )


def zone_stores(conn: sqlite3.Connection, zone: str | None) -> set[str] | None:
    """The stores an ``Edge-Geo-Zone`` names: a store, a city's stores, or None for every
    store (a zone the origin does not know)."""
    if not zone:
        return None
    zone = zone.strip().lower()
    if catalog.get_store(conn, zone) is not None:
        return {zone}
    stores = catalog.list_stores(conn, city_id=zone)
    return {store.id for store in stores} if stores else None


@routes.get("/api/inventory/{sku}")
async def product_inventory(request: web.Request) -> web.Response:
    conn = request.app[STATE].conn
    product = require_product(conn, request.match_info["sku"])
    store_id = request.query.get("store_id")
    if store_id is not None:
        require_store(conn, store_id)
        levels = catalog.stock_of_product(conn, product.sku, store_id=store_id)
    else:
        stores = zone_stores(conn, request.headers.get(ZONE_HEADER))
        levels = [
            level
            for level in catalog.stock_of_product(conn, product.sku)
            if stores is None or level.store_id in stores
        ]
    items = [{"store_id": lv.store_id, "qty": lv.qty} for lv in levels]
    return reply_json(
        request,
        {"sku": product.sku, "items": items, "total_qty": sum(lv.qty for lv in levels)},
        policy=HOT_INVENTORY if store_id is not None else HOT_ZONE_INVENTORY,
        tags=_levels_tags(levels) or ["inventory", f"product:{product.sku}"],
        last_modified=max((lv.updated_at for lv in levels), default=product.updated_at),
    )


@routes.get("/api/recommendations")
async def recommendations(request: web.Request) -> web.Response:
    """Products in stock at the stores whose delivery area covers ``lat``/``lon``."""
    conn = request.app[STATE].conn
    lat = float_param(request.query, "lat", lo=-90, hi=90)
    lon = float_param(request.query, "lon", lo=-180, hi=180)
    limit = int_param(request.query, "limit", default=5, lo=1, hi=20)
    serving = stores_serving(catalog.list_stores(conn), lat, lon)
    store_ids = [store.id for store, _ in serving]
    levels = catalog.stock_at_stores(conn, store_ids) if store_ids else []
    picks = rank_in_stock(levels, limit)
    products = {sku: require_product(conn, sku) for sku in (pick.sku for pick in picks)}
    items = [
        {
            "sku": pick.sku,
            "name": products[pick.sku].name,
            "category": products[pick.sku].category,
            "qty": pick.qty,
            "store_ids": list(pick.store_ids),
        }
        for pick in picks
    ]
    stores = [{"id": store.id, "distance_km": round(km, 2)} for store, km in serving]
    stamps = [lv.updated_at for lv in levels] + [p.updated_at for p in products.values()]
    return reply_json(
        request,
        {"lat": lat, "lon": lon, "stores": stores, "items": items},
        policy=WARM_RECOMMENDATIONS,
        tags=["recommendations"]
        + [f"store:{s}" for s in store_ids]
        + stock_tags(store_ids)
        + [f"product:{pick.sku}" for pick in picks],
        last_modified=max(stamps, default=None),
    )
