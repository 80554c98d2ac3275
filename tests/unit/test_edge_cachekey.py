"""Equivalent storefront URLs share one cache key, and no key carries anything private."""

import contextlib
import dataclasses
import string
from urllib.parse import quote, unquote

import pytest
from cachekey import (
    DEFAULT_TRACKING_PARAMS,
    InvalidURL,
    KeyPolicy,
    NormalizedURL,
    cache_key,
    geohash,
    normalize,
)
from hypothesis import given
from hypothesis import strategies as st


def key(url, **slots):
    return cache_key(
        normalize(url), **{"version": "v1", "content_class": "html", "scope": "z"} | slots
    )


# --- normalize: the URL ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM/a", "http://example.com/a"),
        ("https://shop.example", "https://shop.example/"),
        ("https://shop.example?", "https://shop.example/"),
        ("http://shop.example:80/", "http://shop.example/"),
        ("https://shop.example:443/", "https://shop.example/"),
        ("https://shop.example:0443/", "https://shop.example/"),
        ("http://shop.example:443/", "http://shop.example:443/"),
        ("https://shop.example:8443/", "https://shop.example:8443/"),
        ("https://shop.example:/", "https://shop.example/"),
        ("https://user:secret@shop.example/", "https://shop.example/"),
        ("https://shop.example/p#reviews", "https://shop.example/p"),
        ("https://shop.example/p?q=1#frag?x=2", "https://shop.example/p?q=1"),
        ("  https://shop.example/p \n", "https://shop.example/p"),
        ("https://shop.ex\tample/p\r\n", "https://shop.example/p"),
    ],
)
def test_scheme_host_port_userinfo_and_fragment_are_normalised(url, expected):
    assert normalize(url).url == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("bücher.de", "xn--bcher-kva.de"),
        ("BÜCHER.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("%65xample.com", "example.com"),
        ("[0:0::1]", "[::1]"),
        ("[::FFFF:1.2.3.4]:8080", "[::ffff:102:304]:8080"),
        ("127.0.0.1", "127.0.0.1"),
        ("shop.example.", "shop.example."),
    ],
)
def test_hosts_are_lower_case_ascii(host, expected):
    assert normalize(f"https://{host}/").host == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "absolute"),
        ("/relative/path", "absolute"),
        ("shop.example/p", "absolute"),
        ("ftp://shop.example/", "absolute"),
        ("javascript://shop.example/", "absolute"),
        ("http:shop.example", "absolute"),
        ("https://", "host"),
        ("https:///p", "host"),
        ("https://:8080/", "host"),
        ("https://shop example/", "host"),
        ("https://shop\\example/", "host"),
        ("https://a..b/", "host"),
        ("https://" + "a" * 64 + ".example/", "host"),
        ("https://xn--ä.example/", "host"),
        ("https://a⒈.example/", "host"),
        ("https://%ff.example/", "host"),
        ("https://[::1/", "host"),
        ("https://[::1]x/", "host"),
        ("https://[fe80::1%25eth0]/", "host"),
        ("https://[v1.x]/", "host"),
        ("https://[1:2]/", "host"),
        ("https://shop.example:65536/", "port"),
        ("https://shop.example:-1/", "port"),
        ("https://shop.example:8o/", "port"),
        ("https://shop.example:1:2/", "port"),
        ("https://shop.example:٨٠/", "port"),
        ("https://shop.example/\ud800", "Unicode"),
    ],
)
def test_anything_but_an_absolute_http_url_with_a_valid_host_and_port_is_invalid(url, message):
    with pytest.raises(InvalidURL, match=message):
        normalize(url)


