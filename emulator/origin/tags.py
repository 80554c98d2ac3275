"""The names of the origin's cache tags, in the one vocabulary the edge's invalidation speaks.

The edge turns an inventory event into purges of ``sku:<sku>@<store>`` (a stock level),
``price:<sku>``, ``sku:<sku>`` (a product's pages), ``store:<store>`` and ``zone:<zone>``
(``edge/eventconfig.py``), so a response must carry exactly those names for what it shows to be
purged by an event. The older coarse tags (``stock:<store>``, ``product:<sku>``, ...) stay for
whoever purges by them.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import StockLevel

__all__ = [
    "level_tag",
    "level_tags",
    "price_tag",
    "sku_tag",
    "sku_tags",
    "stock_tags",
    "zone_tag",
]


def sku_tag(sku: str) -> str:
    """A response showing the product (its name, category, description)."""
    return f"sku:{sku}"


def sku_tags(skus: Iterable[str]) -> list[str]:
    return [sku_tag(sku) for sku in skus]


def level_tag(sku: str, store_id: str) -> str:
    """A response showing (or computed from) the stock of ``sku`` at ``store_id``."""
    return f"sku:{sku}@{store_id}"


def level_tags(levels: Iterable[StockLevel]) -> list[str]:
    """One ``sku:X@S`` per level, ordered by store then sku whatever order they came in, so
    equal data gets an equal header."""
    pairs = sorted({(level.store_id, level.sku) for level in levels})
    return [level_tag(sku, store_id) for store_id, sku in pairs]


def price_tag(sku: str) -> str:
    """A response showing the product's prices."""
    return f"price:{sku}"


def zone_tag(zone: str) -> str:
    """A response narrowed by the ``Edge-Geo-Zone`` the edge sent."""
    return f"zone:{zone}"


def stock_tags(store_ids: Iterable[str]) -> list[str]:
    """The coarse tags a stock change at these stores purges (``purge_tags``)."""
    return [f"stock:{store_id}" for store_id in store_ids]
