"""Queue message bodies: what the edge writes it reads back; anything else is refused."""

import contextlib

import pytest
from eventmessages import (
    EventMessage,
    MessageError,
    PurgeMessage,
    WarmMessage,
    event_message,
    purge_message,
    read_message,
    warm_message,
)
from events import Event
from hypothesis import given
from hypothesis import strategies as st


def test_an_event_message_reads_back():
    event = Event("e1", "restock", "A1", "s1", 1000.0, zone_id="sf", qty=3)
    assert read_message(event_message(event, 1001.5)) == EventMessage(event, 1001.5)


def test_a_purge_message_reads_back():
    body = purge_message("soft", ("a", "b"), 5.0, "cascade")
    assert read_message(body) == PurgeMessage("soft", ("a", "b"), 5.0, "cascade")


def test_a_warm_message_reads_back():
    body = warm_message("/api/a", "promo:p", "sf", 5.0, "p", (37.5, -122.0), budget=60)
    assert read_message(body) == WarmMessage(
        "/api/a", "promo:p", "sf", 5.0, "p", (37.5, -122.0), 60
    )


def test_a_warm_message_written_without_a_budget_is_not_limited():
    body = warm_message("/api/a", "promo:p", None, 5.0, "p")
    del body["budget"]  # as queued before warm messages carried one
    assert read_message(body).budget is None


WARM = {"kind": "warm", "path": "/a", "tag": "t", "city": None, "accepted": 1, "promotion": "p"}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"kind": "event", "accepted": 1},
        {"kind": "purge", "mode": "hard", "tags": [], "accepted": 1, "source": "x"},
        {"kind": "purge", "mode": "gentle", "tags": ["a"], "accepted": 1, "source": "x"},
        {"kind": "purge", "mode": "hard", "tags": ["a"], "accepted": True, "source": "x"},
        {"kind": "purge", "mode": "hard", "tags": ["a"], "accepted": float("nan"), "source": "x"},
        {"kind": "other", "accepted": 1},
        {**WARM, "budget": 0},
        {**WARM, "budget": 1.5},
        {**WARM, "budget": True},
        {**WARM, "budget": "60"},
    ],
)
def test_a_body_the_edge_did_not_write_is_refused(body):
    with pytest.raises(MessageError):
        read_message(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@given(json_values)
def test_any_body_reads_or_is_refused(body):
    with contextlib.suppress(MessageError):
        read_message(body)
