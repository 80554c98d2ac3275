"""A batch item may ask only for a plain relative path under a configured prefix, never for the
edge's own endpoints or a path an origin could read two ways; and it sends only the header
fields a page's script could have set itself."""

from __future__ import annotations

import pytest
from batchsafety import MAX_URL, item_fields, item_path, refuse_url
from cachekey import normalize
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import Fields

API = ("/api/",)


def refusal(url: str, prefixes: tuple[str, ...] = API) -> str:
    reason = refuse_url(url, prefixes)
    assert reason is not None, f"{url!r} was accepted"
    return reason


# URLs


@pytest.mark.parametrize(
    "url",
    [
        "/api/products/1",
        "/api/x?y=%2e",
        "/api/x?next=/../admin&q=%2F%25%00",
        "/api/stores/",
        "/api/",
        "/api/products;v=2",
        "/api/a.b/..c/...",
        "/api/%41%7e",
        "/api/x?",
    ],
)
def test_a_plain_path_under_a_prefix_is_allowed(url):
    assert refuse_url(url, API) is None


def test_any_of_several_prefixes_allows_a_path():
    assert refuse_url("/v2/products", ("/api/", "/v2/")) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/api/x",
        "https://shop.example/api/x",
        "HTTPS://shop.example/api/x",
        "javascript:alert(1)",
        "data:text/plain,x",
        "ftp://x/api/",
        "api/products/1",
        "",
    ],
)
def test_an_absolute_or_non_slash_url_is_refused(url):
    assert "storefront" in refusal(url)


@pytest.mark.parametrize("url", ["//evil.example/api/x", "///api/x", "//api/"])
def test_a_scheme_relative_url_is_refused(url):
    assert "another host" in refusal(url, ("/",))


@pytest.mark.parametrize(
    "url", ["/api\\..\\admin", "/api/x\\y", "/api/x?y=\\", "/\\evil.example/api/"]
)
def test_a_backslash_anywhere_is_refused(url):
    assert "backslash" in refusal(url, ("/",))


@pytest.mark.parametrize(
    "url",
    [
        "/api/%2e%2e/admin",
        "/api/%2E%2E/admin",
        "/api/%2e/x",
        "/api/.%2E/x",
        "/api/x%2fy",
        "/api/x%2F..%2Fadmin",
        "/api/x%5cy",
        "/api/x%5C",
        "/api/x%00",
        "/api/%252e%252e/admin",
        "/api/x%25",
    ],
)
def test_an_escaped_dot_slash_backslash_nul_or_percent_in_the_path_is_refused(url):
    assert "percent-encode" in refusal(url)


@pytest.mark.parametrize(
    "url",
    [
        "/api/../admin",
        "/api/./x",
        "/api/x/..",
        "/api/x/.",
        "/api/x/../",
        "/api/..;/admin",
        "/api/.;x/y",
        "/api/..;jsessionid=1/admin",
    ],
)
def test_a_dot_or_dot_dot_segment_is_refused(url):
    assert "'.' or '..'" in refusal(url)


@pytest.mark.parametrize("url", ["/api//x", "/api/x//", "/api/x//y?z"])
def test_an_empty_path_segment_is_refused(url):
    assert "empty path segment" in refusal(url)


@pytest.mark.parametrize("url", ["/api/x#frag", "/api/x?y=1#", "/api/#/../admin"])
def test_a_fragment_is_refused(url):
    assert "fragment" in refusal(url)


@pytest.mark.parametrize(
    "url", ["/api/a b", "/api/x?q=a b", "/api/x\t", "/api/x\n", "/api/\x7f", "/api/é", "/api/\x00"]
)
def test_spaces_controls_and_non_ascii_are_refused(url):
    assert "printable ASCII" in refusal(url)


@pytest.mark.parametrize("url", ["/apix", "/api", "/API/x", "/_admin/users", "/pages/help", "/"])
def test_a_path_outside_the_prefixes_is_refused(url):
    assert "must be under '/api/'" in refusal(url)


def test_with_no_prefixes_no_path_is_allowed():
    assert "no item is allowed" in refusal("/api/x", ())


@pytest.mark.parametrize(
    "url",
    ["/_edge/batch", "/_edge/views/x", "/_edge/views/pdp?sku=A", "/_edge", "/_edge/", "/_edge?x"],
)
def test_the_edges_own_endpoints_are_refused_even_under_the_root_prefix(url):
    assert "batches do not nest" in refusal(url, ("/",))


@pytest.mark.parametrize(
    "url", ["/%5Fedge/batch", "/%5fedge/views/x", "/%5F%65dge/batch", "/_%65%64ge", "/%5Fedge?x"]
)
def test_the_edges_own_endpoints_are_refused_when_unreserved_characters_are_escaped(url):
    assert "batches do not nest" in refusal(url, ("/",))


def test_an_escaped_unreserved_character_elsewhere_is_allowed():
    assert refuse_url("/%5Fedgy/x", ("/",)) is None


