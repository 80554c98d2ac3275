"""Hostile input to the emulator's own parsers: the purge API body and token, and the
``X-Popcache-*`` headers that place a client and pick its PoP.

Each parser returns its value or raises its documented client error (``PurgeApiError`` with
a 4xx status, ``ProblemError`` with 400 naming the header); nothing else escapes, so the front
door never answers 500. Header values are text as aiohttp hands it over: bytes that were not
UTF-8 arrive as lone surrogates (``surrogateescape``).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hostile import encoded, outcome
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from emulator.anycast import CF_HEADER, GEO_HEADER, POP_HEADER, parse_client_geo, place
from emulator.clock import FakeClock
from emulator.errors import ProblemError
from emulator.purgeapi import (
    PURGE_API_PATH,
    PurgeApi,
    PurgeApiError,
    PurgeLog,
    PurgeSettings,
    parse_purge_body,
)
from emulator.purgelimit import PURGE_PLANS
from emulator.topology import DEFAULT_TOPOLOGY

HOSTILE = settings(max_examples=200, deadline=None)
PLAN = PURGE_PLANS["pro"]

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
ESCAPED_BYTES = st.binary(max_size=40).map(lambda raw: raw.decode("utf-8", "surrogateescape"))
HEADER = (
    ANY_TEXT
    | ESCAPED_BYTES
    | st.text(st.sampled_from("0123456789.,-+eEinfaINFAN _x"), max_size=30)
    | st.sampled_from(["sfo", " LHR ", "SFO\x00", "1e999,0", "nan,nan", "90,180", "-90.0,-180"])
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=10,
)
PURGE_DOCUMENT = st.dictionaries(
    st.sampled_from(["files", "tags", "hosts", "prefixes", "purge_everything", "soft"]) | ANY_TEXT,
    JSONISH
    | st.lists(
        st.sampled_from(
            [
                "https://shop.example/p",
                "http://[::1/",
                "https://x:99999/",
                "shop.example",
                "shop.example/api/",
                "shop.example:80",
                "ü.example",
                "a" * 300,
                "/" * 40,
                {"url": "https://shop.example/", "headers": {"a": "b"}},
                {"url": 1},
                {"headers": []},
            ]
        )
        | JSONISH,
        max_size=4,
    ),
    max_size=2,
)


# --- the purge API body -----------------------------------------------------------------------


@HOSTILE
@given(st.binary(max_size=200) | PURGE_DOCUMENT.map(encoded))
def test_any_purge_api_body_parses_or_is_a_400_with_a_cloudflare_code(body: bytes) -> None:
    for soft in (False, True):
        refused = outcome(PurgeApiError, parse_purge_body, body, PLAN, soft=soft)
        if isinstance(refused, PurgeApiError):
            assert refused.status == 400
            assert 1000 <= refused.code < 2000
            assert refused.message


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # deeper than the interpreter's recursion limit
        b'{"files": ["https://[::1/"]}',
        b'{"files": ["https://shop.example:99999/"]}',
        b'{"hosts": ["' + b"a" * 64 + b'.example"]}',  # a label past IDNA's 63
        b'{"hosts": ["\\udcff"]}',
        b'{"prefixes": ["shop.example/' + b"a/" * 40 + b'"]}',
        b'{"prefixes": ["\\u0000/"]}',
        b'{"tags": [""]}',
        b'{"files": [{"url": "https://shop.example/", "headers": {"a": 1}}]}',
        b'{"soft": "yes", "tags": ["a"]}',
        b"\xff\xfe",
    ],
)
def test_a_hostile_purge_api_body_is_a_400(body: bytes) -> None:
    with pytest.raises(PurgeApiError) as refused:
        parse_purge_body(body, PLAN)
    assert refused.value.status == 400


async def purge_api_answer(authorization: str) -> tuple[int, dict[str, Any]]:
    """The purge API's answer to a POST with ``authorization``. The request is a stand-in:
    aiohttp's mocked requests cannot carry the lone surrogates its parser produces."""
    api = PurgeApi(PurgeSettings(), dict, FakeClock(), PurgeLog())
    request = SimpleNamespace(
        method="POST",
        path=f"{PURGE_API_PATH}/zones/popcache-dev-zone/purge_cache",
        headers=CIMultiDict({"Authorization": authorization}),
    )
    answer = await api.handle(request)  # type: ignore[arg-type]
    assert answer.body is not None
    return answer.status, json.loads(bytes(answer.body))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer \udcff\udcfe",  # bytes that were not UTF-8, as aiohttp decodes them
        "Bearer popcache-dev-api-token\udcff",
        "Bearer \U0001f511",
        "Bearer",
        "\x00",
    ],
)
async def test_a_hostile_purge_api_token_is_refused_with_403(authorization: str) -> None:
    status, body = await purge_api_answer(authorization)
    assert (status, body["errors"][0]["code"]) == (403, 10000)


