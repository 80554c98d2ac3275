"""Writes to the origin's database: stock edits, carts and checkout, each all-or-nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from emulator.errors import ProblemError
from emulator.origin import catalog, orders
from emulator.origin.db import open_database
from emulator.origin.seed_data import SEED_TIME

NOW = SEED_TIME + 3600


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    conn = open_database(None)
    yield conn
    conn.close()


@pytest.fixture
def session(conn: sqlite3.Connection) -> str:
    orders.open_session(conn, "s-test", NOW)
    return "s-test"


def qty(conn: sqlite3.Connection, sku: str, store_id: str) -> int:
    return catalog.stock_of_product(conn, sku, store_id=store_id)[0].qty


def test_setting_stock_changes_the_quantity_and_its_timestamp(conn: sqlite3.Connection) -> None:
    level = orders.set_stock(conn, "DRY-MILK-1L", "chi-loop", 3, NOW)
    assert (level.qty, level.updated_at) == (3, NOW)
    assert qty(conn, "DRY-MILK-1L", "chi-loop") == 3


def test_setting_stock_at_one_store_leaves_other_stores_alone(conn: sqlite3.Connection) -> None:
    before = qty(conn, "DRY-MILK-1L", "chi-wicker-park")
    orders.set_stock(conn, "DRY-MILK-1L", "chi-loop", before + 5, NOW)
    assert qty(conn, "DRY-MILK-1L", "chi-wicker-park") == before


def test_adjusting_stock_adds_the_delta(conn: sqlite3.Connection) -> None:
    before = qty(conn, "PAN-HONEY", "lon-camden")
    assert orders.adjust_stock(conn, "PAN-HONEY", "lon-camden", -2, NOW).qty == before - 2
    assert orders.adjust_stock(conn, "PAN-HONEY", "lon-camden", 10, NOW).qty == before + 8


def test_adjusting_stock_below_zero_is_a_409_and_changes_nothing(conn: sqlite3.Connection) -> None:
    orders.set_stock(conn, "PAN-HONEY", "lon-camden", 2, NOW)
    with pytest.raises(ProblemError) as caught:
        orders.adjust_stock(conn, "PAN-HONEY", "lon-camden", -3, NOW + 1)
    assert (caught.value.status, caught.value.field) == (409, "delta")
    level = catalog.stock_of_product(conn, "PAN-HONEY", store_id="lon-camden")[0]
    assert (level.qty, level.updated_at) == (2, NOW)


def test_a_new_session_has_an_empty_cart(conn: sqlite3.Connection, session: str) -> None:
    assert orders.session_exists(conn, session)
    assert orders.cart_lines(conn, session) == []


def test_an_unknown_session_does_not_exist(conn: sqlite3.Connection) -> None:
    assert not orders.session_exists(conn, "s-nobody")


def test_adding_the_same_item_twice_adds_to_one_line(
    conn: sqlite3.Connection, session: str
) -> None:
    orders.add_to_cart(conn, session, "BRD-BAGEL-6", "sf-marina", 2)
    orders.add_to_cart(conn, session, "BRD-BAGEL-6", "sf-marina", 3)
    [line] = orders.cart_lines(conn, session)
    assert (line.sku, line.store_id, line.qty) == ("BRD-BAGEL-6", "sf-marina", 5)


def test_cart_lines_are_priced_in_the_stores_city_with_its_promotion(
    conn: sqlite3.Connection, session: str
) -> None:
    orders.add_to_cart(conn, session, "BEV-EARL-GREY", "lon-camden", 1)
    [line] = orders.cart_lines(conn, session)
    assert (line.currency, line.unit_price_cents) == ("GBP", 647)  # 899 * 0.80 = 719, less 10%


def test_a_cart_line_past_99_is_a_409_and_keeps_the_line(
    conn: sqlite3.Connection, session: str
) -> None:
    orders.add_to_cart(conn, session, "BRD-BAGEL-6", "sf-marina", 90)
    with pytest.raises(ProblemError) as caught:
        orders.add_to_cart(conn, session, "BRD-BAGEL-6", "sf-marina", 10)
    assert caught.value.status == 409
    assert orders.cart_lines(conn, session)[0].qty == 90


def test_checkout_takes_each_line_out_of_its_stores_stock_and_empties_the_cart(
    conn: sqlite3.Connection, session: str
) -> None:
    orders.set_stock(conn, "DRY-EGGS-12", "sf-mission", 10, NOW)
    orders.set_stock(conn, "DRY-EGGS-12", "sf-sunset", 10, NOW)
    orders.add_to_cart(conn, session, "DRY-EGGS-12", "sf-mission", 4)
    lines = orders.checkout(conn, session, "ord-1", NOW + 5)
    assert [(line.sku, line.qty) for line in lines] == [("DRY-EGGS-12", 4)]
    assert qty(conn, "DRY-EGGS-12", "sf-mission") == 6
    assert qty(conn, "DRY-EGGS-12", "sf-sunset") == 10
    assert orders.cart_lines(conn, session) == []


def test_checkout_records_the_order(conn: sqlite3.Connection, session: str) -> None:
    orders.set_stock(conn, "DRY-EGGS-12", "sf-mission", 10, NOW)
    orders.add_to_cart(conn, session, "DRY-EGGS-12", "sf-mission", 1)
    orders.checkout(conn, session, "ord-1", NOW)
    row = conn.execute("SELECT session_id FROM orders WHERE id = 'ord-1'").fetchone()
    assert row[0] == session


def test_checkout_short_of_stock_is_a_409_and_changes_nothing(
    conn: sqlite3.Connection, session: str
) -> None:
    orders.set_stock(conn, "DRY-EGGS-12", "sf-mission", 10, NOW)
    orders.set_stock(conn, "DRY-BUTTER", "sf-mission", 1, NOW)
    orders.add_to_cart(conn, session, "DRY-EGGS-12", "sf-mission", 4)  # enough
    orders.add_to_cart(conn, session, "DRY-BUTTER", "sf-mission", 2)  # not enough
    with pytest.raises(ProblemError) as caught:
        orders.checkout(conn, session, "ord-1", NOW)
    assert caught.value.status == 409
    assert qty(conn, "DRY-EGGS-12", "sf-mission") == 10
    assert len(orders.cart_lines(conn, session)) == 2


def test_checking_out_an_empty_cart_is_a_409(conn: sqlite3.Connection, session: str) -> None:
    with pytest.raises(ProblemError) as caught:
        orders.checkout(conn, session, "ord-1", NOW)
    assert (caught.value.status, caught.value.field) == (409, "cart")