def test_an_invalid_url_message_does_not_echo_the_url():
    with pytest.raises(InvalidURL) as raised:
        normalize("https://secret token@shop.example:99999/?lat=51.5")
    assert "secret" not in str(raised.value)
    assert "51.5" not in str(raised.value)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/./b/../c", "/a/c"),
        ("/a/b/..", "/a/"),
        ("/a/b/.", "/a/b/"),
        ("/../../a", "/a"),
        ("/a//../b", "/a/b"),
        ("/a/%2E%2e/b", "/b"),
        ("/a/.%2E", "/"),
        ("/a/..b/.c", "/a/..b/.c"),
        ("/a/..\\b", "/a/..%5Cb"),
    ],
)
def test_dot_segments_are_removed(path, expected):
    assert normalize(f"https://s.example{path}").path == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/%7e%41%2d", "/~A-"),
        ("/%c3%a4", "/%C3%A4"),
        ("/ä", "/%C3%A4"),
        ("/a b", "/a%20b"),
        ("/a%2fb", "/a%2Fb"),
        ("/a%3Fb%23c", "/a%3Fb%23c"),
        ("/100%", "/100%25"),
        ("/%zz%4", "/%25zz%254"),
        ("/a\\b", "/a%5Cb"),
        ('/<">{|}^`[]', "/%3C%22%3E%7B%7C%7D%5E%60%5B%5D"),
        ("/!$&'()*+,;=:@", "/!$&'()*+,;=:@"),
        ("/✓", "/%E2%9C%93"),
    ],
)
def test_path_percent_encoding_is_normalised(path, expected):
    assert normalize(f"https://s.example{path}").path == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&b=0&a=1", "a=2&a=1&b=0"),
        ("&&a=1&&", "a=1"),
        ("a&a=&b", "a&a=&b"),
        ("q=red+shoes", "q=red+shoes"),
        ("q=%7e%2b%26%3d", "q=~%2B%26%3D"),
        ("q=a=b", "q=a=b"),
        ("q=/?:@", "q=/?:@"),
        ("q=ä ✓", "q=%C3%A4%20%E2%9C%93"),
        ("q=50%", "q=50%25"),
        ("q=%", "q=%25"),
    ],
)
def test_query_params_are_normalised_and_sorted_by_name(query, expected):
    assert normalize(f"https://s.example/?{query}").url == f"https://s.example/?{expected}"


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=news",
        "UTM_Campaign=x",
        "utm_=1",
        "gclid=abc",
        "FBCLID=abc",
        "%75tm_id=1",
        "msclkid=1",
        "dclid=1",
        "gbraid=1",
        "wbraid=1",
        "yclid=1",
        "mc_eid=1",
        "_hsenc=1",
        "_hsmi=1",
        "gclid",
    ],
)
def test_tracking_params_are_dropped(param):
    assert normalize(f"https://s.example/p?{param}&q=1").url == "https://s.example/p?q=1"


def test_a_name_that_merely_contains_a_tracking_name_is_kept():
    url = "https://s.example/?gclid_x=2&my_utm_source=1"
    assert normalize(url).url == url


def test_the_tracking_list_is_the_policys():
    policy = KeyPolicy(tracking_params=("ref", "aff_*"))
    url = "https://s.example/?ref=x&aff_id=2&utm_source=y"
    assert normalize(url, policy).url == "https://s.example/?utm_source=y"


def test_an_empty_query_leaves_no_question_mark():
    assert normalize("https://s.example/p?utm_source=x&&").url == "https://s.example/p"


def test_normalized_url_exposes_host_and_path():
    assert normalize("https://User@Shop.Example:8443/A/./b?x=1") == NormalizedURL(
        url="https://shop.example:8443/A/b?x=1", host="shop.example:8443", path="/A/b", geocell=None
    )


# --- normalize: coordinates ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "lat=57.64911&lon=10.40744",
        "lon=10.40744&lat=57.64911",
        "latitude=57.64911&longitude=10.40744",
        "LAT=57.64911&Lng=10.40744",
        "lat=57.649111&lon=10.407444",
    ],
)
def test_a_latitude_and_longitude_become_a_geocell(query):
    normalized = normalize(f"https://s.example/stores?{query}&q=1")
    assert (normalized.url, normalized.geocell) == ("https://s.example/stores?q=1", "u4pruy")


