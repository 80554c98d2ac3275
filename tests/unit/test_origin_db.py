"""The origin's database: what a fresh one holds, when it is seeded, and what queries return."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.errors import ConfigError
from emulator.origin import catalog
from emulator.origin.db import open_database
from emulator.origin.geo import distance_km
from emulator.origin.orders import set_stock
from emulator.origin.seed_data import SEED_TIME


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    conn = open_database(None)
    yield conn
    conn.close()


def fresh_dump() -> list[str]:
    conn = open_database(None)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_a_fresh_database_holds_three_cities_eight_stores_and_twenty_products(
    conn: sqlite3.Connection,
) -> None:
    assert [c.id for c in catalog.list_cities(conn)] == ["chicago", "london", "san-francisco"]
    assert len(catalog.list_stores(conn)) == 8
    assert catalog.list_products(conn, limit=100)[1] == 20


def test_every_store_stocks_every_product_and_some_are_sold_out(conn: sqlite3.Connection) -> None:
    stores = [s.id for s in catalog.list_stores(conn)]
    levels = catalog.stock_at_stores(conn, stores)
    assert len(levels) == 8 * 20
    assert any(level.qty == 0 for level in levels)
    assert all(level.qty >= 0 for level in levels)


def test_each_city_has_stores_within_a_few_kilometres_of_its_centre(
    conn: sqlite3.Connection,
) -> None:
    for city in catalog.list_cities(conn):
        stores = catalog.list_stores(conn, city_id=city.id)
        assert 2 <= len(stores) <= 3
        assert all(distance_km(city.lat, city.lon, s.lat, s.lon) < 10 for s in stores)


def test_three_marketing_and_three_help_pages_are_seeded(conn: sqlite3.Connection) -> None:
    for kind, slugs in [
        ("marketing", ["summer-market", "loyalty", "new-stores"]),
        ("help", ["delivery", "returns", "payments"]),
    ]:
        assert all(catalog.get_page(conn, kind, slug) is not None for slug in slugs)


def test_seeding_is_deterministic() -> None:
    assert fresh_dump() == fresh_dump()


def test_seeded_rows_are_stamped_with_the_seed_time(conn: sqlite3.Connection) -> None:
    product = catalog.get_product(conn, "BEV-COFFEE")
    assert product is not None
    assert product.updated_at == SEED_TIME


def test_reopening_a_database_file_keeps_its_changes_instead_of_reseeding(tmp_path: Path) -> None:
    path = tmp_path / "origin.sqlite3"
    first = open_database(path)
    set_stock(first, "BEV-COFFEE", "sf-mission", 123, now=SEED_TIME + 60)
    first.close()
    again = open_database(path)
    try:
        assert catalog.stock_of_product(again, "BEV-COFFEE", store_id="sf-mission")[0].qty == 123
        assert again.execute("SELECT count(*) FROM products").fetchone()[0] == 20
    finally:
        again.close()


def test_a_path_that_cannot_hold_a_database_is_a_config_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    path = tmp_path / "a-file" / "origin.sqlite3"
    with pytest.raises(ConfigError, match="a-file"):
        open_database(path)


def test_a_file_that_is_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not sqlite, just notes, long enough to have a header page" * 20)
    with pytest.raises(ConfigError, match=r"notes\.txt"):
        open_database(path)


def test_products_are_listed_by_sku_a_page_at_a_time_with_the_full_count(
    conn: sqlite3.Connection,
) -> None:
    first, total = catalog.list_products(conn, limit=5, offset=0)
    second, _ = catalog.list_products(conn, limit=5, offset=5)
    assert total == 20
    skus = [p.sku for p in first + second]
    assert skus == sorted(skus)
    assert len(set(skus)) == 10


def test_products_can_be_filtered_by_category(conn: sqlite3.Connection) -> None:
    dairy, total = catalog.list_products(conn, category="dairy")
    assert total == len(dairy) == 4
    assert {p.category for p in dairy} == {"dairy"}


def test_an_unknown_sku_store_city_or_page_is_none(conn: sqlite3.Connection) -> None:
    assert catalog.get_product(conn, "NOPE") is None
    assert catalog.get_store(conn, "nope") is None
    assert catalog.get_city(conn, "nope") is None
    assert catalog.get_page(conn, "help", "loyalty") is None  # a marketing slug, not a help one


def test_stores_can_be_filtered_by_city(conn: sqlite3.Connection) -> None:
    assert [s.id for s in catalog.list_stores(conn, city_id="chicago")] == [
        "chi-loop",
        "chi-wicker-park",
    ]


def test_a_products_stock_is_one_row_per_store_or_just_the_one_asked_for(
    conn: sqlite3.Connection,
) -> None:
    everywhere = catalog.stock_of_product(conn, "DRY-MILK-1L")
    assert [level.store_id for level in everywhere] == sorted(
        s.id for s in catalog.list_stores(conn)
    )
    assert [
        level.store_id
        for level in catalog.stock_of_product(conn, "DRY-MILK-1L", store_id="lon-camden")
    ] == ["lon-camden"]


def test_promotions_are_keyed_by_city(conn: sqlite3.Connection) -> None:
    promos = catalog.promotions_for(conn, "BEV-COFFEE")
    assert list(promos) == ["san-francisco"]
    assert promos["san-francisco"].percent_off == 15


def test_a_database_in_a_folder_that_does_not_exist_yet_is_created(tmp_path):
    path = tmp_path / "state" / "nested" / "origin.sqlite3"
    open_database(path).close()
    assert path.is_file()
