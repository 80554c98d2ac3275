"""The Cache API stand-in: what ``caches.default`` and ``caches.open`` do for worker code."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.clock import FakeClock
from emulator.runtime.cache import (
    MAX_OBJECT_SIZE,
    CacheStorage,
    is_storable,
    parse_cache_control,
    parse_cache_tags,
    ttl_of,
)
from emulator.runtime.cache_http import (
    INVALID_URL,
    ByteRange,
    is_not_modified,
    normalize_url,
    parse_http_date,
    parse_range,
    weak_etag_match,
)
from emulator.runtime.headers import JsHeaders
from emulator.runtime.http import JsRequest, JsResponse
from emulator.runtime.jsproxy import JsDict, JsObject
from emulator.runtime.purgematch import parse_purge_host, parse_purge_prefix
from emulator.runtime.pyodide_ffi import JsException

URL = "https://shop.example/products/1"
NOW = 1_767_225_600.0  # FakeClock's start, 2026-01-01T00:00:00Z


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def caches(clock: FakeClock) -> CacheStorage:
    return CacheStorage(clock)


def cacheable(body: str = "hello", status: int = 200, **headers: str) -> JsResponse:
    """A response the cache keeps for an hour, plus any header given as cache_control=...."""
    fields = {"cache-control": "max-age=3600"}
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    return JsResponse(body, status=status, headers=fields)


def http_date(timestamp: float) -> str:
    return formatdate(timestamp, usegmt=True)


def get(url: str = URL, **headers: str) -> JsRequest:
    return JsRequest(url, headers={k.replace("_", "-"): v for k, v in headers.items()})


# --- CacheStorage ---------------------------------------------------------------------------


async def test_a_named_cache_keeps_at_most_the_storages_max_entries(clock: FakeClock) -> None:
    storage = CacheStorage(clock, max_entries=10)
    named = await storage.open("carts")
    for n in range(11):
        await named.put(get(f"{URL}?n={n}"), cacheable())
    assert storage.stored_count() == 9  # past the cap, down to nine tenths
    assert storage.stored_limit() == 20  # the default cache's 10 and the named one's


async def test_open_returns_the_same_cache_for_the_same_name(caches: CacheStorage) -> None:
    assert await caches.open("pages") is await caches.open("pages")


async def test_an_opened_cache_does_not_see_the_default_caches_entries(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable())

    assert await (await caches.open("pages")).match(URL) is None


async def test_two_storages_never_share_entries(clock: FakeClock) -> None:
    lisbon, porto = CacheStorage(clock), CacheStorage(clock)
    await lisbon.default.put(URL, cacheable())

    assert await porto.default.match(URL) is None


async def test_entry_count_counts_live_entries_of_every_cache(
    caches: CacheStorage, clock: FakeClock
) -> None:
    await caches.default.put(URL, cacheable())
    await (await caches.open("pages")).put(URL, cacheable(cache_control="max-age=10"))
    clock.advance(10)

    assert caches.entry_count() == 1


async def test_purge_everything_drops_every_cache_and_counts_what_it_dropped(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable())
    await (await caches.open("pages")).put(URL + "?page=2", cacheable())

    assert caches.purge_everything() == 2
    assert caches.entry_count() == 0


async def test_purge_everything_does_not_count_expired_entries(
    caches: CacheStorage, clock: FakeClock
) -> None:
    await caches.default.put(URL, cacheable(cache_control="max-age=10"))
    clock.advance(10)

    assert caches.purge_everything() == 0


async def test_purge_urls_drops_only_the_urls_given_normalised_like_keys(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable())
    await caches.default.put(URL + "?page=2", cacheable())

    assert caches.purge_urls(["HTTPS://Shop.Example:443/products/1#reviews"]) == 1
    assert await caches.default.match(URL + "?page=2") is not None


async def test_purge_tags_drops_entries_carrying_any_tag_without_regard_to_case(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable(cache_tag="product-1, Catalog"))
    await caches.default.put(URL + "?page=2", cacheable(cache_tag="catalog"))
    await caches.default.put(URL + "?page=3", cacheable(cache_tag="other"))

    assert caches.purge_tags(["CATALOG"]) == 2
    assert caches.entry_count() == 1


async def test_purge_tags_refuses_a_bare_string(caches: CacheStorage) -> None:
    with pytest.raises(TypeError, match=r"iterable of strings"):
        caches.purge_tags("catalog")


async def test_purge_hosts_drops_every_entry_on_the_host_whatever_its_path(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable())
    await (await caches.open("pages")).put("https://shop.example/", cacheable())
    await caches.default.put("https://other.example/products/1", cacheable())

    assert caches.purge_hosts(["SHOP.example"]) == 2
    assert await caches.default.match("https://other.example/products/1") is not None


async def test_a_purged_host_with_a_port_matches_that_port_only(caches: CacheStorage) -> None:
    await caches.default.put("http://127.0.0.1:8787/a", cacheable())
    await caches.default.put("http://127.0.0.1:9000/a", cacheable())

    assert caches.purge_hosts(["127.0.0.1:8787"]) == 1
    assert await caches.default.match("http://127.0.0.1:9000/a") is not None


async def test_a_purged_host_without_a_port_matches_any_port(caches: CacheStorage) -> None:
    await caches.default.put("http://127.0.0.1:8787/a", cacheable())
    await caches.default.put("http://127.0.0.1/a", cacheable())

    assert caches.purge_hosts(["127.0.0.1"]) == 2


async def test_purge_prefixes_drops_the_path_and_what_is_below_it(caches: CacheStorage) -> None:
    for path in ("/foo", "/foo/bar", "/foo?page=2", "/foo/bar/baz.jpg"):
        await caches.default.put(f"https://shop.example{path}", cacheable())

    assert caches.purge_prefixes(["shop.example/foo"]) == 4
    assert caches.entry_count() == 0


async def test_a_prefix_ends_at_a_path_segment_boundary(caches: CacheStorage) -> None:
    await caches.default.put("https://shop.example/foobar", cacheable())
    await caches.default.put("https://shop.example/foo/bar", cacheable())

    assert caches.purge_prefixes(["shop.example/foo"]) == 1
    assert await caches.default.match("https://shop.example/foobar") is not None


async def test_a_prefix_ending_in_a_slash_spares_the_directory_itself(
    caches: CacheStorage,
) -> None:
    await caches.default.put("https://shop.example/foo", cacheable())
    await caches.default.put("https://shop.example/foo/bar", cacheable())

    assert caches.purge_prefixes(["shop.example/foo/"]) == 1
    assert await caches.default.match("https://shop.example/foo") is not None


async def test_a_bare_host_prefix_drops_the_whole_host(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable())
    await caches.default.put("https://other.example/products/1", cacheable())

    assert caches.purge_prefixes(["shop.example"]) == 1


async def test_a_prefix_is_normalised_like_a_key(caches: CacheStorage) -> None:
    await caches.default.put("https://shop.example/caf%C3%A9/menu", cacheable())

    assert caches.purge_prefixes(["Shop.Example/a/../café"]) == 1


@pytest.mark.parametrize(
    "prefix",
    ["https://shop.example/foo", "shop.example/foo?a=b", "shop.example/foo#bar", "", "/foo"],
)
def test_a_prefix_with_a_scheme_query_fragment_or_no_host_is_refused(prefix: str) -> None:
    with pytest.raises(TypeError):
        parse_purge_prefix(prefix)


@pytest.mark.parametrize(
    "host", ["shop.example/foo", "https://shop.example", "shop example", "", "a:b", "u@host"]
)
def test_a_host_with_a_path_scheme_space_or_bad_port_is_refused(host: str) -> None:
    with pytest.raises(TypeError):
        parse_purge_host(host)


@given(st.text(max_size=40))
def test_parsing_a_purge_host_or_prefix_raises_nothing_but_type_error(value: str) -> None:
    for parse in (parse_purge_host, parse_purge_prefix):
        with contextlib.suppress(TypeError):
            parse(value)


# --- invalidation (soft purge) --------------------------------------------------------------


async def test_an_invalidated_entry_is_still_matched_but_stale(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("kept", cache_tag="catalog"))

    assert caches.purge_tags(["catalog"], soft=True) == 1
    stale = await caches.default.match(URL)
    assert stale is not None
    assert stale.headers.get("cf-cache-status") == "STALE"
    assert await stale.text() == "kept"


async def test_invalidating_keeps_the_entry_counted(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable(cache_tag="catalog"))
    caches.purge_tags(["catalog"], soft=True)

    assert caches.entry_count() == 1


async def test_a_put_after_invalidation_is_fresh_again(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("old"))
    caches.purge_urls([URL], soft=True)
    await caches.default.put(URL, cacheable("new"))

    hit = await caches.default.match(URL)
    assert hit is not None
    assert hit.headers.get("cf-cache-status") == "HIT"
    assert await hit.text() == "new"


async def test_invalidating_an_entry_twice_counts_it_once(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable())

    assert caches.purge_everything(soft=True) == 1
    assert caches.purge_everything(soft=True) == 0


async def test_a_hard_purge_drops_an_invalidated_entry(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable(cache_tag="catalog"))
    caches.purge_tags(["catalog"], soft=True)

    assert caches.purge_tags(["catalog"]) == 1
    assert await caches.default.match(URL) is None


async def test_an_invalidated_entry_still_expires(caches: CacheStorage, clock: FakeClock) -> None:
    await caches.default.put(URL, cacheable(cache_control="max-age=10"))
    caches.purge_urls([URL], soft=True)
    clock.advance(10)

    assert await caches.default.match(URL) is None


async def test_invalidation_marks_only_what_it_selects(caches: CacheStorage) -> None:
    await caches.default.put("https://shop.example/foo/1", cacheable())
    await caches.default.put("https://shop.example/bar/1", cacheable())

    assert caches.purge_prefixes(["shop.example/foo"], soft=True) == 1
    fresh = await caches.default.match("https://shop.example/bar/1")
    assert fresh is not None
    assert fresh.headers.get("cf-cache-status") == "HIT"


async def test_invalidate_hosts_marks_every_cache_on_the_host(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable())
    await (await caches.open("pages")).put(URL, cacheable())

    assert caches.purge_hosts(["shop.example"], soft=True) == 2


async def test_a_conditional_match_of_an_invalidated_entry_is_a_stale_304(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable(etag='"v1"'))
    caches.purge_everything(soft=True)

    answer = await caches.default.match(get(if_none_match='"v1"'))
    assert answer is not None
    assert (answer.status, answer.headers.get("cf-cache-status")) == (304, "STALE")


# --- keys -----------------------------------------------------------------------------------


async def test_a_request_and_its_url_string_are_the_same_key(caches: CacheStorage) -> None:
    await caches.default.put(get(), cacheable("from a request"))

    hit = await caches.default.match(URL)

    assert hit is not None
    assert await hit.text() == "from a request"


async def test_keys_ignore_the_fragment_and_the_case_of_scheme_and_host(
    caches: CacheStorage,
) -> None:
    await caches.default.put("HTTPS://SHOP.example/products/1#top", cacheable())

    assert await caches.default.match(URL) is not None


async def test_keys_keep_the_query_string(caches: CacheStorage) -> None:
    await caches.default.put(URL + "?color=red", cacheable())

    assert await caches.default.match(URL + "?color=blue") is None


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://a.example:80/x", "http://a.example/x"),
        ("https://a.example:443/x", "https://a.example/x"),
        ("https://a.example:8443/x", "https://a.example:8443/x"),
        ("https://a.example", "https://a.example/"),
        ("https://a.example/a/./b/../c", "https://a.example/a/c"),
        ("https://a.example/a b?q=1 2", "https://a.example/a%20b?q=1%202"),
        ("https://a.example/caf\u00e9", "https://a.example/caf%C3%A9"),
        ("  https://a.example/x\n ", "https://a.example/x"),
        ("https://b\u00fccher.example/", "https://xn--bcher-kva.example/"),
        ("https://[::1]:8080/", "https://[::1]:8080/"),
    ],
)
def test_normalize_url_gives_what_new_url_gives(url: str, key: str) -> None:
    assert normalize_url(url) == key


@pytest.mark.parametrize(
    "url", ["/products/1", "products", "ftp://a.example/x", "https://", "https://a b.example/"]
)
async def test_put_rejects_a_key_that_is_not_an_absolute_http_url(
    caches: CacheStorage, url: str
) -> None:
    with pytest.raises(
        JsException, match=r"^TypeError: Invalid URL\. Cache API keys must be fully"
    ):
        await caches.default.put(url, cacheable())


async def test_match_rejects_a_key_that_is_neither_a_request_nor_a_string(
    caches: CacheStorage,
) -> None:
    python_wrapper = object()

    with pytest.raises(JsException, match=r"parameter 1 is not of type 'Request or string'"):
        await caches.default.match(python_wrapper)


async def test_match_rejects_a_python_wrapper_even_if_it_has_a_url(
    caches: CacheStorage,
) -> None:
    class SdkRequest:  # what workers.Request looks like to Python
        url, method, headers = URL, "GET", JsHeaders()

    with pytest.raises(JsException, match=r"pass a URL or request\.js_object"):
        await caches.default.match(SdkRequest())


# --- put: errors ----------------------------------------------------------------------------


async def test_put_rejects_a_response_that_is_not_a_js_response(caches: CacheStorage) -> None:
    with pytest.raises(JsException, match=r"parameter 2 is not of type 'Response'\.$"):
        await caches.default.put(URL, "hello")


async def test_put_rejects_a_non_get_request(caches: CacheStorage) -> None:
    with pytest.raises(
        JsException, match=r"^TypeError: Cannot cache response to non-GET request\.$"
    ):
        await caches.default.put(JsRequest(URL, method="POST", body="x"), cacheable())


async def test_put_rejects_a_partial_response(caches: CacheStorage) -> None:
    with pytest.raises(JsException, match=r"range request \(206 Partial Content\)\.$"):
        await caches.default.put(URL, cacheable(status=206))


async def test_put_rejects_vary_star(caches: CacheStorage) -> None:
    with pytest.raises(
        JsException, match=r"^TypeError: Cannot cache response with 'Vary: \*' header\.$"
    ):
        await caches.default.put(URL, cacheable(vary="Accept, *"))


async def test_put_rejects_a_websocket_upgrade(caches: CacheStorage) -> None:
    with pytest.raises(
        JsException, match=r"^TypeError: Cannot cache WebSocket upgrade response\.$"
    ):
        await caches.default.put(URL, JsResponse(status=101))


async def test_put_rejects_an_error_response(caches: CacheStorage) -> None:
    response = cacheable()
    response.type = "error"

    with pytest.raises(
        JsException, match=r"^TypeError: Cache is unable to store an error response$"
    ):
        await caches.default.put(URL, response)


async def test_put_rejects_a_response_whose_body_was_already_read(
    caches: CacheStorage,
) -> None:
    response = cacheable()
    await response.text()

    with pytest.raises(
        JsException, match=r"^TypeError: Body has already been used\. It can only be used"
    ):
        await caches.default.put(URL, response)


async def test_put_drops_a_304_without_reading_its_body(caches: CacheStorage) -> None:
    response = cacheable(body="", status=304)

    await caches.default.put(URL, response)

    assert response.bodyUsed is False
    assert await caches.default.match(URL) is None


# --- put: what is stored --------------------------------------------------------------------


async def test_put_reads_the_response_body(caches: CacheStorage) -> None:
    response = cacheable()

    await caches.default.put(URL, response)

    assert response.bodyUsed is True


async def test_put_reads_the_body_even_of_a_response_it_does_not_store(
    caches: CacheStorage,
) -> None:
    response = cacheable(cache_control="no-store")

    await caches.default.put(URL, response)

    assert response.bodyUsed is True


async def test_put_replaces_the_entry_under_the_same_key(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("old"))
    await caches.default.put(URL, cacheable("new"))

    hit = await caches.default.match(URL)

    assert hit is not None
    assert await hit.text() == "new"


async def test_put_does_not_cache_a_response_with_set_cookie(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable(set_cookie="session=abc"))

    assert await caches.default.match(URL) is None


async def test_put_caches_a_set_cookie_response_under_private_set_cookie_without_its_cookie(
    caches: CacheStorage,
) -> None:
    response = cacheable(cache_control="max-age=60, private=Set-Cookie", set_cookie="s=1")

    await caches.default.put(URL, response)
    hit = await caches.default.match(URL)

    assert hit is not None
    assert hit.headers.getSetCookie() == []


@pytest.mark.parametrize(
    "cache_control", ["no-store", "max-age=60, no-store", "private", "no-cache, max-age=60"]
)
async def test_put_does_not_cache_what_cache_control_forbids(
    caches: CacheStorage, cache_control: str
) -> None:
    await caches.default.put(URL, cacheable(cache_control=cache_control))

    assert await caches.default.match(URL) is None


async def test_put_does_not_cache_a_body_over_the_object_size_limit(clock: FakeClock) -> None:
    caches = CacheStorage(clock, max_object_size=4)

    await caches.default.put(URL, cacheable("12345"))

    assert await caches.default.match(URL) is None


async def test_put_caches_a_body_at_the_object_size_limit(clock: FakeClock) -> None:
    caches = CacheStorage(clock, max_object_size=5)

    await caches.default.put(URL, cacheable("12345"))

    assert await caches.default.match(URL) is not None


def test_the_object_size_limit_is_cloudflares_512_mb() -> None:
    assert MAX_OBJECT_SIZE == 512 * 1024 * 1024


async def test_put_does_not_cache_a_status_without_default_ttl_or_freshness(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, JsResponse("boom", status=500))

    assert await caches.default.match(URL) is None


async def test_put_caches_any_status_given_a_max_age(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("boom", status=500))

    hit = await caches.default.match(URL)

    assert hit is not None
    assert hit.status == 500


# --- expiry ---------------------------------------------------------------------------------


async def test_an_entry_is_served_until_its_max_age_runs_out(
    caches: CacheStorage, clock: FakeClock
) -> None:
    await caches.default.put(URL, cacheable(cache_control="max-age=60"))
    clock.advance(59.9)

    assert await caches.default.match(URL) is not None


async def test_an_entry_is_gone_once_its_max_age_has_passed(
    caches: CacheStorage, clock: FakeClock
) -> None:
    await caches.default.put(URL, cacheable(cache_control="max-age=60"))
    clock.advance(60)

    assert await caches.default.match(URL) is None


async def test_an_expired_entry_is_evicted_when_matched(
    caches: CacheStorage, clock: FakeClock
) -> None:
    await caches.default.put(URL, cacheable(cache_control="max-age=60"))
    clock.advance(60)
    await caches.default.match(URL)

    assert await caches.default.delete(URL) is False


async def test_a_200_without_freshness_information_lives_for_cloudflares_two_hours(
    caches: CacheStorage, clock: FakeClock
) -> None:
    await caches.default.put(URL, JsResponse("hello"))
    clock.advance(7199)
    assert await caches.default.match(URL) is not None
    clock.advance(1)
    assert await caches.default.match(URL) is None


# --- ttl_of and is_storable (pure) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "ttl"),
    [
        ({"cache-control": "max-age=60"}, 200, 60),
        ({"cache-control": "s-maxage=30, max-age=60"}, 200, 30),
        ({"cache-control": "max-age=60", "expires": http_date(NOW + 600)}, 200, 60),
        ({"expires": http_date(NOW + 600)}, 200, 600),
        ({"expires": http_date(NOW + 600), "date": http_date(NOW - 100)}, 200, 700),
        ({"expires": "0"}, 200, 0),
        ({"cache-control": "max-age=abc"}, 200, 0),
        ({"cache-control": "max-age=99999999999"}, 200, 2**31),
        ({"cache-control": 'max-age="60"'}, 200, 60),
        ({"cache-control": "max-age=60", "age": "50"}, 200, 10),
        ({}, 200, 7200),
        ({}, 301, 7200),
        ({}, 302, 1200),
        ({}, 404, 180),
        ({}, 500, 0),
        ({"cache-control": "public"}, 201, 0),
    ],
)
def test_ttl_of(headers: dict[str, str], status: int, ttl: float) -> None:
    assert ttl_of(JsHeaders(headers), NOW, status) == ttl


@pytest.mark.parametrize(
    ("headers", "storable"),
    [
        ({}, True),
        ({"cache-control": "public, max-age=60"}, True),
        ({"cache-control": "no-store"}, False),
        ({"cache-control": "No-Cache"}, False),
        ({"cache-control": "private"}, False),
        ({"cache-control": 'private="x-user"'}, False),
        ({"cache-control": "private=set-cookie"}, True),
        ({"cache-control": 'private="Set-Cookie"', "set-cookie": "a=1"}, True),
        ({"set-cookie": "a=1"}, False),
        ({"cache-control": "public", "set-cookie": "a=1"}, False),
        ({"pragma": "no-cache"}, False),
        ({"pragma": "no-cache", "cache-control": "max-age=60"}, True),
    ],
)
def test_is_storable(headers: dict[str, str], storable: bool) -> None:
    assert is_storable(JsHeaders(headers)) is storable


def test_parse_cache_control_unquotes_values_and_keeps_the_first_repeat() -> None:
    assert parse_cache_control('Max-Age=5, private="a, b", max-age=9, public') == {
        "max-age": "5",
        "private": "a, b",
        "public": None,
    }


def test_parse_cache_tags_trims_lowercases_and_drops_empty_tags() -> None:
    assert parse_cache_tags(" Product-1 ,,catalog, ") == {"product-1", "catalog"}


@given(st.integers(min_value=0, max_value=2**31))
def test_max_age_is_the_ttl(seconds: int) -> None:
    assert ttl_of(JsHeaders({"cache-control": f"max-age={seconds}"}), NOW) == seconds


@given(st.integers(min_value=0, max_value=2**31), st.integers(min_value=0, max_value=2**31))
def test_s_maxage_wins_over_max_age(shared: int, private: int) -> None:
    headers = JsHeaders({"cache-control": f"max-age={private}, s-maxage={shared}"})

    assert ttl_of(headers, NOW) == shared


@given(st.integers(min_value=-(10**6), max_value=10**8), st.integers(-(10**6), 10**6))
def test_expires_counts_from_the_date_header(lifetime: int, date_offset: int) -> None:
    date = NOW + date_offset
    headers = JsHeaders({"expires": http_date(date + lifetime), "date": http_date(date)})

    assert ttl_of(headers, NOW) == lifetime


@given(st.integers(min_value=0, max_value=2**31), st.integers(min_value=0, max_value=2**31))
def test_age_is_taken_off_the_freshness_lifetime(max_age: int, age: int) -> None:
    headers = JsHeaders({"cache-control": f"max-age={max_age}", "age": str(age)})

    assert ttl_of(headers, NOW) == max_age - age


@given(st.text(), st.text(), st.text(), st.text(), st.integers(100, 599))
def test_ttl_of_never_raises(cc: str, expires: str, date: str, age: str, status: int) -> None:
    fields = {"cache-control": cc, "expires": expires, "date": date, "age": age}
    headers = JsHeaders.trusted(fields.items())

    assert isinstance(ttl_of(headers, NOW, status), float | int)


# --- match ----------------------------------------------------------------------------------


async def test_match_returns_none_when_nothing_is_stored(caches: CacheStorage) -> None:
    assert await caches.default.match(URL) is None


async def test_match_returns_a_new_readable_response_each_time(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("hello"))

    first, second = await caches.default.match(URL), await caches.default.match(URL)

    assert first is not None
    assert second is not None
    assert first is not second
    assert (await first.text(), await second.text()) == ("hello", "hello")


async def test_match_keeps_status_status_text_and_headers(caches: CacheStorage) -> None:
    response = JsResponse(
        "gone",
        status=404,
        statusText="Not Found",
        headers={"content-type": "text/plain", "x-shop": "lisbon"},
    )
    await caches.default.put(URL, response)

    hit = await caches.default.match(URL)

    assert hit is not None
    assert (hit.status, hit.statusText) == (404, "Not Found")
    assert (hit.headers.get("content-type"), hit.headers.get("x-shop")) == ("text/plain", "lisbon")


async def test_match_marks_a_hit_with_cf_cache_status_hit(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable())

    hit = await caches.default.match(URL)

    assert hit is not None
    assert hit.headers.get("cf-cache-status") == "HIT"


async def test_match_sets_content_length_from_the_stored_body(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("hello", content_length="999"))

    hit = await caches.default.match(URL)

    assert hit is not None
    assert hit.headers.get("content-length") == "5"


async def test_match_reports_the_age_since_put_plus_the_age_it_came_with(
    caches: CacheStorage, clock: FakeClock
) -> None:
    await caches.default.put(URL, cacheable(age="5"))
    clock.advance(42.7)

    hit = await caches.default.match(URL)

    assert hit is not None
    assert hit.headers.get("age") == "47"


async def test_match_hides_the_cache_tag_header(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable(cache_tag="catalog"))

    hit = await caches.default.match(URL)

    assert hit is not None
    assert hit.headers.has("cache-tag") is False


async def test_match_ignores_a_non_get_request(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable())

    assert await caches.default.match(JsRequest(URL, method="HEAD")) is None


@pytest.mark.parametrize(
    "options", [{"ignoreMethod": True}, JsDict(ignoreMethod=True), JsObject({"ignoreMethod": 1})]
)
async def test_match_with_ignore_method_treats_any_method_as_get(
    caches: CacheStorage, options: object
) -> None:
    await caches.default.put(URL, cacheable())

    assert await caches.default.match(JsRequest(URL, method="POST"), options) is not None


# --- match: conditional requests ------------------------------------------------------------


async def test_match_answers_a_matching_if_none_match_with_an_empty_304(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable(etag='"v1"'))

    hit = await caches.default.match(get(if_none_match='"v0", "v1"'))

    assert hit is not None
    assert (hit.status, await hit.text(), hit.headers.get("etag")) == (304, "", '"v1"')


async def test_match_answers_a_differing_if_none_match_with_the_full_response(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable(etag='"v1"'))

    hit = await caches.default.match(get(if_none_match='"v2"'))

    assert hit is not None
    assert hit.status == 200


async def test_if_none_match_compares_etags_weakly(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable(etag='W/"v1"'))

    hit = await caches.default.match(get(if_none_match='"v1"'))

    assert hit is not None
    assert hit.status == 304


async def test_match_answers_if_modified_since_with_304_when_not_modified_since(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable(last_modified=http_date(NOW - 60)))

    hit = await caches.default.match(get(if_modified_since=http_date(NOW - 60)))

    assert hit is not None
    assert hit.status == 304


async def test_match_answers_if_modified_since_with_200_when_modified_since(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable(last_modified=http_date(NOW - 60)))

    hit = await caches.default.match(get(if_modified_since=http_date(NOW - 120)))

    assert hit is not None
    assert hit.status == 200


async def test_conditionals_do_not_turn_a_stored_error_into_a_304(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable("gone", status=404, etag='"v1"'))

    hit = await caches.default.match(get(if_none_match='"v1"'))

    assert hit is not None
    assert hit.status == 404


async def test_if_none_match_overrides_if_modified_since(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable(etag='"v1"', last_modified=http_date(NOW - 60)))

    hit = await caches.default.match(get(if_none_match='"v2"', if_modified_since=http_date(NOW)))

    assert hit is not None
    assert hit.status == 200


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        ('"x"', '"x"', True),
        ('W/"x"', '"x"', True),
        ('W/"x"', 'W/"x"', True),
        ('"x"', '"y"', False),
        ('"x"', "x", False),
        ('"a,b"', '"a,b"', True),
    ],
)
def test_weak_etag_match(a: str, b: str, match: bool) -> None:
    assert weak_etag_match(a, b) is match


@pytest.mark.parametrize(
    ("if_none_match", "etag", "not_modified"),
    [("*", '"x"', True), ("*", None, False), ('"a,b", "c"', '"a,b"', True), ('"a"', None, False)],
)
def test_if_none_match_needs_a_stored_etag(
    if_none_match: str, etag: str | None, not_modified: bool
) -> None:
    assert (
        is_not_modified(
            if_none_match=if_none_match, if_modified_since=None, etag=etag, last_modified=None
        )
        is not_modified
    )


def test_parse_http_date_reads_all_three_http_date_forms() -> None:
    forms = [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ]

    assert {parse_http_date(form) for form in forms} == {784111777.0}


@pytest.fixture
def tokyo_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo_local_time")
def test_parse_http_date_reads_asctime_dates_as_gmt_whatever_the_local_zone() -> None:
    assert parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777.0


# --- match: ranges --------------------------------------------------------------------------


async def test_match_answers_a_closed_range_with_206_and_content_range(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable("0123456789"))

    hit = await caches.default.match(get(range="bytes=2-4"))

    assert hit is not None
    assert (hit.status, await hit.text()) == (206, "234")
    assert hit.headers.get("content-range") == "bytes 2-4/10"
    assert hit.headers.get("content-length") == "3"


async def test_match_answers_an_open_range_up_to_the_end(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("0123456789"))

    hit = await caches.default.match(get(range="bytes=7-"))

    assert hit is not None
    assert (hit.status, await hit.text()) == (206, "789")


async def test_match_answers_a_suffix_range_with_the_last_bytes(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("0123456789"))

    hit = await caches.default.match(get(range="bytes=-2"))

    assert hit is not None
    assert hit.headers.get("content-range") == "bytes 8-9/10"


async def test_match_answers_an_unsatisfiable_range_with_416(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable("0123456789"))

    hit = await caches.default.match(get(range="bytes=10-"))

    assert hit is not None
    assert (hit.status, hit.headers.get("content-range")) == (416, "bytes */10")


async def test_match_answers_several_ranges_with_multipart_byteranges(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable("0123456789", content_type="text/plain"))

    hit = await caches.default.match(get(range="bytes=0-1, 8-"))

    assert hit is not None
    content_type = hit.headers.get("content-type") or ""
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=")[1]
    assert await hit.text() == (
        f"--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 8-9/10\r\n\r\n89\r\n"
        f"--{boundary}--"
    )


async def test_match_ignores_range_on_a_stored_response_other_than_200(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable("not here", status=404))

    hit = await caches.default.match(get(range="bytes=0-1"))

    assert hit is not None
    assert (hit.status, await hit.text()) == (404, "not here")


@pytest.mark.parametrize(
    ("header", "size", "ranges"),
    [
        ("bytes=0-0", 10, [ByteRange(0, 0)]),
        ("bytes=2-100", 10, [ByteRange(2, 9)]),
        ("BYTES = 1 - 2", 10, [ByteRange(1, 2)]),
        ("bytes=0-1,4-", 10, [ByteRange(0, 1), ByteRange(4, 9)]),
        ("bytes=", 10, []),
        ("bytes=-10", 10, []),
        ("bytes=-0", 10, []),
        ("bytes=-0,1-2", 10, [ByteRange(1, 2)]),
        ("bytes=5-2", 10, None),
        ("bytes=10-", 10, None),
        ("bytes=0-1,10-", 10, None),
        ("bytes=-", 10, None),
        ("bytes=a-b", 10, None),
        ("items=0-1", 10, None),
        ("bytes=0-", 0, None),
    ],
)
def test_parse_range_follows_miniflare(
    header: str, size: int, ranges: list[ByteRange] | None
) -> None:
    assert parse_range(header, size) == ranges


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 10**9))
def test_a_closed_range_within_the_body_is_clamped_to_its_end(
    first: int, last: int, size: int
) -> None:
    start, end = sorted((first, last))
    expected = None if start >= size else [ByteRange(start, min(end, size - 1))]

    assert parse_range(f"bytes={start}-{end}", size) == expected


@given(st.integers(1, 10**9), st.integers(1, 10**9))
def test_a_suffix_range_takes_the_last_bytes_or_the_whole_body(suffix: int, size: int) -> None:
    expected = [] if suffix >= size else [ByteRange(size - suffix, size - 1)]

    assert parse_range(f"bytes=-{suffix}", size) == expected


@given(st.text(), st.integers(0, 10**6))
def test_parse_range_gives_only_ranges_inside_the_body(header: str, size: int) -> None:
    ranges = parse_range(header, size) or []

    assert all(0 <= r.start <= r.end < size for r in ranges)


@given(st.text(alphabet="bytes=0123456789-, ", max_size=30), st.integers(0, 100))
def test_parse_range_gives_only_ranges_inside_the_body_for_range_like_text(
    header: str, size: int
) -> None:
    ranges = parse_range(header, size) or []

    assert all(0 <= r.start <= r.end < size for r in ranges)


# --- delete ---------------------------------------------------------------------------------


async def test_delete_returns_true_when_it_removed_an_entry(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable())

    assert await caches.default.delete(URL) is True
    assert await caches.default.match(URL) is None


async def test_delete_returns_false_when_nothing_is_stored(caches: CacheStorage) -> None:
    assert await caches.default.delete(URL) is False


async def test_delete_returns_false_for_an_expired_entry(
    caches: CacheStorage, clock: FakeClock
) -> None:
    await caches.default.put(URL, cacheable(cache_control="max-age=60"))
    clock.advance(60)

    assert await caches.default.delete(URL) is False


async def test_delete_ignores_a_non_get_request(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable())

    assert await caches.default.delete(JsRequest(URL, method="POST")) is False


async def test_delete_with_ignore_method_treats_any_method_as_get(caches: CacheStorage) -> None:
    await caches.default.put(URL, cacheable())

    assert await caches.default.delete(JsRequest(URL, method="POST"), {"ignoreMethod": True})


async def test_delete_only_touches_its_own_storage(clock: FakeClock) -> None:
    lisbon, porto = CacheStorage(clock), CacheStorage(clock)
    await lisbon.default.put(URL, cacheable())

    await porto.default.delete(URL)

    assert await lisbon.default.match(URL) is not None


def test_normalize_url_rejects_with_workerds_message() -> None:
    with pytest.raises(TypeError) as raised:
        normalize_url("not a url")

    assert str(raised.value) == INVALID_URL


async def test_a_refused_put_is_a_js_type_error_not_a_python_one(caches: CacheStorage) -> None:
    with pytest.raises(JsException) as raised:
        await caches.default.put(URL, cacheable(vary="*"))
    assert raised.value.name == "TypeError"
    assert not isinstance(raised.value, TypeError)


async def test_match_takes_its_options_as_keywords_as_pyodide_passes_them(
    caches: CacheStorage,
) -> None:
    await caches.default.put(URL, cacheable())
    head = JsRequest(URL, method="HEAD")
    assert await caches.default.match(head) is None
    assert await caches.default.match(head, ignoreMethod=True) is not None
