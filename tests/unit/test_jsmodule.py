"""The js module of an isolate: caches and the JS constructors, Pyodide style."""

import logging

from emulator.clock import FakeClock
from emulator.runtime.cache import CacheStorage
from emulator.runtime.headers import JsHeaders
from emulator.runtime.http import JsResponse
from emulator.runtime.jsmodule import make_js_module


def js_module(clock: FakeClock | None = None):  # type: ignore[no-untyped-def]
    clock = clock or FakeClock()
    return make_js_module(CacheStorage(clock), clock)


def test_caches_is_the_storage_it_was_given():
    caches = CacheStorage(FakeClock())
    assert make_js_module(caches, FakeClock()).caches is caches


async def test_response_new_takes_an_init_dict():
    response = js_module().Response.new("made", {"status": 201, "headers": {"x-a": "1"}})
    assert isinstance(response, JsResponse)
    assert (response.status, response.headers.get("x-a")) == (201, "1")
    assert await response.text() == "made"


def test_request_new_copies_a_request_with_other_options():
    js = js_module()
    original = js.Request.new("https://shop.example/a", {"method": "POST", "body": "x"})
    copy = js.Request.new(original, {"method": "PUT", "body": "y"})
    assert (copy.url, copy.method) == ("https://shop.example/a", "PUT")


def test_a_request_made_from_a_request_has_headers_of_its_own():
    js = js_module()
    original = js.Request.new("https://shop.example/a", {"headers": {"x-a": "1"}})
    copy = js.Request.new(original, {"method": "POST", "body": "text"})
    copy.headers.set("x-b", "2")
    assert copy.headers.get("content-type") == "text/plain;charset=UTF-8"
    assert (original.headers.get("content-type"), original.headers.get("x-b")) == (None, None)


def test_headers_new_builds_js_headers():
    headers = js_module().Headers.new([("A", "1")])
    assert isinstance(headers, JsHeaders)
    assert headers.get("a") == "1"


def test_date_now_is_the_isolates_clock_in_milliseconds():
    clock = FakeClock(1_000.0)
    assert js_module(clock).Date.now() == 1_000_000.0


def test_console_log_goes_to_the_console_logger(caplog):
    with caplog.at_level(logging.INFO, logger="popcache.console"):
        js_module().console.log("stock", 3)
    assert "stock 3" in caplog.text


def test_object_from_entries_is_a_js_object():
    assert js_module().Object.fromEntries([("a", 1)]).a == 1
