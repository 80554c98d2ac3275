"""workers.fetch goes over the real network to an origin on loopback, as pyfetch does."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from emulator.runtime.fetcher import Fetcher, current_fetcher
from emulator.runtime.workers import Request, Response, fetch


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    client = Fetcher()
    token = current_fetcher.set(client)
    yield client
    current_fetcher.reset(token)
    await client.close()


async def origin_handler(request: web.BaseRequest) -> web.StreamResponse:
    if request.path == "/moved":
        raise web.HTTPFound("/landed")
    if request.path == "/echo":
        return web.Response(
            text=f"{request.method} {await request.text()} {request.headers.get('X-Trace')}",
            headers={"Set-Cookie": "a=1"},
        )
    if request.path == "/content-type":
        return web.Response(text=request.headers.get("Content-Type", "none"))
    return web.Response(text=f"at {request.path}")


@pytest.fixture
async def origin(aiohttp_raw_server) -> str:  # type: ignore[no-untyped-def]
    server = await aiohttp_raw_server(origin_handler)
    return str(server.make_url("")).rstrip("/")


async def test_fetch_sends_method_headers_and_body(fetcher, origin):
    response = await fetch(f"{origin}/echo", method="POST", headers={"X-Trace": "t1"}, body="hi")
    assert isinstance(response, Response)
    assert await response.text() == "POST hi t1"
    assert response.headers.get("set-cookie") == "a=1"


@pytest.mark.parametrize(
    ("options", "content_type"),
    [
        ({"body": "hi"}, "text/plain;charset=UTF-8"),
        ({"body": ""}, "text/plain;charset=UTF-8"),
        ({"body": "{}", "headers": {"Content-Type": "application/json"}}, "application/json"),
        ({"body": b"\x00hi"}, "none"),
        ({}, "none"),
    ],
    ids=["str", "empty-str", "str-with-its-own-type", "bytes", "no-body"],
)
async def test_a_post_body_sets_content_type_as_the_fetch_standard_says(
    fetcher, origin, options, content_type
):
    # A str body brings text/plain;charset=UTF-8 unless the caller set a type; bytes and no body
    # bring none (aiohttp would add application/octet-stream; workerd adds nothing).
    response = await fetch(f"{origin}/content-type", method="POST", **options)
    assert await response.text() == content_type


async def test_fetch_accepts_a_request(fetcher, origin):
    request = Request(f"{origin}/echo", method="PUT", body="payload", headers=[("X-Trace", "t2")])
    response = await fetch(request)
    assert await response.text() == "PUT payload t2"


async def test_fetch_follows_redirects_by_default(fetcher, origin):
    response = await fetch(f"{origin}/moved")
    assert (response.status, response.redirected) == (200, True)
    assert response.url.endswith("/landed")
    assert await response.text() == "at /landed"


async def test_a_manual_redirect_returns_the_redirect(fetcher, origin):
    response = await fetch(f"{origin}/moved", redirect="manual")
    assert response.status == 302
    assert response.headers["location"] == "/landed"


async def test_a_relative_url_is_a_type_error(fetcher):
    with pytest.raises(TypeError, match="Fetch API cannot load: /api"):
        await fetch("/api")


async def test_a_refused_connection_is_an_os_error(fetcher, unused_tcp_port):
    with pytest.raises(OSError, match="Network connection lost"):
        await fetch(f"http://127.0.0.1:{unused_tcp_port}/")


async def test_fetch_outside_a_request_says_why():
    with pytest.raises(RuntimeError, match="outside a request"):
        await fetch("http://127.0.0.1:9/")


async def test_raise_for_status_names_the_status(fetcher, origin):
    response = await fetch(f"{origin}/moved", redirect="manual")
    response.raise_for_status()
    missing = Response("gone", status=404)
    with pytest.raises(OSError, match="404 Client Error"):
        missing.raise_for_status()


async def test_replace_body_keeps_status_and_headers(fetcher, origin):
    response = await fetch(f"{origin}/echo", method="POST", body="x")
    replaced = response.replace_body("new body")
    assert replaced.headers.get("set-cookie") == "a=1"
    assert await replaced.text() == "new body"
