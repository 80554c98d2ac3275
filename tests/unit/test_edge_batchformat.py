"""A POST /_edge/batch body is Microsoft Graph's JSON batching format, checked whole: a valid
batch becomes its items, and anything else is one BatchError naming the field, the item (when
its id is known) and a JSON Pointer (RFC 6901) to the fault."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from batchconfig import BatchSettings
from batchformat import METHODS, Batch, BatchError, BatchItem, parse_batch_body
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonbounds import MAX_NESTING

SETTINGS = BatchSettings()
BYTES = b"\xfb\xff\xbf\x00\x3e"  # base64 "+/+/AD4=", base64url "-_-_AD4="


def get(item_id: Any = "1", url: Any = "/api/products/1", **members: Any) -> dict[str, Any]:
    """A GET item; ``members`` add or replace members (``None`` removes one)."""
    item: dict[str, Any] = {"id": item_id, "method": "GET", "url": url}
    for key, value in members.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return item


def post(item_id: str = "1", body: Any = None, content_type: str = "application/json") -> dict:
    return get(
        item_id, "/api/cart", method="POST", headers={"Content-Type": content_type}, body=body
    )


def encode(*items: Any) -> bytes:
    return json.dumps({"requests": list(items)}).encode()


def parse(*items: Any, limits: BatchSettings = SETTINGS) -> tuple[BatchItem, ...]:
    return parse_batch_body(encode(*items), limits).items


def refusal(body: bytes, limits: BatchSettings = SETTINGS) -> BatchError:
    with pytest.raises(BatchError) as raised:
        parse_batch_body(body, limits)
    return raised.value


def refused(*items: Any, limits: BatchSettings = SETTINGS) -> BatchError:
    return refusal(encode(*items), limits)


def nested(levels: int) -> bytes:
    """A batch of one POST whose JSON body is ``levels`` arrays deep."""
    return encode(post(body=[])).replace(b"[]", b"[" * levels + b"]" * levels)


def where(error: BatchError) -> tuple[str, str | None, str]:
    """What a refusal points at: (field, item, pointer)."""
    return error.field, error.item, error.pointer


def chain(length: int) -> list[dict[str, Any]]:
    """``length`` items, each depending on the one before it: the last is ``length - 1`` deep."""
    return [get(f"i{n}", dependsOn=[f"i{n - 1}"] if n else None) for n in range(length)]


# Valid batches


def test_the_graph_example_batch_becomes_its_items_in_order():
    items = parse(
        get("1", "/api/products/1"),
        get("2", "/api/stores", headers={"Accept-Language": "fr"}),
        {
            "id": "3",
            "url": "/api/cart",
            "method": "PATCH",
            "body": {"city": "Redmond"},
            "headers": {"Content-Type": "application/json"},
        },
        get("4", "/api/inventory/1", dependsOn=["3"]),
    )
    assert items == (
        BatchItem("1", "GET", "/api/products/1", (), None, ()),
        BatchItem("2", "GET", "/api/stores", (("accept-language", "fr"),), None, ()),
        BatchItem(
            "3",
            "PATCH",
            "/api/cart",
            (("content-type", "application/json"),),
            b'{"city":"Redmond"}',
            (),
        ),
        BatchItem("4", "GET", "/api/inventory/1", (), None, ("3",)),
    )


def test_a_batch_is_returned_as_a_batch_of_items():
    assert parse_batch_body(encode(get()), SETTINGS) == Batch(
        (BatchItem("1", "GET", "/api/products/1", (), None, ()),)
    )


@pytest.mark.parametrize("method", ["get", "Get", "gEt", "GET"])
def test_a_method_is_read_without_case_and_kept_upper_case(method):
    [item] = parse(get(method=method))
    assert item.method == "GET"


@pytest.mark.parametrize("method", METHODS)
def test_each_graph_method_is_accepted(method):
    body = None if method in ("GET", "HEAD") else {}
    headers = {"Content-Type": "application/json"} if body is not None else None
    [item] = parse(get(method=method, headers=headers, body=body))
    assert item.method == method


def test_an_id_keeps_its_spelling():
    [item] = parse(get("Product-A"))
    assert item.id == "Product-A"


def test_header_names_are_lower_cased_and_values_trimmed():
    [item] = parse(get(headers={"Accept-Language": "  fr-CH \t", "X-Trace": "a b"}))
    assert item.headers == (("accept-language", "fr-CH"), ("x-trace", "a b"))


def test_a_json_body_is_sent_as_compact_utf8_json():
    [item] = parse(post(body={"name": "Zoë", "qty": [1, 2], "gift": None}))
    assert item.body == '{"name":"Zoë","qty":[1,2],"gift":null}'.encode()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/merge-patch+json",
        "application/vnd.api+json",
        "application/problem+json ; q=1",
    ],
)
def test_a_body_of_a_json_type_is_serialized_from_its_json_value(content_type):
    [item] = parse(post(body=[1, "two"], content_type=content_type))
    assert item.body == b'[1,"two"]'


@pytest.mark.parametrize("value", [0, False, "text", []])
def test_a_json_body_may_be_any_json_value_but_null(value):
    [item] = parse(post(body=value))
    assert item.body == json.dumps(value).encode()


@pytest.mark.parametrize(
    "encoded",
    ["+/+/AD4=", "+/+/AD4", "-_-_AD4=", "-_-_AD4"],
    ids=["base64", "base64-unpadded", "base64url", "base64url-unpadded"],
)
def test_a_body_of_another_type_is_decoded_from_base64_or_base64url(encoded):
    [item] = parse(post(body=encoded, content_type="application/octet-stream"))
    assert item.body == BYTES


def test_an_empty_base64_body_is_an_empty_body():
    [item] = parse(post(body="", content_type="text/plain"))
    assert item.body == b""


def test_a_null_body_is_no_body_even_on_a_get():
    [item] = parse(get() | {"body": None})
    assert item.body is None


def test_an_item_without_headers_body_or_depends_on_has_none():
    [item] = parse(get())
    assert (item.headers, item.body, item.depends_on) == ((), None, ())


def test_depends_on_names_the_referenced_item_as_that_item_spells_its_id():
    items = parse(get("Alpha"), get("beta", dependsOn=["ALPHA"]))
    assert items[1].depends_on == ("Alpha",)


def test_a_dependency_named_twice_is_kept_once():
    items = parse(get("a"), get("b", dependsOn=["a", "A", "a"]))
    assert items[1].depends_on == ("a",)


def test_an_item_may_depend_on_one_listed_after_it():
    items = parse(get("b", dependsOn=["a"]), get("a"))
    assert [item.depends_on for item in items] == [("a",), ()]


def test_an_item_may_depend_on_several():
    items = parse(get("a"), get("b"), get("c", dependsOn=["b", "a"]))
    assert items[2].depends_on == ("b", "a")


def test_a_batch_of_max_items_is_accepted():
    limits = BatchSettings(max_items=3)
    assert len(parse(get("a"), get("b"), get("c"), limits=limits)) == 3


def test_a_body_of_exactly_max_body_bytes_is_accepted():
    limits = BatchSettings(max_body=1024)
    body = encode(get())
    body += b" " * (1024 - len(body))
    assert len(parse_batch_body(body, limits).items) == 1


def test_an_id_of_128_characters_is_accepted():
    [item] = parse(get("x" * 128))
    assert item.id == "x" * 128


def test_a_dependency_chain_exactly_max_depth_deep_is_accepted():
    items = parse(*chain(SETTINGS.max_depth + 1))
    assert items[-1].depends_on == (f"i{SETTINGS.max_depth - 1}",)


def test_a_diamond_of_dependencies_is_accepted():
    items = parse(
        get("a"),
        get("b", dependsOn=["a"]),
        get("c", dependsOn=["a"]),
        get("d", dependsOn=["b", "c"]),
    )
    assert items[3].depends_on == ("b", "c")


# The body as a whole


def test_a_body_that_is_not_json_is_refused():
    error = refusal(b'{"requests": [')
    assert where(error) == ("body", None, "")
    assert "not valid JSON" in error.detail


def test_a_body_that_is_not_utf8_is_refused():
    error = refusal(b'{"requests": "\xff"}')
    assert where(error) == ("body", None, "")
    assert "not UTF-8" in error.detail


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    body = encode(post(body="x")).replace(b'"x"', constant.encode())
    error = refusal(body)
    assert where(error) == ("body", None, "")
    assert f"{constant.lstrip('-')} is not JSON" in error.detail


def test_a_member_named_twice_in_the_batch_is_refused():
    error = refusal(b'{"requests": [], "requests": []}')
    assert where(error) == ("body", None, "")
    assert "'requests' appears twice" in error.detail


def test_a_member_named_twice_in_an_item_is_refused():
    error = refusal(b'{"requests": [{"id": "1", "id": "2", "method": "GET", "url": "/api/x"}]}')
    assert where(error) == ("body", None, "")
    assert "'id' appears twice" in error.detail


@pytest.mark.parametrize(
    "body",
    [b"[" * 50_000, b'{"requests": [{"id": "1", "body": ' + b"[" * 50_000, b"[{" * 25_000],
    ids=["top-level", "in-an-item", "mixed"],
)
def test_json_nested_too_deeply_is_refused_before_it_is_decoded(body):
    error = refusal(body)
    assert where(error) == ("body", None, "")
    assert f"nest {body.count(b'[') + body.count(b'{')} deep, more than the 64" in error.detail


def test_json_one_level_deeper_than_max_nesting_is_refused():
    body = nested(MAX_NESTING - 2)  # 3 levels for the batch and the item, 62 for the body
    assert f"nest {MAX_NESTING + 1} deep" in refusal(body).detail


def test_json_nested_exactly_max_nesting_deep_is_read():
    [item] = parse_batch_body(nested(MAX_NESTING - 3), SETTINGS).items
    assert item.body == b"[" * (MAX_NESTING - 3) + b"]" * (MAX_NESTING - 3)


def test_brackets_inside_strings_do_not_count_as_nesting():
    strings = ["[" * 100, '\\"{{{' * 50, "]" * 200]
    [item] = parse(post(body=strings))
    assert json.loads(item.body or b"") == strings


def test_a_body_of_escaped_quotes_is_scanned_in_linear_time():
    body = b'{"requests": "' + b'\\"' * 100_000  # every quote escaped, the string unterminated
    started = time.monotonic()
    error = refusal(body)
    assert time.monotonic() - started < 5
    assert where(error) == ("body", None, "")


@pytest.mark.parametrize("document", [[], "requests", 1, None, True])
def test_a_batch_that_is_not_a_json_object_is_refused(document):
    error = refusal(json.dumps(document).encode())
    assert where(error) == ("body", None, "")


def test_an_unknown_top_level_member_is_refused_by_name():
    error = refusal(json.dumps({"requests": [get()], "atomic": True}).encode())
    assert where(error) == ("atomic", None, "/atomic")


def test_a_pointer_escapes_tilde_and_slash_as_rfc6901_says():
    error = refusal(json.dumps({"a/b~c": 1, "requests": [get()]}).encode())
    assert error.pointer == "/a~1b~0c"


@pytest.mark.parametrize(
    "document",
    [{}, {"requests": []}, {"requests": {}}, {"requests": "x"}, {"requests": None}],
    ids=["missing", "empty", "object", "string", "null"],
)
def test_requests_must_be_a_non_empty_array(document):
    error = refusal(json.dumps(document).encode())
    assert where(error) == ("requests", None, "/requests")


def test_more_than_max_items_requests_are_refused():
    error = refused(get("a"), get("b"), get("c"), get("d"), limits=BatchSettings(max_items=3))
    assert where(error) == ("requests", None, "/requests")
    assert "4 requests, more than the 3" in error.detail


def test_a_batch_of_the_default_limit_plus_one_is_refused():
    error = refused(*(get(str(n)) for n in range(SETTINGS.max_items + 1)))
    assert where(error) == ("requests", None, "/requests")


def test_a_body_larger_than_max_body_is_refused_before_it_is_parsed():
    limits = BatchSettings(max_body=1024)
    body = b"{" + b" " * 1024  # not JSON either: the size is checked first
    error = refusal(body, limits)
    assert where(error) == ("body", None, "")
    assert "1025 bytes, more than the 1024" in error.detail


# An item's members


@pytest.mark.parametrize("value", [1, "GET /api/x", None, ["a"]])
def test_a_request_that_is_not_an_object_is_refused(value):
    error = refused(get("a"), value)
    assert where(error) == ("requests", None, "/requests/1")


def test_an_unknown_member_of_an_item_is_refused_naming_the_item():
    error = refused(get("a"), get("b", depends_on=["a"]))
    assert where(error) == ("depends_on", "b", "/requests/1/depends_on")


def test_an_unknown_member_is_refused_even_before_the_id_is_checked():
    error = refused(get(None, Url="/api/x"))
    assert where(error) == ("Url", None, "/requests/0/Url")


@pytest.mark.parametrize("item_id", [None, 1, ["a"], {"a": 1}, True])
def test_an_id_must_be_a_string(item_id):
    error = refused(get(item_id))
    assert where(error) == ("id", None, "/requests/0/id")


def test_an_item_without_an_id_is_refused():
    error = refused({"method": "GET", "url": "/api/x"})
    assert where(error) == ("id", None, "/requests/0/id")


@pytest.mark.parametrize("item_id", ["", "x" * 129, "a\nb", "tab\there", "\x00"])
def test_an_id_must_be_1_to_128_printable_characters(item_id):
    error = refused(get(item_id))
    assert (error.field, error.pointer) == ("id", "/requests/0/id")


def test_ids_differing_only_in_case_are_duplicates():
    error = refused(get("a"), get("b"), get("A"))
    assert where(error) == ("id", "A", "/requests/2/id")
    assert "duplicate id 'A'" in error.detail


@pytest.mark.parametrize("method", ["FETCH", "CONNECT", "OPTIONS", "TRACE", "", 1, None, ["GET"]])
def test_an_unknown_or_missing_method_is_refused(method):
    error = refused(get("a"), get("b", method=method))
    assert where(error) == ("method", "b", "/requests/1/method")


def test_an_item_without_a_url_is_refused():
    error = refused({"id": "u", "method": "GET"})
    assert where(error) == ("url", "u", "/requests/0/url")


@pytest.mark.parametrize("url", [None, "", 1, ["/api/x"]])
def test_a_url_must_be_a_non_empty_string(url):
    error = refused(get("u", url))
    assert where(error) == ("url", "u", "/requests/0/url")


def test_a_url_is_not_judged_here_but_per_item_later():
    [item] = parse(get(url="https://elsewhere.example/admin"))
    assert item.url == "https://elsewhere.example/admin"


# Header fields


@pytest.mark.parametrize("headers", [[], "Accept: */*", 1, [["Accept", "*/*"]]])
def test_headers_must_be_an_object(headers):
    error = refused(get("h", headers=headers))
    assert where(error) == ("headers", "h", "/requests/0/headers")


@pytest.mark.parametrize("name", ["", "Bad Name", "a:b", "Accept\r\n", "naïve", "x(y)"])
def test_a_header_name_must_be_an_http_token(name):
    error = refused(get("h", headers={name: "v"}))
    assert where(error) == ("headers", "h", "/requests/0/headers")


@pytest.mark.parametrize("value", [1, None, True, ["a"], {"a": "b"}])
def test_a_header_value_must_be_a_string(value):
    error = refused(get("h", headers={"Accept": value}))
    assert where(error) == ("headers", "h", "/requests/0/headers")


@pytest.mark.parametrize(
    "value",
    ["fr\r\nSet-Cookie: session=stolen", "fr\nX-Injected: 1", "fr\rX-Injected: 1", "fr\x00"],
    ids=["crlf", "lf", "cr", "nul"],
)
def test_a_header_value_with_cr_lf_or_nul_is_refused_as_header_injection(value):
    error = refused(get("h", headers={"Accept-Language": value}))
    assert where(error) == ("headers", "h", "/requests/0/headers")


@pytest.mark.parametrize("value", ["a\x01b", "del\x7f", "euro \u20ac", "\U0001f600"])
def test_a_header_value_outside_rfc_9110_field_values_is_refused(value):
    error = refused(get("h", headers={"X-Note": value}))
    assert where(error) == ("headers", "h", "/requests/0/headers")


def test_a_header_value_may_hold_tabs_and_latin_1():
    [item] = parse(get("h", headers={"X-Note": "caf\xe9\tok"}))
    assert item.headers == (("x-note", "caf\xe9\tok"),)


def test_a_header_name_given_twice_in_different_case_is_refused():
    error = refused(get("h", headers={"Content-Type": "a/b", "content-type": "c/d"}))
    assert where(error) == ("headers", "h", "/requests/0/headers")


def test_a_method_is_compared_in_ascii_only():
    error = refused(get("1") | {"method": "po\u017ft"})  # the long s upper-cases to "S"
    assert where(error) == ("method", "1", "/requests/0/method")


def test_ids_are_folded_in_ascii_only():
    items = parse(get("k"), get("\u212a"))  # the Kelvin sign lower-cases to "k"
    assert [item.id for item in items] == ["k", "\u212a"]


def test_a_header_value_longer_than_8192_characters_is_refused():
    error = refused(get("h", headers={"X-Long": "v" * 8193}))
    assert where(error) == ("headers", "h", "/requests/0/headers")


def test_more_than_64_header_fields_are_refused():
    error = refused(get("h", headers={f"X-{n}": "v" for n in range(65)}))
    assert where(error) == ("headers", "h", "/requests/0/headers")


def test_64_header_fields_are_accepted():
    [item] = parse(get("h", headers={f"X-{n}": "v" for n in range(64)}))
    assert len(item.headers) == 64


# Bodies


@pytest.mark.parametrize("method", ["GET", "head", "Get", "HEAD"])
def test_a_get_or_head_with_a_body_is_refused(method):
    item = get("g", method=method, headers={"Content-Type": "application/json"}, body={"a": 1})
    error = refused(item)
    assert where(error) == ("body", "g", "/requests/0/body")


def test_a_body_without_a_content_type_is_refused_at_the_headers():
    error = refused(get("p", method="POST", body={"a": 1}))
    assert where(error) == ("headers", "p", "/requests/0/headers")
    assert "Content-Type" in error.detail


@pytest.mark.parametrize(
    "body",
    [
        "not base64!",
        "A",
        "+/+/AD4=+/",
        "Zm9v YmFy",
        "Zm9v\nYmFy",
        "Zm9v=YmFy",
        "Zé9v",
        42,
        {"a": 1},
    ],
)
def test_a_non_json_body_must_be_a_base64_string(body):
    error = refused(post("p", body, content_type="application/octet-stream"))
    assert where(error) == ("body", "p", "/requests/0/body")


def test_a_json_body_with_a_lone_surrogate_travels_as_an_ascii_escape():
    body = b'{"requests": [{"id": "p", "method": "POST", "url": "/api/cart",'
    body += b' "headers": {"Content-Type": "application/json"}, "body": "\\ud800"}]}'
    (item,) = parse_batch_body(body, SETTINGS).items
    assert item.body == b'"\\ud800"'


# Dependencies


@pytest.mark.parametrize("depends", ["a", {"a": True}, [1], ["a", None], None])
def test_depends_on_must_be_an_array_of_ids(depends):
    item = get("b") | {"dependsOn": depends}
    error = refused(get("a"), item)
    assert where(error) == ("dependsOn", "b", "/requests/1/dependsOn")


def test_depending_on_an_id_not_in_the_batch_is_refused_at_its_position():
    error = refused(get("a"), get("b", dependsOn=["a", "c"]))
    assert where(error) == ("dependsOn", "b", "/requests/1/dependsOn/1")
    assert "'c', which is not in the batch" in error.detail


@pytest.mark.parametrize("spelling", ["a", "A"])
def test_an_item_depending_on_itself_is_refused(spelling):
    error = refused(get("a", dependsOn=[spelling]))
    assert where(error) == ("dependsOn", "a", "/requests/0/dependsOn/0")
    assert "itself" in error.detail


def test_a_batch_with_a_two_item_dependency_cycle_is_refused_naming_an_item_in_it():
    error = refused(get("x"), get("a", dependsOn=["b"]), get("b", dependsOn=["A"]))
    assert error.field == "dependsOn"
    assert error.item in ("a", "b")
    assert error.pointer == f"/requests/{'xab'.index(error.item)}/dependsOn"
    assert "cycle" in error.detail


def test_a_batch_with_a_three_item_dependency_cycle_is_refused_naming_an_item_in_it():
    error = refused(
        get("a", dependsOn=["c"]), get("free"), get("b", dependsOn=["a"]), get("c", dependsOn=["b"])
    )
    assert error.field == "dependsOn"
    assert error.item in ("a", "b", "c")
    assert error.pointer == f"/requests/{['a', 'free', 'b', 'c'].index(error.item)}/dependsOn"
    assert "cycle" in error.detail


def test_a_cycle_reached_through_an_item_outside_it_names_an_item_in_it():
    error = refused(
        get("entry", dependsOn=["a"]), get("a", dependsOn=["b"]), get("b", dependsOn=["a"])
    )
    assert error.item in ("a", "b")


def test_a_dependency_chain_deeper_than_max_depth_is_refused_naming_its_deepest_item():
    error = refused(*chain(SETTINGS.max_depth + 2))
    deepest = SETTINGS.max_depth + 1
    assert where(error) == ("dependsOn", f"i{deepest}", f"/requests/{deepest}/dependsOn")
    assert f"{deepest} deep, more than the {SETTINGS.max_depth}" in error.detail


def test_a_chain_listed_backwards_is_measured_the_same():
    error = refused(*reversed(chain(4)), limits=BatchSettings(max_depth=2))
    assert where(error) == ("dependsOn", "i3", "/requests/0/dependsOn")


def test_max_depth_one_allows_one_level_of_dependencies():
    limits = BatchSettings(max_depth=1)
    assert len(parse(*chain(2), limits=limits)) == 2
    assert refused(*chain(3), limits=limits).item == "i2"


# Properties: a hostile body is a Batch or a BatchError, and a Batch is always well formed

CHARACTERS = st.characters(codec=None, categories=["L", "N", "P", "S", "Zs", "Cc", "Cs"])
TEXT = st.lists(CHARACTERS | st.sampled_from("\ud800\udfff\x00\r\n/~"), max_size=6).map("".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
IDS = st.sampled_from(["a", "A", "b", "B", "c", "d", "e", "Ünï", "", "a\n"]) | st.integers(0, 3)
VALID_IDS = st.sampled_from(["a", "A", "b", "B", "c", "C", "d", "e", "f", "g", "Ünï", "x" * 128])
METHOD_NAMES = st.sampled_from(["GET", "get", "HEAD", "POST", "Put", "PATCH", "delete"])
URLS = st.sampled_from(["/api/products/1", "/api/x?y=1", "https://evil.example/", "//x"]) | TEXT
HEADER_NAMES = st.sampled_from(["Accept", "accept", "X-Custom", "If-None-Match", "Cookie", "B d"])
HEADER_VALUES = st.sampled_from(["*/*", " fr-CH ", 'W/"1"', "", "a\r\nb"])
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/merge-patch+json", "text/plain", "image/png"]
)
BASE64 = st.binary(max_size=12).map(lambda data: base64.b64encode(data).decode())
BASE64URL = st.binary(max_size=12).map(
    lambda data: base64.urlsafe_b64encode(data).decode().rstrip("=")
)
MEMBERS = st.sampled_from(["id", "method", "url", "headers", "body", "dependsOn", "Id", "extra"])


@st.composite
def near_valid_items(draw: st.DrawFn) -> dict[str, Any]:
    """An item that is valid but for its URL, more often than not; else one member is hostile
    or missing."""
    method = draw(METHOD_NAMES)
    item: dict[str, Any] = {"id": draw(VALID_IDS), "method": method, "url": draw(URLS)}
    if draw(st.booleans()):
        item["headers"] = draw(st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=3))
    if method.upper() not in ("GET", "HEAD") and draw(st.booleans()):
        content_type = draw(CONTENT_TYPES)
        item.setdefault("headers", {})["Content-Type"] = content_type
        item["body"] = draw(TEXT | JSON if "json" in content_type else BASE64 | BASE64URL)
    if draw(st.booleans()):
        item["dependsOn"] = draw(st.lists(st.sampled_from(["a", "B", "c"]), max_size=2))
    if draw(st.sampled_from(range(6))) == 5:
        member = draw(MEMBERS)
        if draw(st.booleans()):
            item.pop(member, None)
        else:
            item[member] = draw(JSON | IDS | TEXT)
    return item


HOSTILE_ITEMS = st.fixed_dictionaries(
    {"id": IDS, "method": METHOD_NAMES | JSON, "url": URLS},
    optional={
        "headers": st.dictionaries(HEADER_NAMES | TEXT, HEADER_VALUES | JSON, max_size=3) | JSON,
        "body": st.none() | JSON | BASE64 | BASE64URL,
        "dependsOn": st.lists(IDS, max_size=3) | JSON,
        "Id": JSON,
    },
)
NEAR_VALID_BATCHES = st.fixed_dictionaries(
    {"requests": st.lists(near_valid_items(), min_size=1, max_size=4)}
)
HOSTILE_BATCHES = st.fixed_dictionaries(
    {"requests": st.lists(HOSTILE_ITEMS | JSON, max_size=4) | JSON}, optional={"extra": JSON}
)
LIMITS = st.builds(
    BatchSettings, max_items=st.integers(4, 8), max_depth=st.integers(1, 3), max_body=st.just(4096)
)


def parse_or_refuse(body: bytes, limits: BatchSettings) -> Batch | None:
    """The batch, or None when refused: anything but BatchError fails the test."""
    try:
        return parse_batch_body(body, limits)
    except BatchError as error:
        pointer = error.pointer
    assert pointer == "" or pointer.startswith("/")
    return None


def check(batch: Batch, limits: BatchSettings) -> None:
    assert 1 <= len(batch.items) <= limits.max_items
    ids = [item.id for item in batch.items]
    assert len({item_id.lower() for item_id in ids}) == len(ids)
    depth: dict[str, int] = {}

    def measure(item_id: str, path: tuple[str, ...]) -> int:
        assert item_id not in path, f"cycle through {item_id!r}"
        if item_id not in depth:
            [item] = [item for item in batch.items if item.id == item_id]
            depth[item_id] = 1 + max(
                (measure(dep, (*path, item_id)) for dep in item.depends_on), default=-1
            )
        return depth[item_id]

    for item in batch.items:
        assert item.method in METHODS
        assert item.body is None or item.method not in ("GET", "HEAD")
        assert all(dep in ids and dep != item.id for dep in item.depends_on)
        assert measure(item.id, ()) <= limits.max_depth


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), LIMITS)
def test_any_bytes_are_a_batch_or_a_batch_error(body, limits):
    batch = parse_or_refuse(body, limits)
    if batch is not None:
        check(batch, limits)


@settings(max_examples=200, deadline=None)
@given(JSON, LIMITS)
def test_any_json_value_is_a_batch_or_a_batch_error(document, limits):
    batch = parse_or_refuse(json.dumps(document).encode(), limits)
    if batch is not None:
        check(batch, limits)


@settings(max_examples=200, deadline=None)
@given(HOSTILE_BATCHES, LIMITS)
def test_a_hostile_batch_shaped_document_is_a_batch_or_a_batch_error(document, limits):
    batch = parse_or_refuse(json.dumps(document).encode(), limits)
    if batch is not None:
        check(batch, limits)


@settings(max_examples=200, deadline=None)
@given(NEAR_VALID_BATCHES, LIMITS)
def test_a_near_valid_batch_is_a_well_formed_batch_or_a_batch_error(document, limits):
    batch = parse_or_refuse(json.dumps(document).encode(), limits)
    if batch is not None:
        check(batch, limits)


@st.composite
def dependency_graphs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Valid items with random dependsOn among them: cycles, chains, self-references."""
    ids = draw(st.lists(VALID_IDS, min_size=1, max_size=6, unique_by=str.lower))
    return [get(item_id, dependsOn=draw(st.lists(VALID_IDS, max_size=3))) for item_id in ids]


@settings(max_examples=200, deadline=None)
@given(dependency_graphs(), LIMITS)
def test_a_batch_with_any_dependencies_is_acyclic_and_within_max_depth_or_refused(items, limits):
    batch = parse_or_refuse(encode(*items), limits)
    if batch is not None:
        check(batch, limits)
