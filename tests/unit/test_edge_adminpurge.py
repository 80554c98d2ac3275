"""POST /_edge/purge: an operator's purge, authorised by ADMIN_TOKEN, carried out at once."""

import asyncio
import json

import pytest
from adminpurge import PurgeBodyError, parse_purge_body
from edgeharness import SHOP, EventsHarness, api_answer, json_body
from hypothesis import given
from hypothesis import strategies as st
from messages import EdgeRequest, Fields


def run(coroutine):
    return asyncio.run(coroutine)


def purge(edge, body, token="admin-token"):
    fields = Fields([("content-type", "application/json")])
    if token is not None:
        fields.set("authorization", f"Bearer {token}")
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return run(edge.send(EdgeRequest("POST", f"{SHOP}/_edge/purge", fields, data)))


def test_a_tag_purge_is_applied_and_answered_with_what_was_purged():
    edge = EventsHarness()
    response = purge(edge, {"tags": ["sku:A1", "stock:s1"]})
    assert response.status == 200
    assert json_body(response) == {
        "mode": "hard",
        "selector": "tags",
        "calls": 1,
        "tags": ["sku:A1", "stock:s1"],
    }
    assert edge.purged() == [("purge_cache", ["sku:a1", "stock:s1"])]


def test_a_soft_purge_goes_to_invalidate_cache():
    edge = EventsHarness()
    assert purge(edge, {"tags": ["sku:A1"], "mode": "soft"}).status == 200
    assert edge.purged() == [("invalidate_cache", ["sku:a1"])]


def test_many_tags_are_split_into_calls_of_at_most_100():
    edge = EventsHarness()
    response = purge(edge, {"tags": [f"t{n}" for n in range(250)]})
    assert json_body(response)["calls"] == 3
    assert [len(tags) for _, tags in edge.purged()] == [100, 100, 50]


def test_purge_everything_sends_purge_everything():
    edge = EventsHarness()
    assert purge(edge, {"purge_everything": True}).status == 200
    assert json.loads(edge.purges[0].body) == {"purge_everything": True}


@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_without_the_admin_token_it_is_401_and_nothing_is_purged(token):
    edge = EventsHarness()
    response = purge(edge, {"tags": ["x"]}, token=token)
    assert response.status == 401
    assert (response.headers.get("www-authenticate") or "").startswith("Bearer")
    assert edge.purges == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tags": ["a"], "hosts": ["b.example"]}, "hosts"),
        ({}, "body"),
        ({"tags": []}, "tags"),
        ({"tags": ["has space"]}, "tags[0]"),
        ({"files": ["/relative"]}, "files[0]"),
        ({"prefixes": ["https://shop.example/a"]}, "prefixes[0]"),
        ({"tags": ["a"], "mode": "gentle"}, "mode"),
        ({"tags": ["a"], "soft": True}, "soft"),
        ({"purge_everything": False}, "purge_everything"),
        (b"[1, 2]", "body"),
        (b"{", "body"),
    ],
)
def test_a_bad_body_is_400_naming_the_field(body, field):
    edge = EventsHarness()
    response = purge(edge, body)
    assert (response.status, json_body(response)["field"]) == (400, field)
    assert edge.purges == []


def test_a_rate_limited_api_is_429_with_retry_after():
    edge = EventsHarness()
    edge.api_answers = [api_answer(429, ("retry-after", "30"), success=False)]
    response = purge(edge, {"tags": ["x"]})
    assert (response.status, response.headers.get("retry-after")) == (429, "30")


def test_a_purge_api_that_is_down_is_503_with_retry_after():
    edge = EventsHarness()
    edge.api_answers = [api_answer(503, ("retry-after", "7"), success=False)]
    response = purge(edge, {"tags": ["x"]})
    assert (response.status, response.headers.get("retry-after")) == (503, "7")


def test_a_refusing_api_is_502():
    edge = EventsHarness()
    edge.api_answers = [api_answer(400, success=False)]
    assert purge(edge, {"tags": ["x"]}).status == 502


@given(st.binary(max_size=300))
def test_any_body_parses_or_is_refused_naming_a_field(body):
    try:
        calls = parse_purge_body(body, 100)
    except PurgeBodyError as exc:
        field = exc.field
    else:
        field = "body" if calls else ""
    assert field
