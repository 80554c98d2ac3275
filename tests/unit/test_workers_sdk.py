"""The `workers` stand-in behaves as workers-runtime-sdk 1.9.x does, quirks included."""

from http import HTTPMethod

import pytest

from emulator.runtime.headers import JsHeaders
from emulator.runtime.http import JsRequest, JsResponse
from emulator.runtime.jsproxy import JsObject
from emulator.runtime.workers import Request, Response, WorkerEntrypoint


def make_request(**options: object) -> Request:
    return Request(
        JsRequest(
            "https://shop.example/api/items?page=2",
            method=str(options.get("method", "POST")),
            headers={"Content-Type": "application/json", "X-Trace": "a"},
            body=options.get("body", b'{"sku": "A1"}'),  # type: ignore[arg-type]
            cf=JsObject({"colo": "SFO", "latitude": "37.77000"}),
        )
    )


def test_request_method_is_an_http_method():
    assert make_request().method is HTTPMethod.POST


def test_request_headers_are_case_insensitive():
    headers = make_request().headers
    assert headers.get("content-type") == "application/json"
    assert "x-trace" in headers
    assert headers.get_all("X-TRACE") == ["a"]


def test_request_headers_are_a_copy_that_does_not_write_back():
    request = make_request()
    headers = request.headers
    headers["X-Other"] = "b"
    assert "x-other" not in request.headers


def test_request_cf_fields_are_attributes():
    assert make_request().cf.colo == "SFO"  # type: ignore[union-attr]


def test_a_missing_cf_field_raises_attribute_error():
    with pytest.raises(AttributeError):
        make_request().cf.postalCode  # type: ignore[union-attr]  # noqa: B018


def test_cf_to_py_returns_a_dict():
    assert make_request().cf.to_py() == {"colo": "SFO", "latitude": "37.77000"}  # type: ignore[union-attr]


def test_request_cf_is_none_for_a_constructed_request():
    assert Request("https://shop.example/").cf is None


async def test_request_json_reads_the_body():
    assert await make_request().json() == {"sku": "A1"}


async def test_reading_a_request_body_twice_is_an_os_error():
    request = make_request()
    await request.text()
    with pytest.raises(OSError, match="Body already used"):
        await request.bytes()


async def test_a_cloned_request_reads_its_own_body():
    request = make_request()
    clone = request.clone()
    assert await request.text() == await clone.text()


def test_a_get_request_cannot_have_a_body():
    with pytest.raises(TypeError, match="GET or HEAD"):
        Request("https://shop.example/", method=HTTPMethod.GET, body="x")


def test_request_from_a_js_request_refuses_options():
    with pytest.raises(ValueError, match="Expected no options"):
        Request(JsRequest("https://shop.example/"), method="POST")


def test_request_headers_must_be_a_dict_list_or_js_headers():
    with pytest.raises(TypeError, match="unexpected type for headers"):
        Request("https://shop.example/", headers=make_request().headers)  # type: ignore[arg-type]


def test_js_object_is_the_runtime_request():
    request = make_request()
    assert isinstance(request.js_object, JsRequest)
    assert request.js_object.url == request.url


async def test_response_defaults_to_200_with_a_text_body():
    response = Response("hi")
    assert (response.status, response.ok) == (200, True)
    assert response.headers["content-type"] == "text/plain;charset=UTF-8"
    assert await response.text() == "hi"


async def test_response_accepts_bytes_and_a_status():
    response = Response(b"\x00\x01", status=404, headers=[("X-A", "1")])
    assert (response.status, response.ok) == (404, False)
    assert await response.bytes() == b"\x00\x01"


def test_response_rejects_an_unsupported_body_type():
    with pytest.raises(TypeError, match="Unsupported type in Response: dict"):
        Response({"a": 1})  # type: ignore[arg-type]


def test_response_rejects_a_status_outside_200_to_599():
    with pytest.raises(ValueError, match="range 200 to 599"):
        Response("x", status=700)


async def test_response_json_as_a_static_builds_a_json_response():
    response = Response.json({"a": 1}, status=201)
    assert response.status == 201
    assert response.headers["content-type"] == "application/json"
    assert await response.json() == {"a": 1}


def test_response_redirect_returns_the_runtime_response():
    redirect = Response.redirect("https://shop.example/next", 301)
    assert isinstance(redirect, JsResponse)
    assert (redirect.status, redirect.headers.get("location")) == (301, "https://shop.example/next")


async def test_response_wraps_a_cached_js_response():
    cached = JsResponse("stored", headers={"CF-Cache-Status": "HIT"})
    response = Response(cached)
    assert response.js_object is cached
    assert response.headers["cf-cache-status"] == "HIT"
    assert await response.text() == "stored"


def test_response_from_a_js_response_refuses_options():
    with pytest.raises(ValueError, match="Expected no options"):
        Response(JsResponse("x"), status=200)


async def test_reading_a_response_body_twice_is_an_os_error():
    response = Response("once")
    await response.text()
    with pytest.raises(OSError, match="already used"):
        await response.text()


async def test_a_cloned_response_has_its_own_body():
    response = Response("twice")
    clone = response.clone()
    assert await response.text() == await clone.text() == "twice"


async def test_set_cookie_values_stay_separate_in_response_headers():
    response = Response("x", headers=JsHeaders([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]))
    assert response.headers.get_all("set-cookie") == ["a=1", "b=2"]


def test_worker_entrypoint_keeps_ctx_and_env():
    entry = WorkerEntrypoint("ctx", "env")
    assert (entry.ctx, entry.env) == ("ctx", "env")


def test_a_clone_is_pyodides_fetch_response_without_js_object_as_in_the_sdk():
    clone = Response("x").clone()
    assert type(clone).__name__ == "FetchResponse"
    assert not isinstance(clone, Response)
    assert not hasattr(clone, "js_object")
    assert clone.js_response.status == 200
