"""Prices per city, computed from data: base price, city factor, promotion. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from .models import City, Product, Promotion

__all__ = ["CityPrice", "city_price", "scale_half_up", "unit_price"]


@dataclass(frozen=True)
class CityPrice:
    """What a product costs in one city, in that city's currency."""

    city_id: str
    currency: str
    list_cents: int  # before any promotion
    amount_cents: int  # what the customer pays
    promotion: str | None
    percent_off: int


def scale_half_up(cents: int, numerator: int, denominator: int) -> int:
    """``cents * numerator / denominator`` rounded half up, in integers (no float drift)."""
    return (2 * cents * numerator + denominator) // (2 * denominator)


def unit_price(base_cents: int, price_factor_bp: int, percent_off: int) -> tuple[int, int]:
    """``(list, amount)`` in cents: base scaled by the city factor, then less the promotion."""
    list_cents = scale_half_up(base_cents, price_factor_bp, 10_000)
    return list_cents, scale_half_up(list_cents, 100 - percent_off, 100)


def city_price(product: Product, city: City, promotion: Promotion | None) -> CityPrice:
    """The product's price in the city, in the city's currency."""
    percent_off = promotion.percent_off if promotion else 0
    list_cents, amount_cents = unit_price(
        product.base_price_cents, city.price_factor_bp, percent_off
    )
    return CityPrice(
        city_id=city.id,
        currency=city.currency,
        list_cents=list_cents,
        amount_cents=amount_cents,
        promotion=promotion.label if promotion else None,
        percent_off=percent_off,
    )
