"""Hostile request bodies: the batch, event and purge bodies are parsed or refused by name.

Each body parser takes raw bytes from the network and either returns its value or raises its
own error (``BatchError``, ``EventError``, ``PurgeBodyError``; ``jsonbounds`` a
``ValueError``), which the endpoint turns into a 400 naming the field. No other exception
escapes: not for bytes that are not UTF-8, JSON nested past the interpreter's (or Pyodide's)
stack, huge numbers, lone surrogates, or values of the wrong type anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import jsonbounds
import pytest
from adminpurge import PurgeBodyError, parse_purge_body
from batchconfig import BatchSettings
from batchformat import BatchError, parse_batch_body
from edgeharness import SHOP, EventsHarness
from events import EventError, event_from_json, parse_events
from hostile import encoded, outcome
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import EdgeRequest, Fields

HOSTILE = settings(max_examples=200, deadline=None)
SETTINGS = BatchSettings()

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | ANY_TEXT
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=20,
)


def member_names(*names: str) -> st.SearchStrategy[str]:
    return st.sampled_from(names) | ANY_TEXT


# Near-valid shapes, so the checks past "is it an object" are reached too.
BATCH_ITEM = st.dictionaries(
    member_names("id", "method", "url", "headers", "body", "dependsOn"),
    JSONISH
    | st.sampled_from(["a", "b", "GET", "post", "/api/p", "/_edge/batch", ["a"], ["b", "a"]])
    | st.dictionaries(
        st.sampled_from(["Content-Type", "content-type", "X-A", "bad name", "\udcff"]),
        st.sampled_from(["application/json", "text/plain", "a\r\nb", "\x00", "é", "\udcff"])
        | JSONISH,
        max_size=3,
    ),
    max_size=6,
)
BATCH = st.dictionaries(
    member_names("requests"), st.lists(BATCH_ITEM, max_size=6) | JSONISH, max_size=2
)
EVENT = st.dictionaries(
    member_names("event_id", "type", "sku", "store_id", "ts", "zone_id", "qty"),
    JSONISH
    | st.sampled_from(["e1", "inventory.changed", "SKU-1", "2026-11-26T10:00:00Z", 0, 5, 1e300])
    | st.text(st.sampled_from("0123456789-:TZtz.+"), max_size=30),
    max_size=8,
)
PURGE = st.dictionaries(
    member_names("tags", "files", "prefixes", "hosts", "purge_everything", "mode"),
    JSONISH
    | st.sampled_from([True, "soft", "hard"])
    | st.lists(
        st.sampled_from(["sku:1", "https://shop.example/p", "shop.example/api/", "a,b", ""])
        | ANY_TEXT,
        max_size=5,
    ),
    max_size=3,
)


RAW = st.binary(max_size=300) | JSONISH.map(encoded)


# --- jsonbounds ------------------------------------------------------------------------------


@HOSTILE
@given(RAW)
def test_any_bytes_load_as_json_or_raise_value_error(body: bytes) -> None:
    with contextlib.suppress(ValueError):
        jsonbounds.load_document(body)


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a":', "}")])
def test_json_nested_past_the_limit_is_too_deep(depth: int, opening: str, closing: str) -> None:
    with pytest.raises(jsonbounds.TooDeep):
        jsonbounds.load(opening * depth + "0" + closing * depth)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert jsonbounds.load('["' + "[" * 10_000 + '"]') == ["[" * 10_000]


@pytest.mark.parametrize(
    "body",
    [
        b"NaN",
        b"[Infinity]",
        b'{"a":1,"a":2}',  # a member named twice
        b"\xff",
        b'"\xed\xa0\x80"',  # a UTF-8-encoded surrogate
        b"1" * 5000,  # past int()'s digit limit
        b"",
    ],
)
def test_a_hostile_document_raises_value_error(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"."):
        jsonbounds.load_document(body)


@HOSTILE
@given(JSONISH)
def test_any_value_dumps_to_utf8_json(value: object) -> None:
    try:
        dumped = jsonbounds.dump(value)
    except ValueError:  # NaN and the infinities are not JSON; json.dumps says so
        return
    dumped.decode("utf-8")


# --- POST /_edge/batch ------------------------------------------------------------------------


@HOSTILE
@given(RAW | BATCH.map(encoded))
def test_any_batch_body_parses_or_raises_batch_error_naming_a_field(body: bytes) -> None:
    refused = outcome(BatchError, parse_batch_body, body, SETTINGS)
    if isinstance(refused, BatchError):  # field may be "": the name of an unknown member ""
        assert isinstance(refused.field, str)
        assert refused.detail
        assert refused.pointer == "" or refused.pointer.startswith("/")


def batch(*items: dict[str, object]) -> bytes:
    return json.dumps({"requests": list(items)}).encode()


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b", "a\x7fb", "ā"])
def test_a_header_value_that_could_inject_a_field_refuses_the_batch(value: str) -> None:
    body = batch({"id": "1", "method": "GET", "url": "/api/p", "headers": {"X-A": value}})
    with pytest.raises(BatchError) as refused:
        parse_batch_body(body, SETTINGS)
    assert (refused.value.field, refused.value.item) == ("headers", "1")
    assert refused.value.pointer == "/requests/0/headers"


@pytest.mark.parametrize("name", ["X-A\r\nX-B", "X A", "X-A:", "", "\udcff"])
def test_a_header_name_that_is_not_a_token_refuses_the_batch(name: str) -> None:
    body = batch({"id": "1", "method": "GET", "url": "/api/p", "headers": {name: "v"}})
    with pytest.raises(BatchError) as refused:
        parse_batch_body(body, SETTINGS)
    assert refused.value.field == "headers"


def test_a_long_dependency_chain_is_refused_without_recursion() -> None:
    items = [{"id": "0", "method": "GET", "url": "/api/p"}]
    items += [
        {"id": str(index), "method": "GET", "url": "/api/p", "dependsOn": [str(index - 1)]}
        for index in range(1, 20)
    ]
    with pytest.raises(BatchError) as refused:
        parse_batch_body(batch(*items), SETTINGS)
    assert refused.value.field == "dependsOn"


def test_a_batch_over_the_size_limit_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(BatchError) as refused:
        parse_batch_body(b"[" * (SETTINGS.max_body + 1), SETTINGS)
    assert refused.value.field == "body"


@pytest.mark.parametrize("body", ["!!!", "é", 5, ["x"]])
def test_a_body_that_is_not_base64_refuses_the_batch(body: object) -> None:
    item = {"id": "1", "method": "POST", "url": "/api/p", "body": body}
    item["headers"] = {"Content-Type": "text/plain"}
    with pytest.raises(BatchError) as refused:
        parse_batch_body(batch(item), SETTINGS)
    assert refused.value.field == "body"


# --- POST /_edge/events -----------------------------------------------------------------------


@HOSTILE
@given(RAW | st.lists(EVENT, max_size=4).map(encoded))
def test_any_events_body_parses_or_raises_event_error_naming_a_field(body: bytes) -> None:
    refused = outcome(EventError, parse_events, body, max_events=100)
    if isinstance(refused, EventError):
        assert refused.field.startswith(("body", "events["))


@HOSTILE
@given(JSONISH | EVENT)
def test_any_queue_message_is_an_event_or_event_error(data: object) -> None:
    refused = outcome(EventError, event_from_json, data)
    if isinstance(refused, EventError):
        assert refused.field == "message"


@pytest.mark.parametrize(
    "ts",
    [
        "9999-12-31T23:59:60-23:59",  # past the last second RFC 3339 can write
        "0000-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-26T24:00:00Z",
        "2026-11-26T10:00:00+24:00",
        "\uff12\uff10\uff12\uff16-11-26T10:00:00Z",  # full-width digits
        10**400,
        -1,
        True,
    ],
)
def test_an_impossible_event_time_is_an_event_error_on_ts(ts: object) -> None:
    event = {"event_id": "e1", "type": "inventory.changed", "sku": "S", "store_id": "s", "ts": ts}
    with pytest.raises(EventError) as refused:
        parse_events(encoded([event]), max_events=10)
    assert refused.value.field == "events[0].ts"


def test_nan_in_an_events_body_is_not_json() -> None:
    event = {"event_id": "e1", "type": "inventory.changed", "sku": "S", "store_id": "s"}
    with pytest.raises(EventError) as refused:
        parse_events(encoded([event | {"ts": float("nan")}]), max_events=10)
    assert refused.value.field == "body"


def test_a_repeated_event_id_is_refused() -> None:
    event = {"event_id": "e1", "type": "inventory.changed", "sku": "S", "store_id": "s", "ts": 1}
    with pytest.raises(EventError) as refused:
        parse_events(encoded([event, event]), max_events=10)
    assert refused.value.field == "events[1].event_id"


# --- POST /_edge/purge ------------------------------------------------------------------------


@HOSTILE
@given(RAW | PURGE.map(encoded))
def test_any_purge_body_parses_or_raises_purge_body_error(body: bytes) -> None:
    calls = outcome(PurgeBodyError, parse_purge_body, body, per_call=30)
    if isinstance(calls, PurgeBodyError):  # field may be "": the name of an unknown member ""
        assert isinstance(calls.field, str)
        assert calls.detail
    else:
        assert calls
        assert all(len(call.values) <= 30 for call in calls)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"tags": ["a,b"]}, "tags[0]"),  # a comma would split one tag into two
        ({"tags": ["a\r\nb"]}, "tags[0]"),
        ({"tags": ["x" * 1025]}, "tags[0]"),
        ({"files": ["javascript:alert(1)"]}, "files[0]"),
        ({"hosts": ["-bad-.example"]}, "hosts[0]"),
        ({"prefixes": ["https://shop.example/api/"]}, "prefixes[0]"),
        ({"tags": ["a"] * 1001}, "tags"),
        ({"tags": ["a"], "hosts": ["b"]}, "hosts"),
        ({"purge_everything": 1}, "purge_everything"),
        ({"mode": ["hard"], "tags": ["a"]}, "mode"),
        ({"tags": ["a"], "__proto__": {}}, "__proto__"),
    ],
)
def test_a_bad_purge_body_names_its_field(document: object, field: str) -> None:
    with pytest.raises(PurgeBodyError) as refused:
        parse_purge_body(encoded(document), per_call=30)
    assert refused.value.field == field


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer \udcff\udcfe",  # bytes that were not UTF-8, as the emulator hands them over
        "Bearer admin-token\udcff",
        "Bearer \ud800",
        "Bearer admin-token\x00",
        "bearer  ",
        "Basic admin-token",
    ],
)
def test_a_hostile_admin_token_is_401_and_purges_nothing(authorization: str) -> None:
    edge = EventsHarness()
    fields = Fields([("content-type", "application/json"), ("authorization", authorization)])
    request = EdgeRequest("POST", f"{SHOP}/_edge/purge", fields, b'{"purge_everything": true}')
    response = asyncio.run(edge.send(request))
    assert response.status == 401
    assert edge.purges == []


def test_a_purge_body_over_64_kib_is_refused_unread() -> None:
    with pytest.raises(PurgeBodyError) as refused:
        parse_purge_body(b" " * (64 * 1024 + 1), per_call=30)
    assert refused.value.field == "body"
