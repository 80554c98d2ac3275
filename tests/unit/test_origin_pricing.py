"""Prices per city: base price times the city factor, less any promotion, rounded half up."""

from __future__ import annotations

import pytest

from emulator.origin.models import City, Product, Promotion
from emulator.origin.pricing import city_price, scale_half_up, unit_price

COFFEE = Product("BEV-COFFEE", "Coffee", "", "beverages", 1699, "USD", 0.0)
SF = City("san-francisco", "San Francisco", "US", 37.77, -122.42, "USD", 10800, 0.0)
LONDON = City("london", "London", "GB", 51.51, -0.13, "GBP", 8000, 0.0)


@pytest.mark.parametrize(
    ("cents", "numerator", "denominator", "expected"),
    [
        (100, 1, 2, 50),
        (1, 1, 2, 1),  # half rounds up
        (3, 1, 2, 2),
        (1699, 10800, 10000, 1835),  # 1834.92
        (1835, 85, 100, 1560),  # 1559.75
        (899, 8000, 10000, 719),  # 719.2
        (0, 7, 3, 0),
    ],
)
def test_scaling_rounds_half_up(
    cents: int, numerator: int, denominator: int, expected: int
) -> None:
    assert scale_half_up(cents, numerator, denominator) == expected


def test_a_unit_price_applies_the_city_factor_before_the_promotion() -> None:
    assert unit_price(1699, 10800, 15) == (1835, 1560)


def test_without_a_promotion_the_customer_pays_the_list_price() -> None:
    price = city_price(COFFEE, LONDON, None)
    assert (price.currency, price.list_cents, price.amount_cents) == ("GBP", 1359, 1359)
    assert (price.promotion, price.percent_off) == (None, 0)


def test_a_promotion_takes_its_percentage_off_and_is_named() -> None:
    promo = Promotion("san-francisco", "BEV-COFFEE", 15, "Coffee week", 0.0)
    price = city_price(COFFEE, SF, promo)
    assert (price.list_cents, price.amount_cents, price.promotion) == (1835, 1560, "Coffee week")
