"""Every fault of docs/faults.md ends in its documented, served outcome, and nothing already
stored or queued is lost: the edge bundle on the emulator, in front of a real origin on
loopback that misbehaves on cue (the emulator's own faults where they exist, raw bytes where
the origin must break HTTP itself), with time moved by the fixture's fake clock."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDictProxy
from signature import sign
from test_edge_zones import MISSION, popup

from emulator.devwiring import DEV_EVENTS_SECRET
from emulator.runtime.kv import KVError
from emulator.runtime.queue_batch import QueueResult
from emulator.runtime.queues import decode_body

PRODUCT = "/api/products/BEV-COFFEE"  # warm: stale-if-error for an hour
GOOD = b'{"sku": "BEV-COFFEE", "name": "Coffee"}'
PAST_SWR = 100  # seconds: past the copy's 10 s of freshness and the warm class's 60 s of swr


def response(
    status: int = 200,
    body: bytes = GOOD,
    *fields: tuple[str, str],
    length: int | None = None,
) -> bytes:
    """An HTTP/1.1 response as raw bytes, ``Content-Length`` ``length`` (default: the body's)."""
    head = [
        f"HTTP/1.1 {status} Whatever",
        f"Content-Length: {len(body) if length is None else length}",
    ]
    head += [f"{name}: {value}" for name, value in fields]
    head += ["Connection: close", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


STORABLE = ("Content-Type", "application/json"), ("Cache-Control", "public, max-age=10")


class RawOrigin:
    """An origin on loopback that writes each path's scripted bytes, then hangs up; it counts
    the requests per path. Unscripted paths get a good, storable answer."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.scripts: dict[str, bytes] = {}  # path: the whole response
        self.pause: dict[str, float] = {}  # path: seconds between the head and the body
        self.url = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode().partition("?")[0]
            self.hits[path] += 1
            data = self.scripts.get(path, response(200, GOOD, *STORABLE))
            split = data.index(b"\r\n\r\n") + 4
            writer.write(data[:split])
            await writer.drain()
            await asyncio.sleep(self.pause.get(path, 0))
            writer.write(data[split:])
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def origin() -> Any:
    raw = RawOrigin()
    server = await asyncio.start_server(raw.serve, "127.0.0.1", 0)
    raw.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield raw


@pytest.fixture
async def edge(popcache_emulator, repo: Path, origin: RawOrigin):  # type: ignore[no-untyped-def]
    """The edge bundle without the upper tier: every miss is its PoP's own fetch, faulted."""
    return await popcache_emulator(repo / "wrangler.toml", origin=origin.url, tiered=False)


async def get(edge, path: str = PRODUCT) -> tuple[int, bytes, CIMultiDictProxy[str]]:  # type: ignore[no-untyped-def]
    async with edge.client(pop="SFO").get(path) as reply:
        return reply.status, await reply.read(), reply.headers


def members(headers: CIMultiDictProxy[str]) -> set[str]:
    return {part.strip() for part in headers["Cache-Status"].split(";")}


# The origin fails while a stored copy is within stale-if-error.

BREAKS: dict[str, tuple[list[dict[str, Any]], bytes | None]] = {
    "refuse": ([{"path": "/api/**", "kind": "refuse"}], None),
    "reset": ([{"path": "/api/**", "kind": "reset"}], None),
    "truncated": ([], response(200, b'{"sku": "BEV', *STORABLE, length=4096)),
    "503": ([{"path": "/api/**", "status": 503}], None),
}


def break_origin(edge, origin: RawOrigin, fault: str) -> None:  # type: ignore[no-untyped-def]
    faults, data = BREAKS[fault]
    edge.set_faults(*faults)
    if data is not None:
        origin.scripts[PRODUCT] = data


def mend_origin(edge, origin: RawOrigin) -> None:  # type: ignore[no-untyped-def]
    edge.set_faults()
    origin.scripts.clear()


@pytest.mark.parametrize("fault", list(BREAKS))
async def test_a_stored_copy_is_served_stale_and_whole_while_the_origin_breaks(edge, origin, fault):
    assert (await get(edge))[1] == GOOD
    break_origin(edge, origin, fault)
    edge.clock.advance(PAST_SWR)
    for _ in range(2):  # the failure replaced nothing: the same copy, again
        status, body, headers = await get(edge)
        assert (status, body) == (200, GOOD)
        assert {"hit", "fwd=stale", "detail=stale-if-error"} <= members(headers)


# The origin fails and nothing is stored yet: a problem+json, and still nothing stored after.


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("refuse", "connection_refused"),
        ("reset", "connection_terminated"),
        ("truncated", "connection_terminated"),
    ],
)
async def test_a_broken_answer_with_nothing_stored_is_a_502_problem_and_stores_nothing(
    edge, origin, fault, error
):
    break_origin(edge, origin, fault)
    status, body, headers = await get(edge)
    assert status == 502
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["field"] == "origin"
    assert headers["Proxy-Status"].startswith(f"popcache; error={error}")
    mend_origin(edge, origin)
    status, body, headers = await get(edge)  # no half answer was stored
    assert (status, body) == (200, GOOD)
    assert "fwd=uri-miss" in members(headers)


