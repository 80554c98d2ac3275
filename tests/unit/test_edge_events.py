"""A POST /_edge/events body is a JSON array of inventory events, checked whole: valid events
become Events (times as unix seconds), and anything else is one EventError naming the field."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from events import EVENT_TYPES, Event, EventError, event_from_json, event_to_json, parse_events
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonbounds import MAX_NESTING

MAX = 100


def item(**members: Any) -> dict[str, Any]:
    """A valid event object; ``members`` add or replace members (``None`` removes one)."""
    event: dict[str, Any] = {
        "event_id": "evt-1",
        "type": "inventory.changed",
        "sku": "SKU-42",
        "store_id": "store-7",
        "ts": 1_790_000_000,
    }
    for key, value in members.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def encode(*items: Any) -> bytes:
    return json.dumps(list(items)).encode()


def parse(*items: Any, max_events: int = MAX) -> list[Event]:
    return parse_events(encode(*items), max_events)


def refusal(body: bytes, max_events: int = MAX) -> EventError:
    with pytest.raises(EventError) as raised:
        parse_events(body, max_events)
    return raised.value


def refused(*items: Any, max_events: int = MAX) -> EventError:
    return refusal(encode(*items), max_events)


def one_ts(ts: Any) -> float:
    [event] = parse(item(ts=ts))
    return event.ts


# Valid bodies


def test_a_valid_event_becomes_an_event_with_every_member():
    [event] = parse(item(zone_id="paris-11", qty=3))
    assert event == Event(
        event_id="evt-1",
        type="inventory.changed",
        sku="SKU-42",
        store_id="store-7",
        ts=1_790_000_000.0,
        zone_id="paris-11",
        qty=3,
    )


def test_the_optional_members_are_none_when_absent():
    [event] = parse(item())
    assert (event.zone_id, event.qty) == (None, None)


def test_events_come_back_in_body_order():
    events = parse(*(item(event_id=f"e{n}") for n in range(5)))
    assert [event.event_id for event in events] == ["e0", "e1", "e2", "e3", "e4"]


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_each_event_type_is_accepted(kind):
    [event] = parse(item(type=kind))
    assert event.type == kind


def test_exactly_max_events_are_accepted():
    events = parse(*(item(event_id=f"e{n}") for n in range(3)), max_events=3)
    assert len(events) == 3


def test_an_event_id_may_hold_colons_and_128_characters():
    event_id = "order:" + "a" * 122
    [event] = parse(item(event_id=event_id))
    assert event.event_id == event_id


def test_a_sku_may_be_64_characters():
    [event] = parse(item(sku="S" * 64))
    assert event.sku == "S" * 64


@pytest.mark.parametrize("qty", [0, 1_000_000_000])
def test_qty_may_be_zero_or_a_billion(qty):
    [event] = parse(item(qty=qty))
    assert event.qty == qty


# Timestamps


def test_an_integer_ts_becomes_float_seconds():
    ts = one_ts(1_790_000_000)
    assert ts == 1_790_000_000.0
    assert type(ts) is float


def test_a_fractional_ts_is_kept():
    assert one_ts(1_790_000_000.25) == 1_790_000_000.25


def test_ts_zero_is_the_epoch_and_accepted():
    assert one_ts(0) == 0.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2026-11-26T10:00:00Z", 1_795_687_200.0),
        ("2026-11-26T11:00:00+01:00", 1_795_687_200.0),
        ("2026-11-26T05:30:00-04:30", 1_795_687_200.0),
        ("2026-11-26t10:00:00z", 1_795_687_200.0),
        ("2026-11-26T10:00:00.5Z", 1_795_687_200.5),
        ("2026-11-26T10:00:00.125+00:00", 1_795_687_200.125),
        ("1970-01-01T00:00:00Z", 0.0),
        ("2016-12-31T23:59:60Z", 1_483_228_800.0),  # a leap second: the next second
    ],
)
def test_an_rfc3339_ts_with_an_offset_becomes_unix_seconds(text, seconds):
    assert one_ts(text) == seconds


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m))),
    )
)
def test_an_rfc3339_ts_reads_back_as_the_moment_it_was_written(moment):
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    text = moment.isoformat(timespec="milliseconds")
    assert one_ts(text) == pytest.approx(moment.timestamp(), abs=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-26T10:00:00",  # no offset: a local time of somewhere
        "2026-11-26 10:00:00Z",
        "2026-11-26",
        "2026-11-26T10:00Z",
        "2026-02-30T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-11-26T24:00:00Z",
        "2026-11-26T10:60:00Z",
        "2026-11-26T10:00:61Z",
        "2026-11-26T10:00:00+24:00",
        "2026-11-26T10:00:00+01:60",
        "2026-11-26T10:00:00+0100",
        "2026-11-26T10:00:00.Z",
        "1969-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",  # after the last second RFC 3339 can write in UTC
        "\uff12\uff10\uff12\uff16-11-26T10:00:00Z",  # fullwidth digits
        "1790000000",
        " 2026-11-26T10:00:00Z",
    ],
)
def test_a_ts_string_that_is_not_rfc3339_with_an_offset_is_refused(text):
    error = refused(item(ts=text))
    assert error.field == "events[0].ts"
    assert "RFC 3339" in error.detail


@pytest.mark.parametrize(
    "ts", ["-1", "-0.5", "1e400", "-1e400", "true", "false", "null", "[]", "{}", "1" * 400, "1e13"]
)
def test_a_ts_that_is_not_unix_seconds_is_refused(ts):
    body = encode(item(ts=0)).replace(b'"ts": 0', b'"ts": ' + ts.encode())
    error = refusal(body)
    assert error.field == "events[0].ts"


# Refusals of the body


@pytest.mark.parametrize(
    "body",
    [b"", b"[", b"\xff\xfe", b'[{"a": NaN}]', b"{}", b'"events"', b"null", b"1"],
)
def test_a_body_that_is_not_a_json_array_is_refused_as_body(body):
    assert refusal(body).field == "body"


def test_json_nested_past_the_limit_is_refused_as_body():
    body = b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1)
    error = refusal(body)
    assert error.field == "body"
    assert "nest" in error.detail


def test_an_empty_array_is_refused():
    assert refusal(b"[]").field == "body"


def test_more_than_max_events_is_refused_naming_the_limit():
    error = refused(*(item(event_id=f"e{n}") for n in range(4)), max_events=3)
    assert error.field == "body"
    assert "4 events, more than the 3 allowed" in error.detail


def test_a_member_given_twice_in_one_object_is_refused():
    body = b'[{"event_id": "a", "event_id": "b"}]'
    error = refusal(body)
    assert error.field == "body"
    assert "'event_id' appears twice" in error.detail


def test_an_item_that_is_not_an_object_is_refused_naming_it():
    assert refused(item(), "evt-2").field == "events[1]"


# Refusals of members


def test_an_unknown_member_is_refused_naming_it():
    error = refused(item(), item(event_id="e2", price=3))
    assert error.field == "events[1].price"
    assert "unknown member" in error.detail


@pytest.mark.parametrize("member", ["event_id", "type", "sku", "store_id", "ts"])
def test_a_missing_required_member_is_refused_naming_it(member):
    error = refused(item(**{member: None}))
    assert error.field == f"events[0].{member}"
    assert error.detail == "is required"


def test_an_unknown_type_is_refused_listing_the_known_ones():
    error = refused(item(type="stock.changed"))
    assert error.field == "events[0].type"
    assert all(kind in error.detail for kind in EVENT_TYPES)


@pytest.mark.parametrize(
    "event_id", ["", "a" * 129, "evt 1", "evt/1", "évt", "evt\n", 7, None, ["e"]]
)
def test_a_bad_event_id_is_refused(event_id):
    body = encode(item()).replace(b'"evt-1"', json.dumps(event_id).encode())
    assert refusal(body).field == "events[0].event_id"


@pytest.mark.parametrize("member", ["sku", "store_id", "zone_id"])
@pytest.mark.parametrize(
    "value", ["", "x" * 65, "a,b", "a b", "a:b", "a{b}", "a@b", "é", "a\u0000", 42, None]
)
def test_a_name_that_could_not_be_a_cache_tag_is_refused(member, value):
    body = encode(item(**{member: "x"})).replace(
        f'"{member}": "x"'.encode(), f'"{member}": {json.dumps(value)}'.encode()
    )
    assert refusal(body).field == f"events[0].{member}"


@pytest.mark.parametrize("qty", [-1, 1_000_000_001, 1.0, 1.5, True, "3", None])
def test_a_bad_qty_is_refused(qty):
    body = encode(item(qty=0)).replace(b'"qty": 0', b'"qty": ' + json.dumps(qty).encode())
    assert refusal(body).field == "events[0].qty"


def test_a_duplicate_event_id_is_refused_naming_the_later_one():
    error = refused(item(event_id="a"), item(event_id="b"), item(event_id="a"))
    assert error.field == "events[2].event_id"
    assert "'a'" in error.detail


def test_event_ids_differing_in_case_are_different_events():
    assert len(parse(item(event_id="a"), item(event_id="A"))) == 2


def test_the_first_fault_in_the_body_is_the_one_named():
    error = refused(item(sku="bad sku"), item(event_id=None))
    assert error.field == "events[0].sku"


def test_an_event_error_is_a_value_error_whose_text_names_the_field():
    error = refused(item(sku="bad sku"))
    assert isinstance(error, ValueError)
    assert str(error).startswith("events[0].sku: ")


# Queue messages


def test_event_to_json_leaves_out_absent_optionals():
    event = Event("e", "restock", "s", "st", 12.5)
    assert event_to_json(event) == {
        "event_id": "e",
        "type": "restock",
        "sku": "s",
        "store_id": "st",
        "ts": 12.5,
    }


def test_event_to_json_includes_present_optionals():
    data = event_to_json(Event("e", "restock", "s", "st", 12.5, zone_id="z", qty=0))
    assert (data["zone_id"], data["qty"]) == ("z", 0)


def test_event_from_json_reads_an_integer_ts_as_float_seconds():
    # JavaScript has one number type: 12.0 may come back from the queue as 12.
    event = event_from_json(
        {"event_id": "e", "type": "restock", "sku": "s", "store_id": "t", "ts": 12}
    )
    assert event.ts == 12.0
    assert type(event.ts) is float


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "event",
        {},
        {**event_to_json(Event("e", "restock", "s", "t", 1.0)), "zone_id": None},
        {**event_to_json(Event("e", "restock", "s", "t", 1.0)), "ts": "2026-11-26T10:00:00Z"},
        {**event_to_json(Event("e", "restock", "s", "t", 1.0)), "extra": 1},
        {**event_to_json(Event("e", "restock", "s", "t", 1.0)), "type": "purge"},
    ],
)
def test_event_from_json_refuses_what_event_to_json_cannot_write(data):
    with pytest.raises(EventError) as raised:
        event_from_json(data)
    assert raised.value.field == "message"


# Properties

NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
NAMES = st.text(NAME_CHARS, min_size=1, max_size=64)
MEMBERS = ["event_id", "type", "sku", "store_id", "zone_id", "qty", "ts"]
EVENTS = st.builds(
    Event,
    event_id=st.text(NAME_CHARS + ":", min_size=1, max_size=128),
    type=st.sampled_from(EVENT_TYPES),
    sku=NAMES,
    store_id=NAMES,
    ts=st.floats(min_value=0, max_value=253_402_300_799),
    zone_id=st.none() | NAMES,
    qty=st.none() | st.integers(0, 1_000_000_000),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(EVENTS)
def test_event_from_json_reads_back_what_event_to_json_wrote(event):
    assert event_from_json(json.loads(json.dumps(event_to_json(event)))) == event


@settings(max_examples=100, deadline=None)
@given(st.lists(EVENTS, min_size=1, max_size=5, unique_by=lambda event: event.event_id))
def test_a_body_of_written_events_parses_back_to_them(events):
    body = json.dumps([event_to_json(event) for event in events]).encode()
    assert parse_events(body, 10) == events


FIELD = re.compile(r"body|events\[[0-9]+\](?:\..*)?", re.DOTALL)


def parse_or_refuse(body: bytes, max_events: int) -> list[Event] | None:
    """The events, or None when refused: anything but EventError fails the test."""
    try:
        events = parse_events(body, max_events)
    except EventError as error:
        field = error.field
    else:
        check(events, max_events)
        return events
    assert FIELD.fullmatch(field), field
    return None


def check(events: list[Event], max_events: int) -> None:
    """What every accepted body promises: the limits, unique ids, and values a tag can hold."""
    assert 1 <= len(events) <= max_events
    assert len({event.event_id for event in events}) == len(events)
    for event in events:
        assert event.type in EVENT_TYPES
        assert all(NAME.fullmatch(name) for name in (event.sku, event.store_id))
        assert event.zone_id is None or NAME.fullmatch(event.zone_id)
        assert event.qty is None or 0 <= event.qty <= 1_000_000_000
        assert type(event.ts) is float
        assert 0 <= event.ts < math.inf


def message_or_refuse(data: object) -> Event | None:
    try:
        return event_from_json(data)
    except EventError as error:
        field = error.field
    assert field == "message"
    return None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 5))
def test_any_bytes_are_events_or_an_event_error(body, max_events):
    parse_or_refuse(body, max_events)


@settings(max_examples=300, deadline=None)
@given(JSON, st.integers(1, 5))
def test_any_json_value_is_events_or_an_event_error(value, max_events):
    parse_or_refuse(json.dumps(value).encode(), max_events)


# Values valid for one member or another, mixed with anything: objects near valid events.
NEAR = st.sampled_from(["restock", "sku-1", "e:1", 0, 7, 1.5, "2026-11-26T10:00:00Z", ""]) | JSON


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(MEMBERS), NEAR), st.dictionaries(st.text(max_size=3), NEAR))
def test_an_event_shaped_object_is_an_event_or_an_event_error(members, extra):
    for value in (members, {**item(), **members}, {**item(), **extra}):
        parse_or_refuse(json.dumps([value]).encode(), 1)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(MEMBERS), JSON) | JSON)
def test_any_json_value_is_an_event_message_or_an_event_error(value):
    event = message_or_refuse(value)
    if event is not None:
        assert event_from_json(event_to_json(event)) == event