def test_the_geocell_precision_is_the_policys():
    normalized = normalize(
        "https://s.example/?lat=57.64911&lon=10.40744", KeyPolicy(geocell_precision=11)
    )
    assert normalized.geocell == "u4pruydqqvj"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lat=57.64911", "lat=57.65"),
        ("lng=-0.001", "lng=-0.00"),
        ("lat=1e1", "lat=10.00"),
        ("lat=91&lon=10.5", "lat=91.00&lon=10.50"),
        ("lat=45.5&lon=180.01", "lat=45.50&lon=180.01"),
        ("lat=12.3456&lon=", "lat=12.35&lon="),
    ],
)
def test_a_coordinate_without_a_valid_partner_is_rounded_to_two_decimals(query, expected):
    normalized = normalize(f"https://s.example/?{query}")
    assert (normalized.url, normalized.geocell) == (f"https://s.example/?{expected}", None)


@pytest.mark.parametrize("query", ["lat=north", "lat=", "lat", "lon=1e999", "lat=0x10", "lat=1,5"])
def test_a_coordinate_param_that_is_not_a_number_is_left_alone(query):
    assert normalize(f"https://s.example/?{query}").url == f"https://s.example/?{query}"


def test_every_numeric_coordinate_goes_once_a_geocell_is_found():
    normalized = normalize("https://s.example/?lat=1.5&lat=2.5&lon=3.5&lon=4.5&lat=x")
    assert normalized.url == "https://s.example/?lat=x"
    assert normalized.geocell == geohash(1.5, 3.5, 6)


def test_a_latitude_just_past_the_pole_that_rounds_onto_it_still_pairs():
    assert normalize("https://s.example/?lat=90.004&lon=0").geocell == geohash(90, 0, 6)


def test_other_coordinate_names_are_only_ever_rounded():
    policy = KeyPolicy(coordinate_params=("lat", "lon", "near_lat"))
    normalized = normalize("https://s.example/?near_lat=1.234&lat=1&lng=2", policy)
    assert (normalized.url, normalized.geocell) == (
        "https://s.example/?lat=1.00&lng=2&near_lat=1.23",
        None,
    )


# --- cache_key ---------------------------------------------------------------------------------


def test_the_key_format():
    normalized = normalize("http://Shop.Example:8080/p/1?b=2&a=1&lat=57.64911&lon=10.40744")
    assert (
        cache_key(normalized, version="v7", content_class="html", scope="zone-3", variant="g1.ab")
        == "https://shop.example:8080/~popcache/http/v7/html/zone-3/~g1.ab/~u4pruy/p/1?a=1&b=2"
    )


def test_an_absent_variant_and_geocell_leave_bare_markers():
    assert key("https://s.example/") == "https://s.example/~popcache/https/v1/html/z/~/~/"


def test_http_and_https_never_share_a_key():
    assert key("http://s.example/p") != key("https://s.example/p")


@pytest.mark.parametrize("slot", ["version", "content_class", "scope", "variant"])
def test_every_slot_splits_the_cache(slot):
    assert key("https://s.example/p", **{slot: "a"}) != key("https://s.example/p", **{slot: "b"})


@pytest.mark.parametrize(
    ("left", "right", "variant"),
    [
        ("https://s.example/~u4pruy/p", "https://s.example/p?lat=57.64911&lon=10.40744", ""),
        ("https://s.example/~g1/p", "https://s.example/p", "g1"),
    ],
)
def test_a_path_cannot_pass_for_a_slot(left, right, variant):
    assert key(left) != key(right, variant=variant)


def test_slots_are_percent_encoded():
    assert key("https://s.example/p", version="a/b?c", scope="z#1", variant="%") == (
        "https://s.example/~popcache/https/a%2Fb%3Fc/html/z%231/~%25/~/p"
    )


