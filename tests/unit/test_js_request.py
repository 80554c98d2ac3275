"""The JS ``Request``'s url and body as workerd builds them.

``request.url`` is ``new URL(url).href`` (``fetch_standard_url``, on since 2024-06-03): the
WHATWG serialization, fragment kept. A str body brings ``Content-Type: text/plain;charset=UTF-8``
unless one is set; bytes bring none (the Fetch standard's "extract a body").
"""

import pytest

from emulator.runtime.headers import JsHeaders
from emulator.runtime.http import BodyInit, JsRequest, JsResponse, ReadableStream, request_url
from emulator.runtime.jsproxy import JsObject
from emulator.runtime.workers import Request

TEXT_PLAIN = "text/plain;charset=UTF-8"


@pytest.mark.parametrize(
    ("given", "href"),
    [
        ("https://SHOP.example/api/../api/./products", "https://shop.example/api/products"),
        ("HTTP://Shop.Example:80/a/./b/../c", "http://shop.example/a/c"),
        ("https://shop.example:443", "https://shop.example/"),
        ("https://shop.example:8443/x", "https://shop.example:8443/x"),
        ("https://shop.example/a/..", "https://shop.example/"),
        ("https://shop.example/a b?q=x y&é", "https://shop.example/a%20b?q=x%20y&%C3%A9"),
        ("  https://shop.example/\t?q=1  ", "https://shop.example/?q=1"),
        ("https://shop.example/p#Top Part", "https://shop.example/p#Top%20Part"),
        ("https://shop.example/p#", "https://shop.example/p#"),
        ("https://shop.example/p?q#f#g", "https://shop.example/p?q#f#g"),
    ],
)
def test_the_url_is_what_new_url_serializes(given: str, href: str) -> None:
    assert request_url(given) == href
    assert JsRequest(given).url == href
    assert Request(given).url == href


def test_a_url_already_serialized_is_kept() -> None:
    href = "https://shop.example/api/products/BEV-COFFEE?q=%20#x"
    assert request_url(href) == href


@pytest.mark.parametrize("url", ["/api", "api", "//shop.example/api", "data:text/plain,hi"])
def test_a_url_that_is_not_http_is_kept_as_given(url: str) -> None:
    # workerd refuses a relative URL here already (Invalid URL); the emulator leaves it to fetch().
    assert JsRequest(url).url == url


@pytest.mark.parametrize("url", ["https://a..b/x", "http://bad host/", "https://a:99999/"])
def test_an_http_url_the_emulator_cannot_serialize_is_kept_as_given(url: str) -> None:
    # new URL() takes the first (the Cache API refuses it as a key); workerd throws
    # TypeError("Invalid URL: ...") for the others, which the emulator does not.
    assert JsRequest(url).url == url


def test_a_request_from_a_request_keeps_the_serialized_url() -> None:
    first = Request("https://SHOP.example/a/../b")
    assert Request(first).url == "https://shop.example/b"
    assert JsRequest(first.js_object.url).url == "https://shop.example/b"


def test_an_incoming_request_url_is_serialized_without_a_fragment() -> None:
    request = JsRequest.incoming(
        "http://SHOP.example:80/a/./b/../c?x=1#frag", "GET", JsHeaders, None, JsObject({})
    )
    assert request.url == "http://shop.example/a/c?x=1"


@pytest.mark.parametrize("url", ["http://bad host/", "http://shop.example:99999/", "*"])
def test_an_incoming_request_with_an_invalid_url_is_a_type_error(url: str) -> None:
    with pytest.raises(TypeError):
        JsRequest.incoming(url, "GET", JsHeaders, None, JsObject({}))


async def test_a_str_body_brings_text_plain() -> None:
    request = JsRequest("https://shop.example/", method="POST", body="hi")
    assert request.headers.get("content-type") == TEXT_PLAIN
    assert await request.text() == "hi"


def test_an_empty_str_body_brings_text_plain_too() -> None:
    request = JsRequest("https://shop.example/", method="POST", body="")
    assert request.headers.get("content-type") == TEXT_PLAIN


@pytest.mark.parametrize(
    "headers", [{"Content-Type": "application/json"}, [("content-TYPE", "application/json")]]
)
def test_a_str_body_keeps_the_callers_content_type(
    headers: dict[str, str] | list[tuple[str, str]],
) -> None:
    request = JsRequest("https://shop.example/", method="POST", headers=headers, body="{}")
    assert [value for name, value in request.headers.fields if name == "content-type"] == [
        "application/json"
    ]


@pytest.mark.parametrize(
    "body", [b"\x00hi", bytearray(b"hi"), memoryview(b"hi"), ReadableStream(b"hi"), None]
)
def test_a_body_that_is_not_a_str_brings_no_content_type(body: BodyInit) -> None:
    request = JsRequest("https://shop.example/", method="POST", body=body)
    assert not request.headers.has("content-type")


def test_the_sdk_request_with_a_str_body_has_text_plain() -> None:
    request = Request("https://shop.example/", method="POST", body="hi")
    assert request.headers["content-type"] == TEXT_PLAIN
    assert "content-type" not in Request("https://shop.example/", method="POST", body=b"hi").headers


def test_a_response_with_a_str_body_still_has_text_plain() -> None:
    assert JsResponse("hi").headers.get("content-type") == TEXT_PLAIN
    assert (
        JsResponse("hi", headers={"Content-Type": "text/html"}).headers.get("content-type")
        == "text/html"
    )
    assert not JsResponse(b"hi").headers.has("content-type")
