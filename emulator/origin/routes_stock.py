"""Stock-bearing routes: hot inventory (``max-age=5``) and warm recommendations (``max-age=120``).

Every response that reads a store's stock carries ``stock:{store_id}``, so a stock change at
one store is purged with that one tag (see ``purge_tags`` in admin and checkout responses),
and ``sku:<sku>@<store_id>`` for each level it read, so the edge's inventory events purge only
the responses one level change touches. Recommendations are tagged with every level their
ranking read, not only those shown: a restock of another product can change the ranking.
"""

from __future__ import annotations

from aiohttp import web

from . import catalog
from .geo import rank_in_stock, stores_serving
from .http_cache import HOT_INVENTORY, HOT_ZONE_INVENTORY, WARM_RECOMMENDATIONS
from .models import StockLevel
from .params import float_param, int_param
from .respond import reply_json
from .routes_catalog import require_product, require_store
from .state import STATE
from .tags import level_tags, sku_tags, stock_tags, zone_tag
from .zones import request_zone, zone_stores

__all__ = ["routes"]

routes = web.RouteTableDef()


def _levels_tags(levels: list[StockLevel]) -> list[str]:
    stores = sorted({level.store_id for level in levels})
    products = sorted({level.sku for level in levels})
    return (
        ["inventory"]
        + [f"store:{s}" for s in stores]
        + stock_tags(stores)
        + [f"product:{p}" for p in products]
        + level_tags(levels)
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


@routes.get("/api/inventory/{sku}")
async def product_inventory(request: web.Request) -> web.Response:
    conn = request.app[STATE].conn
    product = require_product(conn, request.match_info["sku"])
    store_id = request.query.get("store_id")
    narrowed: list[str] = []  # the zone tag, when the zone picked the stores
    if store_id is not None:
        require_store(conn, store_id)
        levels = catalog.stock_of_product(conn, product.sku, store_id=store_id)
    else:
        zone = request_zone(request)
        stores = zone_stores(conn, zone)
        levels = [
            level
            for level in catalog.stock_of_product(conn, product.sku)
            if stores is None or level.store_id in stores
        ]
        narrowed = [zone_tag(zone)] if stores is not None and zone else []
    items = [{"store_id": lv.store_id, "qty": lv.qty} for lv in levels]
    return reply_json(
        request,
        {"sku": product.sku, "items": items, "total_qty": sum(lv.qty for lv in levels)},
        policy=HOT_INVENTORY if store_id is not None else HOT_ZONE_INVENTORY,
        tags=(_levels_tags(levels) or ["inventory", f"product:{product.sku}"]) + narrowed,
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
        + [f"product:{pick.sku}" for pick in picks]
        + sku_tags(pick.sku for pick in picks)
        + level_tags(levels),
        last_modified=max(stamps, default=None),
    )
