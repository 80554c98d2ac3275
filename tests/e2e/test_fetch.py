"""workers.fetch goes over the real network to an origin on loopback, as pyfetch does."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from emulator.runtime.fetcher import SIMULTANEOUS_CONNECTIONS, Fetcher, invocation
from emulator.runtime.workers import Request, Response, fetch


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    client = Fetcher()
    with invocation(client):
        yield client
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


class HeldOrigin:
    """An origin that holds every request until released, counting how many wait at once."""

    def __init__(self) -> None:
        self.waiting = 0
        self.most = 0
        self.changed = asyncio.Condition()
        self.release = asyncio.Event()

    async def until(self, count: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.waiting >= count)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.waiting += 1
        self.most = max(self.most, self.waiting)
        async with self.changed:
            self.changed.notify_all()
        await self.release.wait()
        self.waiting -= 1
        return web.Response(text="done")


async def test_an_invocation_has_at_most_six_fetches_waiting_for_headers(aiohttp_raw_server):
    held, client = HeldOrigin(), Fetcher()
    server = await aiohttp_raw_server(held.handle)
    with invocation(client):
        calls = [asyncio.ensure_future(fetch(str(server.make_url(f"/{n}")))) for n in range(10)]
        await held.until(SIMULTANEOUS_CONNECTIONS)
        await asyncio.sleep(0.1)  # a seventh, were it not queued, would arrive meanwhile
        assert held.waiting == SIMULTANEOUS_CONNECTIONS
        held.release.set()
        responses = await asyncio.gather(*calls)
    await client.close()
    assert [await response.text() for response in responses] == ["done"] * 10
    assert held.most == SIMULTANEOUS_CONNECTIONS


async def test_separate_invocations_each_have_their_own_six(aiohttp_raw_server):
    held, client = HeldOrigin(), Fetcher()
    server = await aiohttp_raw_server(held.handle)
    calls = []
    for first in (0, 6):
        with invocation(client):
            for n in range(first, first + 6):
                calls.append(asyncio.ensure_future(fetch(str(server.make_url(f"/{n}")))))
    await asyncio.wait_for(held.until(12), 5)
    held.release.set()
    await asyncio.gather(*calls)
    await client.close()
