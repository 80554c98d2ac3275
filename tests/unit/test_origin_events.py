"""Inventory events built from stock changes: their type, their shape, and the bodies they travel
in, read back with the edge's own parser."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import pytest
from events import parse_events

from emulator.origin.changes import StockChange
from emulator.origin.events import MAX_EVENTS_PER_POST, event_bodies, event_type, stock_events

NOW = 1_767_312_000.5


def change(before: int, after: int, sku: str = "PAN-HONEY") -> StockChange:
    return StockChange(sku, "chi-loop", "chicago", before, after)


def numbered() -> Callable[[str], str]:
    """``state.new_id``'s shape, counting from 1 so ids are predictable."""
    numbers = itertools.count(1)
    return lambda prefix: f"{prefix}{next(numbers)}"


def test_a_level_going_from_sold_out_to_in_stock_is_a_restock() -> None:
    assert event_type(change(0, 4)) == "restock"


@pytest.mark.parametrize(("before", "after"), [(5, 3), (5, 0), (0, 0), (3, 9)])
def test_any_other_change_is_an_inventory_change(before: int, after: int) -> None:
    assert event_type(change(before, after)) == "inventory.changed"


def test_each_change_becomes_one_event_with_its_new_level_zone_and_the_time() -> None:
    events = stock_events([change(2, 7)], numbered(), NOW)
    assert events == [
        {
            "event_id": "evt-1",
            "type": "inventory.changed",
            "sku": "PAN-HONEY",
            "store_id": "chi-loop",
            "zone_id": "chicago",
            "qty": 7,
            "ts": NOW,
        }
    ]


def test_one_write_is_one_body_holding_all_its_events() -> None:
    events = stock_events([change(1, 0, "A"), change(0, 2, "B")], numbered(), NOW)
    [(body, count)] = event_bodies(events)
    assert count == 2
    assert json.loads(body) == events


def test_more_events_than_the_edge_takes_at_once_are_split_in_order() -> None:
    changes = [change(1, 2, f"SKU-{n}") for n in range(2 * MAX_EVENTS_PER_POST + 1)]
    events = stock_events(changes, numbered(), NOW)
    bodies = event_bodies(events)
    assert [count for _, count in bodies] == [MAX_EVENTS_PER_POST, MAX_EVENTS_PER_POST, 1]
    assert [event for body, _ in bodies for event in json.loads(body)] == events


def test_the_edge_accepts_every_body_as_events() -> None:
    events = stock_events([change(0, 3), change(4, 1, "DRY-EGGS-12")], numbered(), NOW)
    [(body, _)] = event_bodies(events)
    parsed = parse_events(body, MAX_EVENTS_PER_POST)
    assert [(e.type, e.sku, e.zone_id, e.qty, e.ts) for e in parsed] == [
        ("restock", "PAN-HONEY", "chicago", 3, NOW),
        ("inventory.changed", "DRY-EGGS-12", "chicago", 1, NOW),
    ]
