"""The edge forwards to the origin's URL with the request's own headers minus hop-by-hop ones."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from upstream import HOP_BY_HOP, forwarded_headers, origin_url


@pytest.mark.parametrize(
    ("origin", "request_url", "expected"),
    [
        (
            "http://127.0.0.1:8788",
            "http://shop.example/api/products?x=1",
            "http://127.0.0.1:8788/api/products?x=1",
        ),
        ("http://127.0.0.1:8788/", "http://shop.example/", "http://127.0.0.1:8788/"),
        ("https://origin.example", "http://shop.example", "https://origin.example/"),
        ("http://o", "http://shop.example/a%20b?q=%2F", "http://o/a%20b?q=%2F"),
    ],
)
def test_origin_url_keeps_path_and_query_on_the_origin(origin, request_url, expected):
    assert origin_url(origin, request_url) == expected


def test_origin_url_drops_the_fragment():
    assert origin_url("http://o", "http://shop.example/p#top") == "http://o/p"


def test_hop_by_hop_fields_are_dropped():
    fields = [("Connection", "keep-alive"), ("Keep-Alive", "5"), ("Accept", "*/*"), ("Host", "x")]
    assert forwarded_headers(fields) == [("Accept", "*/*")]


def test_fields_named_by_connection_are_dropped():
    fields = [("Connection", "close, X-Secret"), ("X-Secret", "1"), ("X-Kept", "2")]
    assert forwarded_headers(fields) == [("X-Kept", "2")]


@given(st.lists(st.tuples(st.sampled_from([*HOP_BY_HOP, "accept", "x-a", "cookie"]), st.text())))
def test_no_hop_by_hop_field_ever_survives(fields):
    assert all(name.lower() not in HOP_BY_HOP for name, _ in forwarded_headers(fields))