# --- X-Popcache-Client-Geo, X-Popcache-Pop, X-Popcache-Cf -------------------------------------


@HOSTILE
@given(HEADER)
def test_any_client_geo_is_a_place_on_the_globe_or_a_400_naming_the_header(value: str) -> None:
    location = outcome(ProblemError, parse_client_geo, value)
    if isinstance(location, ProblemError):
        assert (location.status, location.field) == (400, GEO_HEADER)
    else:
        assert -90 <= location.latitude <= 90
        assert -180 <= location.longitude <= 180


@HOSTILE
@given(
    st.dictionaries(
        st.sampled_from([GEO_HEADER, POP_HEADER, CF_HEADER, "CF-Connecting-IP"]), HEADER
    ),
    st.none() | HEADER,
)
def test_any_placement_headers_place_the_client_or_are_a_400_naming_one(
    headers: dict[str, str], peer: str | None
) -> None:
    placement = outcome(ProblemError, place, DEFAULT_TOPOLOGY, CIMultiDict(headers), peer)
    if isinstance(placement, ProblemError):
        assert placement.status == 400
        # the header, or a member of X-Popcache-Cf's object: "X-Popcache-Cf.city"
        assert placement.field.partition(".")[0] in (GEO_HEADER, POP_HEADER, CF_HEADER)
    else:
        assert placement.pop in DEFAULT_TOPOLOGY.pops


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (GEO_HEADER, "1e999,0"),
        (GEO_HEADER, "nan,0"),
        (GEO_HEADER, "1,2,3"),
        (GEO_HEADER, "91,0"),
        (GEO_HEADER, "\udcff,\udcff"),
        (POP_HEADER, "XXX"),
        (POP_HEADER, "SFO\r\nX-Injected: 1"),
        (POP_HEADER, "\udcff"),
        (CF_HEADER, "[1]"),
        (CF_HEADER, "{"),
        (CF_HEADER, "\udcff"),
    ],
)
def test_a_hostile_placement_header_is_a_400_naming_it(header: str, value: str) -> None:
    with pytest.raises(ProblemError) as refused:
        place(DEFAULT_TOPOLOGY, CIMultiDict({header: value}), None)
    assert (refused.value.status, refused.value.field) == (400, header)


def test_a_cf_override_member_that_was_not_utf8_is_a_400_naming_the_member() -> None:
    # found by tests/fuzz (emulator_headers): a byte of "Berlin" that was not UTF-8
    value = '{"country": "DE", "city": "B\udc93rlin", "asn": 3320}'
    with pytest.raises(ProblemError) as refused:
        place(DEFAULT_TOPOLOGY, CIMultiDict({CF_HEADER: value}), None)
    assert (refused.value.status, refused.value.field) == (400, f"{CF_HEADER}.city")


def test_a_deeply_nested_cf_override_is_a_400_not_a_recursion_error() -> None:
    value = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ProblemError) as refused:
        place(DEFAULT_TOPOLOGY, CIMultiDict({CF_HEADER: value}), None)
    assert (refused.value.status, refused.value.field) == (400, CF_HEADER)


def test_a_pop_pin_is_read_without_case_or_surrounding_space() -> None:
    placement = place(DEFAULT_TOPOLOGY, CIMultiDict({POP_HEADER: " lhr "}), None)
    assert placement.pop.colo == "LHR"