@pytest.mark.parametrize("slot", ["version", "content_class", "scope"])
@pytest.mark.parametrize("value", [".", ".."])
def test_a_dot_segment_slot_is_refused(slot, value):
    with pytest.raises(ValueError, match="cannot be"):
        key("https://s.example/", **{slot: value})


# --- geohash ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "precision", "expected"),
    [
        (57.64911, 10.40744, 11, "u4pruydqqvj"),
        (42.6, -5.6, 5, "ezs42"),
        (48.8566, 2.3522, 6, "u09tvw"),
        (-33.8688, 151.2093, 5, "r3gx2"),
        (0.0, 0.0, 4, "s000"),
        (90.0, 180.0, 3, "zzz"),
        (-90.0, -180.0, 3, "000"),
    ],
)
def test_geohash_matches_known_vectors(lat, lon, precision, expected):
    assert geohash(lat, lon, precision) == expected


@pytest.mark.parametrize(
    ("lat", "lon", "precision"),
    [(90.1, 0, 5), (0, -180.1, 5), (float("nan"), 0, 5), (0, float("inf"), 5), (0, 0, 0)],
)
def test_geohash_refuses_points_off_the_globe(lat, lon, precision):
    with pytest.raises(ValueError, match="geohash needs"):
        geohash(lat, lon, precision)


# --- KeyPolicy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        {"tracking_params": ("*",)},
        {"tracking_params": ("",)},
        {"tracking_params": ("u*m",)},
        {"coordinate_params": ("lat*",)},
        {"geocell_precision": 0},
        {"geocell_precision": 13},
    ],
)
def test_a_policy_that_makes_no_sense_is_refused(policy):
    with pytest.raises(AssertionError):
        KeyPolicy(**policy)


# --- properties --------------------------------------------------------------------------------

SCHEMES = st.sampled_from(["http", "https", "HTTPS"])
HOSTS = st.sampled_from(
    ["shop.example", "Shop.EXAMPLE:8443", "bücher.de", "[::1]", "u:p@h.example:443", "%73hop.ex"]
)
PIECES = st.sampled_from(
    ["", ".", "..", "%2E", "%2e%2E", "a", "%7e", "%2F", "ä", " ", "\\", "%", "%zz", "%41", "+", "?"]
)
PATHS = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=6).map(
    lambda s: "/" + "/".join(s)
)
NAMES = st.sampled_from(
    [
        "a",
        "B",
        "q",
        "utm_source",
        "UTM_x",
        "gclid",
        "lat",
        "LAT",
        "lon",
        "lng",
        "latitude",
        "%61",
        "",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        ["", "1", "-12.345678", "91", "90.004", "abc", "1e3", "+5", ".5", "%2B1", "1."]
    ),
    st.floats(-200, 200).map(str),
    st.text(max_size=5),
)
PARAMS = st.lists(st.tuples(NAMES, st.one_of(st.none(), VALUES)), max_size=6)


def query_of(params):
    return "&".join(name if value is None else f"{name}={value}" for name, value in params)


URLS = st.builds(
    lambda scheme, host, path, params, fragment: (
        f"{scheme}://{host}{path}?{query_of(params)}{fragment}"
    ),
    SCHEMES,
    HOSTS,
    PATHS,
    PARAMS,
    st.sampled_from(["", "#", "#top"]),
)


@given(st.one_of(st.text(), st.text(st.characters(codec=None, categories=["Cs", "L", "P"])), URLS))
def test_normalize_raises_only_invalid_url(text):
    with contextlib.suppress(InvalidURL):
        normalize(text)


@given(URLS)
def test_normalisation_is_idempotent(url):
    first = normalize(url)
    assert normalize(first.url) == dataclasses.replace(first, geocell=None)