# 5xx and 429 answers with hostile header fields.

HOSTILE = (
    ("Content-Type", "application/json"),
    ("Cache-Control", "public, max-age=999999"),
    ("Set-Cookie", "session=attacker; Path=/"),
    ("Retry-After", "9" * 40),
    ("Cache-Tag", "sku:bev-coffee%0D%0ASet-Cookie: injected=1"),
    ("X-Note", "first\\r\\nLocation: https://evil.example/"),
)
OVERSIZED = (("Content-Type", "application/json"), ("X-Padding", "p" * 10 * 1024))


@pytest.mark.parametrize("fields", [HOSTILE, OVERSIZED], ids=["hostile", "10-kib-field"])
async def test_a_hostile_503_never_replaces_the_stored_copy(edge, origin, fields):
    await get(edge)
    origin.scripts[PRODUCT] = response(503, b'{"down": true}', *fields)
    edge.clock.advance(PAST_SWR)
    for _ in range(2):  # the second while the origin rests
        status, body, headers = await get(edge)
        assert (status, body) == (200, GOOD)
        assert {"hit", "fwd=stale"} <= members(headers)
        assert "Set-Cookie" not in headers
        assert headers["Cache-Control"].endswith("max-age=10")


async def test_a_hostile_503_with_nothing_stored_is_passed_on_and_never_stored(edge, origin):
    origin.scripts[PRODUCT] = response(503, b'{"down": true}', *HOSTILE)
    status, body, headers = await get(edge)
    assert (status, body) == (503, b'{"down": true}')
    assert {"fwd=uri-miss", "fwd-status=503", "detail=status"} <= members(headers)
    origin.scripts.clear()
    edge.clock.advance(2)  # past the key's protect_interval: the origin is asked again
    status, body, headers = await get(edge)
    assert (status, body) == (200, GOOD)
    assert {"fwd=uri-miss", "stored"} <= members(headers)


async def test_a_field_too_big_to_read_with_nothing_stored_is_a_502_problem(edge, origin):
    origin.scripts[PRODUCT] = response(503, b'{"down": true}', *OVERSIZED)
    status, body, headers = await get(edge)
    assert status == 502
    assert json.loads(body)["field"] == "origin"
    assert "Proxy-Status" in headers


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        ("9" * 40, 300),  # capped at [backpressure] retry_after_cap
        ("-30", 1),  # not a Retry-After: the key's protect_interval
        ("soon", 1),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 1),
        ("5%0D%0ASet-Cookie: a=b", 1),
        ("1.5", 1),
    ],
    ids=["huge", "negative", "garbage", "past-date", "crlf-looking", "fraction"],
)
async def test_a_hostile_429_is_a_503_problem_with_a_sane_retry_after(
    edge, origin, retry_after, seconds
):
    fields = ("Retry-After", retry_after), *HOSTILE[1:3]  # with Set-Cookie and max-age=999999
    origin.scripts[PRODUCT] = response(429, b"slow down", *fields)
    status, body, headers = await get(edge)
    assert status == 503
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers
    assert json.loads(body)["field"] == "origin"
    assert headers["Retry-After"] == str(seconds)
    assert "received-status=429" in headers["Proxy-Status"]
    origin.scripts.clear()
    edge.clock.advance(seconds)  # the rest is over: the origin is asked, its answer stored
    status, body, headers = await get(edge)
    assert (status, body) == (200, GOOD)
    assert "stored" in members(headers)


# A slow body: the client is answered at the budget, the whole body is stored later.

