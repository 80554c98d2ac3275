"""Hostile URLs: cache-key normalisation and batch-item URL checks are total and stable.

A request URL is the attacker's first input: it picks the cache key every later client
shares. ``cachekey.normalize`` returns a key or raises ``InvalidURL`` (a ``ValueError``) for
any text; a normalised URL normalises to itself, so no two spellings can split or merge keys
the next time round. ``batchsafety.refuse_url`` answers with a reason or ``None`` for any
text and never lets an item out of its prefixes or into ``/_edge/``.
"""

from __future__ import annotations

import contextlib

import pytest
from batchsafety import item_fields, item_path, refuse_url
from cachekey import InvalidURL, cache_key, normalize
from hostile import quickly
from hypothesis import given, settings
from hypothesis import strategies as st

HOSTILE = settings(max_examples=300, deadline=None)

ANY_TEXT = st.text(st.characters(exclude_categories=()))
ESCAPED_BYTES = st.binary().map(lambda raw: raw.decode("utf-8", "surrogateescape"))
URL_PIECES = st.sampled_from(
    [
        "/",
        "//",
        ".",
        "..",
        "%",
        "%2e",
        "%2E%2e",
        "%2f",
        "%5c",
        "%5Fedge",
        "_edge",
        "%00",
        "%25",
        "%ff",
        "%c3%a9",
        "\\",
        "?",
        "&",
        "=",
        "#",
        "@",
        ":",
        "[",
        "]",
        "::1",
        "utm_source=x",
        "lat=1.5",
        "lon=-200",
        "latitude=1e400",
        "a",
        "xn--",
        "ü",
        "\x00",
        "\t",
        "\r\n",
        " ",
        "\udcff",
        "api",
        ";",
        "9" * 6,
    ]
)
URL_TAIL = st.lists(URL_PIECES, max_size=20).map("".join) | ANY_TEXT | ESCAPED_BYTES
SCHEME = st.sampled_from(["http://", "https://", "HTTPS://", "ftp://", "", "//", "https:/"])
HOST = st.sampled_from(["shop.example", "SHOP.example:443", "[::1]", "a..b", "", "x" * 70, "ü.de"])
URL = st.builds(lambda *parts: "".join(parts), SCHEME, HOST | URL_TAIL, URL_TAIL) | ANY_TEXT
SLOTS = {"version": "v1", "content_class": "html", "scope": "z"}


# --- cachekey.normalize -----------------------------------------------------------------------


@HOSTILE
@given(URL)
def test_any_url_normalises_or_raises_invalid_url(url: str) -> None:
    with contextlib.suppress(InvalidURL):
        normalize(url)


@HOSTILE
@given(URL)
def test_a_normalised_url_normalises_to_itself(url: str) -> None:
    try:
        first = normalize(url)
    except InvalidURL:
        return
    again = normalize(first.url)
    assert (again.url, again.host, again.path) == (first.url, first.host, first.path)


@HOSTILE
@given(URL)
def test_a_normalised_url_is_printable_ascii_without_credentials_or_fragment(url: str) -> None:
    try:
        normalized = normalize(url)
    except InvalidURL:
        return
    assert normalized.url.isascii()
    assert normalized.url.isprintable()
    assert "#" not in normalized.url
    assert "@" not in normalized.host
    assert normalized.path.startswith("/")
    assert not {".", ".."} & set(normalized.path.split("/"))


