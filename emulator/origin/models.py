"""The origin's records: frozen dataclasses, one per table row, field names as column names."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CartLine", "City", "Page", "Product", "Promotion", "StockLevel", "Store"]


@dataclass(frozen=True)
class City:
    id: str
    name: str
    country: str
    lat: float
    lon: float
    currency: str
    price_factor_bp: int  # FX and local pricing folded into one factor, 10000 = 1.0
    updated_at: float


@dataclass(frozen=True)
class Store:
    id: str
    city_id: str
    name: str
    address: str
    lat: float
    lon: float
    delivery_radius_km: float
    updated_at: float


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    description: str
    category: str
    base_price_cents: int
    currency: str
    updated_at: float


@dataclass(frozen=True)
class StockLevel:
    store_id: str
    sku: str
    qty: int
    updated_at: float


@dataclass(frozen=True)
class Promotion:
    city_id: str
    sku: str
    percent_off: int
    label: str
    updated_at: float


@dataclass(frozen=True)
class Page:
    kind: str  # "marketing" or "help"
    slug: str
    title: str
    body_html: str
    updated_at: float


@dataclass(frozen=True)
class CartLine:
    sku: str
    store_id: str
    name: str
    qty: int
    unit_price_cents: int
    currency: str