STOCK = "/api/stores/sf-mission/inventory"  # hot: a 500 ms budget, 5 s fresh, 5 s more swr
FAST_STOCK = (("Content-Type", "application/json"), ("Cache-Control", "public, max-age=5"))


async def test_a_slow_body_gets_a_placeholder_and_the_poll_gets_it_whole(edge, origin):
    origin.scripts[STOCK] = response(200, GOOD, *FAST_STOCK)
    origin.pause[STOCK] = 1.0
    status, _, headers = await get(edge, STOCK)
    assert status == 202
    assert "detail=placeholder" in members(headers)
    await edge.drain()  # the fetch goes on under waitUntil and stores the whole body
    status, body, headers = await get(edge, STOCK)
    assert (status, body) == (200, GOOD)
    assert "hit" in members(headers)
    assert origin.hits[STOCK] == 1


async def test_a_slow_body_serves_the_stored_copy_until_the_new_one_is_whole(edge, origin):
    await get(edge, STOCK)
    origin.scripts[STOCK] = response(200, b'{"qty": 2}', *FAST_STOCK)
    origin.pause[STOCK] = 1.0
    edge.clock.advance(20)  # past freshness and stale-while-revalidate
    status, body, headers = await get(edge, STOCK)
    assert (status, body) == (200, GOOD)
    assert {"hit", "fwd=stale", "detail=placeholder-stale"} <= members(headers)
    await edge.drain()
    status, body, headers = await get(edge, STOCK)
    assert (status, body) == (200, b'{"qty": 2}')
    assert "hit" in members(headers)


# Events: the queue consumer raising, KV and the purge API unavailable.

EVENTS_QUEUE, DEAD_LETTERS = "popcache-events", "popcache-events-dlq"
STOCK_TAG = "sku:BEV-COFFEE@sf-mission"


async def post_event(edge, event_id: str = "e1") -> None:  # type: ignore[no-untyped-def]
    event = {"event_id": event_id, "type": "inventory.changed", "sku": "BEV-COFFEE"}
    body = json.dumps([event | {"store_id": "sf-mission", "ts": 1}]).encode()
    signed = sign(body, [DEV_EVENTS_SECRET], int(edge.clock.now()))
    async with edge.client().post(
        "/_edge/events", data=body, headers={"Popcache-Signature": signed}
    ) as reply:
        assert reply.status == 202, await reply.text()


async def deliver(edge, after: float) -> list[QueueResult]:  # type: ignore[no-untyped-def]
    """Move the clock on ``after`` seconds and deliver what is due then."""
    edge.clock.advance(after)
    return await edge.pump_queues()


def purged_tags(edge) -> list[str]:  # type: ignore[no-untyped-def]
    return [tag for purge in edge.purges for tag in purge.values]


def crash_queue_handler(edge, monkeypatch, times: int) -> None:  # type: ignore[no-untyped-def]
    """Make the Worker's queue() raise on its next ``times`` batches, before doing anything."""
    entrypoint = next(iter(edge.emulator.pops.values())).isolate.entrypoint  # batches run here
    real, crashes = entrypoint.queue, []

    async def queue(self, batch, env, ctx):  # type: ignore[no-untyped-def]
        if len(crashes) < times:
            crashes.append(batch)
            raise RuntimeError("a bug in queue()")
        await real(self, batch, env, ctx)

    monkeypatch.setattr(entrypoint, "queue", queue)


async def test_a_batch_whose_handler_raises_comes_back_after_retry_delay_and_is_applied(
    edge, monkeypatch
):
    crash_queue_handler(edge, monkeypatch, times=1)
    await post_event(edge)
    [crashed] = await deliver(edge, 1)  # max_batch_timeout = 1
    assert crashed.outcome == "exception"
    assert purged_tags(edge) == []
    assert await deliver(edge, 2.9) == []  # retry_delay = 2, then max_batch_timeout = 1
    [applied] = await deliver(edge, 0.1)
    assert applied.outcome == "ok"
    assert purged_tags(edge) == [STOCK_TAG]
    assert edge.queue_pending(EVENTS_QUEUE) == edge.queue_pending(DEAD_LETTERS) == 0


