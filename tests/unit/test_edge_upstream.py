"""The edge forwards to the origin's URL with the request's own headers minus hop-by-hop ones."""

import asyncio
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import EdgeRequest, EdgeResponse, Fields
from upstream import (
    HOP_BY_HOP,
    OriginError,
    client_fields,
    forwarded_headers,
    origin_headers,
    origin_url,
    reach,
    unreachable,
)


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
    assert list(forwarded_headers(fields)) == [("accept", "*/*")]


def test_fields_named_by_connection_are_dropped():
    fields = [("Connection", "close, X-Secret"), ("X-Secret", "1"), ("X-Kept", "2")]
    assert list(forwarded_headers(fields)) == [("x-kept", "2")]


@given(st.lists(st.tuples(st.sampled_from([*HOP_BY_HOP, "accept", "x-a", "cookie"]), st.text())))
def test_no_hop_by_hop_field_ever_survives(fields):
    assert all(name.lower() not in HOP_BY_HOP for name, _ in forwarded_headers(fields))


def test_the_origin_learns_the_storefront_host_and_scheme():
    fields = dict(client_fields("https://shop.example:8443/p", None, None))
    assert fields == {"x-forwarded-host": "shop.example:8443", "x-forwarded-proto": "https"}


@pytest.mark.parametrize(
    ("forwarded_for", "chain"),
    [
        (None, "203.0.113.9"),
        ("10.0.0.1, 203.0.113.9", "10.0.0.1, 203.0.113.9"),
        ("10.0.0.1", "10.0.0.1, 203.0.113.9"),
    ],
    ids=["set-when-absent", "kept-when-cloudflare-appended-it", "appended-when-missing"],
)
def test_the_client_address_ends_the_forwarded_for_chain_once(forwarded_for, chain):
    fields = dict(client_fields("http://shop.example/", "203.0.113.9", forwarded_for))
    assert (fields["x-forwarded-for"], fields["cf-connecting-ip"]) == (chain, "203.0.113.9")


async def test_an_origin_slower_than_its_time_is_an_http_response_timeout():
    async def slow(request: EdgeRequest) -> EdgeResponse:
        await asyncio.sleep(1)
        return EdgeResponse(200)

    with pytest.raises(OriginError) as caught:
        await reach(slow, EdgeRequest("GET", "http://o/", Fields()), 0.01)
    assert caught.value.error == "http_response_timeout"


def test_origin_headers_drop_what_is_asked_and_name_the_client():
    request = EdgeRequest(
        "GET",
        "https://shop.example/p",
        Fields([("If-None-Match", '"a"'), ("Accept", "*/*"), ("Connection", "close")]),
        client_ip="203.0.113.9",
    )
    fields = dict(origin_headers(request, frozenset({"if-none-match"})))
    assert fields == {
        "accept": "*/*",
        "x-forwarded-host": "shop.example",
        "x-forwarded-proto": "https",
        "cf-connecting-ip": "203.0.113.9",
        "x-forwarded-for": "203.0.113.9",
    }


_URL_PART = st.text(alphabet="abc/?#=&%:@.-", max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["http", "HTTPS", "https"]), _URL_PART, _URL_PART)
def test_origin_url_and_client_fields_read_a_url_as_urlsplit_does(scheme, authority, rest):
    url = f"{scheme}://{authority.split('/')[0].split('?')[0].split('#')[0]}/{rest}"
    parts = urlsplit(url)
    expected = f"http://o{parts.path or '/'}{'?' if parts.query else ''}{parts.query}"
    assert origin_url("http://o", url) == expected
    assert client_fields(url, None, None) == [
        ("x-forwarded-host", parts.netloc),
        ("x-forwarded-proto", parts.scheme),
    ]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (
            "Network connection lost. (ClientConnectorError: Cannot connect to host a:1)",
            "connection_refused",
        ),
        ("connect ECONNREFUSED 127.0.0.1:9", "connection_refused"),
        (
            "Network connection lost. (ServerTimeoutError: Timeout on reading data)",
            "connection_timeout",
        ),
        ("Network connection lost. (ClientConnectorDNSError: cannot resolve)", "dns_error"),
        (
            "Network connection lost. (ServerDisconnectedError: Server disconnected, reset)",
            "connection_terminated",
        ),
        ("Network connection lost.", "destination_unavailable"),
    ],
)
def test_a_fetch_failing_before_the_headers_is_named_by_its_message(
    message: str, error: str
) -> None:
    assert unreachable(message).error == error
