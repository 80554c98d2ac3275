"""Distances and delivery areas: which stores serve a point, and what they have in stock."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .models import StockLevel, Store

__all__ = ["EARTH_RADIUS_KM", "Pick", "distance_km", "rank_in_stock", "stores_serving"]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def stores_serving(stores: Iterable[Store], lat: float, lon: float) -> list[tuple[Store, float]]:
    """Stores whose delivery radius covers the point, nearest first, with their distance."""
    reach = [(store, distance_km(lat, lon, store.lat, store.lon)) for store in stores]
    serving = [(store, km) for store, km in reach if km <= store.delivery_radius_km]
    return sorted(serving, key=lambda pair: (pair[1], pair[0].id))


@dataclass(frozen=True)
class Pick:
    """A recommended product: how many the serving stores hold between them, and which."""

    sku: str
    qty: int
    store_ids: tuple[str, ...]


def rank_in_stock(levels: Iterable[StockLevel], limit: int) -> list[Pick]:
    """Products in stock at any of the given levels' stores, most stock first, then by SKU."""
    qty: dict[str, int] = {}
    where: dict[str, list[str]] = {}
    for level in levels:
        if level.qty > 0:
            qty[level.sku] = qty.get(level.sku, 0) + level.qty
            where.setdefault(level.sku, []).append(level.store_id)
    ranked = sorted(qty, key=lambda sku: (-qty[sku], sku))[:limit]
    return [Pick(sku, qty[sku], tuple(sorted(where[sku]))) for sku in ranked]