async def test_a_batch_whose_handler_keeps_raising_lands_whole_in_the_dead_letter_queue(
    edge, monkeypatch
):
    crash_queue_handler(edge, monkeypatch, times=6)
    await post_event(edge)
    attempts = [len(await deliver(edge, 3)) for _ in range(7)]
    assert attempts == [1] * 6 + [0]  # the first delivery and max_retries = 5 more
    assert edge.queue_pending(EVENTS_QUEUE) == 0
    [dead] = edge.emulator.queue_store.due(DEAD_LETTERS, edge.clock.now(), 10, frozenset())
    assert decode_body(dead.body, dead.content_type)["event"]["event_id"] == "e1"
    assert purged_tags(edge) == []


def kv_down(edge, monkeypatch, namespace: str) -> None:  # type: ignore[no-untyped-def]
    """Make every read and write of KV ``namespace`` throw as an unavailable KV does."""
    store = edge.emulator.kv
    read, write = store.read, store.write

    def failing(real):  # type: ignore[no-untyped-def]
        def call(ns, *args):  # type: ignore[no-untyped-def]
            if ns == namespace:
                raise KVError("GET" if real is read else "PUT", 503, "Service Unavailable")
            return real(ns, *args)

        return call

    monkeypatch.setattr(store, "read", failing(read))
    monkeypatch.setattr(store, "write", failing(write))


async def test_events_are_accepted_and_applied_while_the_event_ledger_is_down(edge, monkeypatch):
    kv_down(edge, monkeypatch, "popcache-event-ledger")
    await post_event(edge)
    [result] = await deliver(edge, 1)
    assert result.outcome == "ok"
    assert purged_tags(edge) == [STOCK_TAG]
    assert edge.queue_pending(EVENTS_QUEUE) == edge.queue_pending(DEAD_LETTERS) == 0


async def test_the_last_zones_read_from_kv_stay_in_force_while_kv_is_down(
    edge, monkeypatch, caplog
):
    caplog.set_level(logging.WARNING, logger="popcache.console")
    zoned = "/api/inventory/BEV-COFFEE"  # hot, shared per store zone
    now = edge.clock.now()
    await edge.kv("ZONES").put("zones", popup(now - 60, now + 7200))
    async with edge.client(geo=MISSION, pop="SFO").get(
        zoned, headers={"Popcache-Debug": "1"}
    ) as reply:
        assert "/hot/mission-popup/" in reply.headers["Cache-Status"]
    kv_down(edge, monkeypatch, "popcache-zones")
    edge.clock.advance(60)  # past [zones] refresh: the isolate reads KV again, and fails
    for _ in range(2):  # the first notices the read is due, the second follows it
        async with edge.client(geo=MISSION, pop="SFO").get(
            zoned, headers={"Popcache-Debug": "1"}
        ) as reply:
            assert reply.status == 200
            assert "/hot/mission-popup/" in reply.headers["Cache-Status"]
        await edge.drain()
    assert "KV ZONES/zones: unreadable, the previous zones stay in force" in caplog.text


@pytest.mark.parametrize(
    ("answer", "delay"),
    [
        (None, 5),  # nothing listens: refused
        (response(503, b"{}", ("Retry-After", "7")), 7),
        (response(502, b"<html>bad gateway</html>"), 5),
        (response(429, b'{"success": false}', ("Retry-After", "30")), 30),
    ],
    ids=["refused", "503", "502-html", "429"],
)
async def test_events_wait_on_the_queue_while_the_purge_api_is_down_and_apply_after(
    edge, origin, unused_tcp_port, answer, delay
):
    own = edge.emulator.overrides["PURGE_API"]
    down = f"http://127.0.0.1:{unused_tcp_port}"
    if answer is not None:
        origin.scripts["/zones/popcache-dev-zone/purge_cache"] = answer
        down = origin.url
    settings = edge.emulator.purge_api.settings
    edge.emulator.wire({"PURGE_API": down}, settings)
    await post_event(edge)
    [result] = await deliver(edge, 1)
    assert list(result.retried.values()) == [delay]
    assert purged_tags(edge) == []
    edge.emulator.wire({"PURGE_API": own}, settings)  # the API is back
    assert await deliver(edge, delay + 0.9) == []  # the delay, then max_batch_timeout = 1
    await deliver(edge, 0.1)
    assert purged_tags(edge) == [STOCK_TAG]
    assert edge.queue_pending(EVENTS_QUEUE) == edge.queue_pending(DEAD_LETTERS) == 0