@given(st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from("⒈.ａß%@:[]")), max_size=9))
def test_a_normalised_host_normalises_to_itself(host):
    try:
        first = normalize(f"https://{host}/")
    except InvalidURL:
        return
    assert normalize(first.url) == first


def query_key(params):
    """The key of a query a client would send: values escaped (a stray "%" kept), no "&" or "#"."""
    escaped = [(n, v if v is None else quote(v, safe="%+=/?:@!$'()*,;")) for n, v in params]
    return key(f"https://s.example/?{query_of(escaped)}")


# Names distinct once decoded: the relative order of repeated names is significant.
DISTINCT_PARAMS = st.lists(
    st.one_of(NAMES, st.text(string.ascii_letters, min_size=1)), unique_by=unquote
).flatmap(
    lambda names: st.lists(VALUES, min_size=len(names), max_size=len(names)).map(
        lambda values: list(zip(names, values, strict=True))
    )
)


@given(DISTINCT_PARAMS, st.randoms())
def test_query_order_does_not_change_the_key(params, random):
    assert query_key(random.sample(params, len(params))) == query_key(params)


TRACKING = st.tuples(
    st.sampled_from(DEFAULT_TRACKING_PARAMS).map(lambda name: name.replace("*", "x")), VALUES
)


@given(PARAMS, st.lists(TRACKING), st.randoms())
def test_tracking_params_never_change_the_key(params, tracking, random):
    mixed = list(params)
    for param in tracking:
        mixed.insert(random.randint(0, len(mixed)), param)
    assert query_key(mixed) == query_key(params)


COORDINATES = st.tuples(st.floats(-90, 90), st.integers(3, 8)).map(lambda f: f"{f[0]:.{f[1]}f}")
LONGITUDES = st.tuples(st.floats(-180, 180), st.integers(3, 8)).map(lambda f: f"{f[0]:.{f[1]}f}")


@given(
    st.one_of(COORDINATES.map(lambda c: [("lat", c)]), LONGITUDES.map(lambda c: [("lon", c)]))
    | st.tuples(COORDINATES, LONGITUDES).map(lambda c: [("latitude", c[0]), ("lng", c[1])]),
    st.lists(st.tuples(st.sampled_from(["q", "page"]), st.sampled_from(["1", "shoes"]))),
)
def test_the_key_never_contains_raw_coordinates(coordinates, others):
    url = f"https://s.example/stores?{query_of(others + coordinates)}"
    k = key(url)
    assert all(raw not in k for _, raw in coordinates)


@given(
    st.text(min_size=1, alphabet=st.characters(codec="utf-8", exclude_characters="@/?#[]")), HOSTS
)
def test_the_key_never_contains_userinfo(userinfo, host):
    assert key(f"https://{userinfo}@{host}/") == key(f"https://{host}/")


SLOTS = st.text().filter(lambda s: s not in (".", ".."))


@given(URLS, SLOTS, SLOTS, SLOTS, st.text())
def test_slots_come_back_out_of_the_key_where_they_went_in(
    url, version, content_class, scope, variant
):
    normalized = normalize(url)
    k = cache_key(
        normalized, version=version, content_class=content_class, scope=scope, variant=variant
    )
    before_query, _, query = k.partition("?")
    segments = before_query.split("/")
    assert segments[3:5] == ["~popcache", normalized.url.partition(":")[0]]
    assert [unquote(s) for s in segments[5:8]] == [version, content_class, scope]
    assert segments[8:10] == [f"~{quote(variant, safe='')}", f"~{normalized.geocell or ''}"]
    assert "/" + "/".join(segments[10:]) == normalized.path
    assert query == normalized.url.partition("?")[2]


@given(st.floats(-90, 90), st.floats(-180, 180), st.integers(1, 11))
def test_a_longer_geohash_refines_a_shorter_one(lat, lon, precision):
    assert geohash(lat, lon, precision + 1).startswith(geohash(lat, lon, precision))
