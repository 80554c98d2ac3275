"""Distances, delivery areas and what the nearby stores have in stock."""

from __future__ import annotations

import pytest

from emulator.origin.geo import Pick, distance_km, rank_in_stock, stores_serving
from emulator.origin.models import StockLevel, Store

MISSION = Store("sf-mission", "san-francisco", "M", "", 37.7567, -122.4187, 3.0, 0.0)
MARINA = Store("sf-marina", "san-francisco", "M", "", 37.8005, -122.4380, 2.5, 0.0)
SUNSET = Store("sf-sunset", "san-francisco", "S", "", 37.7636, -122.4664, 3.5, 0.0)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((37.7749, -122.4194), (41.8781, -87.6298), 2984),  # San Francisco - Chicago
        ((51.5074, -0.1278), (41.8781, -87.6298), 6356),  # London - Chicago
        ((51.5074, -0.1278), (51.5074, -0.1278), 0),
    ],
)
def test_distance_matches_the_great_circle_distance(
    a: tuple[float, float], b: tuple[float, float], km: float
) -> None:
    assert distance_km(*a, *b) == pytest.approx(km, abs=5)


def test_only_stores_whose_radius_covers_the_point_serve_it_nearest_first() -> None:
    between_mission_and_sunset = (37.7600, -122.4400)
    served = stores_serving([MARINA, SUNSET, MISSION], *between_mission_and_sunset)
    assert [store.id for store, _ in served] == ["sf-mission", "sf-sunset"]
    assert served[0][1] < served[1][1] <= SUNSET.delivery_radius_km


def test_a_point_far_from_every_store_is_served_by_none() -> None:
    assert stores_serving([MISSION, MARINA, SUNSET], 51.5074, -0.1278) == []


def test_products_are_ranked_by_stock_across_stores_and_sold_out_ones_dropped() -> None:
    levels = [
        StockLevel("a", "EGGS", 5, 0.0),
        StockLevel("b", "EGGS", 6, 0.0),
        StockLevel("a", "MILK", 10, 0.0),
        StockLevel("a", "SOAP", 0, 0.0),
        StockLevel("b", "BREAD", 11, 0.0),
    ]
    assert rank_in_stock(levels, limit=10) == [
        Pick("BREAD", 11, ("b",)),
        Pick("EGGS", 11, ("a", "b")),
        Pick("MILK", 10, ("a",)),
    ]


def test_ranking_stops_at_the_limit() -> None:
    levels = [StockLevel("a", f"SKU{i}", i + 1, 0.0) for i in range(10)]
    assert [pick.sku for pick in rank_in_stock(levels, limit=2)] == ["SKU9", "SKU8"]
