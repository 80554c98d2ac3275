"""What an ``Edge-Geo-Zone`` request header narrows a response to: one store, or one city.

The edge names the visitor's zone (a store or city id) in the header and keys its cache by it,
so a response the zone narrowed is tagged ``zone:<zone>`` (``tags``); a zone the origin does
not know narrows nothing, so a page never breaks on an unknown zone.
"""

from __future__ import annotations

import sqlite3

from aiohttp import web

from . import catalog
from .models import City

__all__ = ["ZONE_HEADER", "request_zone", "zone_city", "zone_stores"]

ZONE_HEADER = "Edge-Geo-Zone"


def request_zone(request: web.Request) -> str | None:
    """The request's zone as ids are written (trimmed, lower case); None without one."""
    zone = request.headers.get(ZONE_HEADER, "").strip().lower()
    return zone or None


def zone_city(conn: sqlite3.Connection, zone: str | None) -> City | None:
    """The city a zone names, directly or through one of its stores; None if neither."""
    if zone is None:
        return None
    store = catalog.get_store(conn, zone)
    return catalog.get_city(conn, store.city_id if store else zone)


def zone_stores(conn: sqlite3.Connection, zone: str | None) -> set[str] | None:
    """The stores a zone names: a store, a city's stores, or None for every store (a zone the
    origin does not know)."""
    if zone is None:
        return None
    if catalog.get_store(conn, zone) is not None:
        return {zone}
    stores = catalog.list_stores(conn, city_id=zone)
    return {store.id for store in stores} if stores else None