@HOSTILE
@given(URL)
def test_a_cache_key_has_its_six_slots_before_any_path(url: str) -> None:
    try:
        normalized = normalize(url)
    except InvalidURL:
        return
    key = cache_key(normalized, **SLOTS, variant="a/b?c")
    prefix = f"https://{normalized.host}/~popcache/"
    assert key.startswith(prefix)
    slots = key.removeprefix(prefix).split("/", 6)
    assert slots[:4] == [
        "http" if normalized.url.startswith("http:") else "https",
        "v1",
        "html",
        "z",
    ]
    assert slots[4] == "~a%2Fb%3Fc"


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1",  # an unclosed IPv6 literal
        "https://[::g]/",
        "https://[::1]x/",
        "https://a..b/",  # an empty label: IDNA refuses it
        "https://" + "x" * 64 + ".example/",  # a label longer than 63
        "https://%ff/",  # an escape that is not UTF-8
        "https://%00/",
        "https://shop.example:99999/",
        "https://shop.example:-1/",
        "https://shop.example:\U0001d7d7/",  # a non-ASCII digit
        "https://sh\udcffop.example/",  # a lone surrogate
        "https://",
        "javascript:alert(1)",
        "//shop.example/",
    ],
)
def test_an_unusable_url_raises_invalid_url(url: str) -> None:
    with pytest.raises(InvalidURL):
        normalize(url)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://shop.example/%5Fedge/batch", "/_edge/batch"),  # as the origin would read it
        ("https://shop.example/a/%2e%2e/_edge/", "/_edge/"),
        ("https://shop.example/a/../../../_edge/", "/_edge/"),
        ("\x00https://shop.example/p\x00q\x00", "/p%00q"),
        ("https://shop.example/%zz", "/%25zz"),
    ],
)
def test_escapes_and_dot_segments_become_the_path_the_origin_reads(url: str, path: str) -> None:
    assert normalize(url).path == path


def test_a_long_path_with_many_dot_segments_normalises_quickly() -> None:
    url = "https://shop.example/" + "a/../" * 20_000 + "p"
    assert quickly(normalize, url).path == "/p"


def test_a_query_of_many_params_normalises_quickly_and_sorted() -> None:
    query = "&".join(f"p{index}={index}" for index in reversed(range(20_000)))
    normalized = quickly(normalize, f"https://shop.example/?{query}&utm_source=x")
    assert "utm_source" not in normalized.url
    assert normalized.url.partition("?")[2].startswith("p0=0&p1=1&p10=10&")


def test_a_huge_coordinate_is_rounded_not_turned_into_a_geocell() -> None:
    normalized = normalize("https://shop.example/s?lat=1e308&lon=1e308")
    assert normalized.geocell is None


# --- batchsafety ------------------------------------------------------------------------------

PREFIXES = ("/api/",)


@HOSTILE
@given(URL_TAIL | URL)
def test_a_batch_item_url_is_refused_with_a_reason_or_stays_under_a_prefix(url: str) -> None:
    reason = refuse_url(item_path(url), PREFIXES)
    if reason is None:
        path = item_path(url)
        assert path.startswith("/api/")
        assert path.isascii()
        assert path.isprintable()
        assert not any(char in path for char in "\r\n\x00 #\\")
    else:
        assert reason


@HOSTILE
@given(URL_TAIL)
def test_no_batch_item_url_reaches_the_edge_endpoints(tail: str) -> None:
    for url in (f"/_edge/{tail}", f"/%5Fedge/{tail}", f"/%5fedge/{tail}", f"/api/../_edge/{tail}"):
        assert refuse_url(url, ("/",)) is not None


@pytest.mark.parametrize(
    "url",
    [
        "/api/p\r\nX-Injected: 1",
        "/api/p\nHost: evil.example",
        "/api/p HTTP/1.1\r\nHost: x",
        "/api/p\x00",
        "/api/%2e%2e/admin",
        "/api/%252e%252e/admin",
        "/api/..;/admin",
        "/api//admin",
        "/api\\..\\admin",
        "//evil.example/api/",
        "https://evil.example/api/",
        "/api/" + "a" * 9000,
        "/api/p#frag",
        "/api/\udcff",
        "/%61pi/p",  # not literally under /api/
    ],
)
def test_a_tricky_batch_item_url_is_refused(url: str) -> None:
    assert refuse_url(url, PREFIXES) is not None


@HOSTILE
@given(
    st.lists(st.tuples(ANY_TEXT | st.sampled_from(["Cookie", "Host", "CF-IPCountry"]), ANY_TEXT))
)
def test_item_fields_never_carry_what_only_the_edge_or_browser_sets(
    headers: list[tuple[str, str]],
) -> None:
    kept = {name for name, _ in item_fields(headers)}
    assert not kept & {"cookie", "host", "cf-ipcountry"}
    assert not any(name.startswith(("cf-", "popcache-", "x-forwarded-")) for name in kept)