def test_the_root_prefix_allows_any_other_plain_path():
    assert refuse_url("/_edgy/x", ("/",)) is None


def test_a_url_of_max_url_characters_is_allowed():
    url = "/api/" + "x" * (MAX_URL - len("/api/"))
    assert refuse_url(url, API) is None


def test_a_url_longer_than_max_url_is_refused():
    url = "/api/" + "x" * (MAX_URL - len("/api/") + 1)
    assert "longer than" in refusal(url)


# Property: an allowed URL cannot climb out of its prefix once normalized

PIECES = st.sampled_from(
    [".", "..", "..;", ".;", "...", "%2e", "%2E", "%2f", "%5c", "%25", "%41", "%7E", "a", "b;c"]
)
SEGMENTS = st.lists(
    PIECES | st.text(alphabet="./%\\;?#abcdefABCDEF0123456789-_~", max_size=6), max_size=6
)


@settings(max_examples=200, deadline=None)
@given(SEGMENTS, st.sampled_from(["", "/"]))
def test_an_allowed_url_stays_under_its_prefix_after_dot_segment_removal(segments, tail):
    url = "/api/" + "/".join(segments) + tail
    if refuse_url(url, API) is None:
        assert normalize("https://shop.example" + url).path.startswith("/api/")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="./%\\;?#abcdefABCDEF0123456789-_~", max_size=30))
def test_an_allowed_url_of_any_url_characters_stays_under_its_prefix(text):
    url = "/api/" + text
    if refuse_url(url, API) is None:
        assert normalize("https://shop.example" + url).path.startswith("/api/")


EDGE_PIECES = st.sampled_from(["_edge", "%5Fedge", "%5f%65dge", "_%45dge", "batch", "views", "."])


@settings(max_examples=200, deadline=None)
@given(st.lists(EDGE_PIECES | PIECES, min_size=1, max_size=4), st.sampled_from(["", "/", "?q"]))
def test_an_allowed_url_never_reaches_the_edges_own_endpoints_once_normalized(segments, tail):
    url = "/" + "/".join(segments) + tail
    if refuse_url(url, ("/",)) is None:
        path = normalize("https://shop.example" + url).path
        assert not path.startswith("/_edge/")
        assert path != "/_edge"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_refuse_url_gives_a_reason_or_none_for_any_text(url):
    reason = refuse_url(url, API)
    assert reason is None or (isinstance(reason, str) and reason)


# Header fields


@pytest.mark.parametrize(
    "name",
    [
        "Cookie",
        "cookie",
        "COOKIE",
        "Host",
        "Content-Length",
        "Connection",
        "Transfer-Encoding",
        "TE",
        "Upgrade",
        "Origin",
        "Referer",
        "Sec-Fetch-Site",
        "sec-ch-ua",
        "Proxy-Authorization",
        "proxy-connection",
        "X-HTTP-Method-Override",
        "X-HTTP-Method",
        "X-Method-Override",
        "CF-Connecting-IP",
        "cf-ipcountry",
        "X-Forwarded-For",
        "x-forwarded-host",
        "Forwarded",
        "X-Real-IP",
        "True-Client-IP",
        "CDN-Loop",
        "Edge-Geo-Zone",
        "edge-geo-city",
        "Popcache-Debug",
        "POPCACHE-Anything",
        "Accept-Encoding",
        "Set-Cookie",
    ],
)
def test_a_field_the_page_or_client_may_not_set_is_dropped(name):
    assert list(item_fields([(name, "v")])) == []


@pytest.mark.parametrize(
    "name",
    [
        "Accept",
        "Accept-Language",
        "Authorization",
        "If-None-Match",
        "If-Modified-Since",
        "Content-Type",
        "X-Custom",
        "X-Request-Id",
        "Cache-Control",
        "X-Forwarded",
        "Secret",
        "Cookies-Consent",
    ],
)
def test_a_field_a_page_may_set_is_kept_lower_cased(name):
    assert list(item_fields([(name, "v")])) == [(name.lower(), "v")]


def test_kept_fields_keep_their_order_and_values():
    fields = item_fields(
        [("accept", "a"), ("cookie", "c"), ("x-b", "1"), ("host", "h"), ("accept", "b")]
    )
    assert fields == Fields([("accept", "a"), ("x-b", "1"), ("accept", "b")])


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("api/products/1", "/api/products/1"),  # Graph's "users?$top=5" form
        ("/api/products/1", "/api/products/1"),
        ("https://evil.example/x", "https://evil.example/x"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("\\evil", "\\evil"),
    ],
)
def test_an_item_path_is_taken_from_the_storefronts_root_unless_it_names_a_scheme(url, path):
    assert item_path(url) == path


@pytest.mark.parametrize("url", ["api/../admin", "api//x", "evil.example/api/x", "http:api/x"])
def test_a_url_without_a_leading_slash_is_checked_like_any_other(url):
    assert refuse_url(item_path(url), ("/api/",)) is not None
