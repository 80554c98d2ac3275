"""Whole requests through the edge's front (proxy, batch, views, events, purge) in-process:
a request line and header fields as the runtime hands them over, an origin answering with
fuzzed header fields, and a body. The edge must answer, and never with a 5xx of its own.

The runtime (Workers, or the emulator's aiohttp) only delivers what HTTP lets through: a
method that is a token, an absolute URL, field names that are tokens and values without CR,
LF or NUL. Inputs outside that are skipped here; their parsers have targets of their own.
"""

from __future__ import annotations

import asyncio
import re

from edgeharness import ADMIN, SHOP, EventsHarness
from messages import EdgeRequest, EdgeResponse, Fields
from routes import load_routes
from signature import sign

from .. import EDGE
from ..contract import SEPARATOR, checked, framed, text

ROUTES = load_routes((EDGE / "routes.toml").read_text(encoding="utf-8"), "routes.toml")
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
UNDELIVERABLE = re.compile(r"[\r\n\x00]")
LOOP = asyncio.new_event_loop()
TOTAL: tuple[type[Exception], ...] = ()


def _field_lines(raw: bytes) -> list[tuple[str, str]] | None:
    pairs = []
    for line in text(raw).split("\n") if raw else ():
        name, colon, value = line.partition(":")
        value = value.strip(" \t")
        if not colon or not TOKEN.fullmatch(name) or UNDELIVERABLE.search(value):
            return None
        pairs.append((name.lower(), value))
    return pairs


def _url(raw: bytes) -> str | None:
    path = text(raw)
    if any(char.isspace() or not char.isprintable() or not char.isascii() for char in path):
        return None  # the runtime percent-encodes these before a Worker sees the URL
    return path if path.startswith(("https://", "http://")) else f"{SHOP}/{path.lstrip('/')}"


async def _answer(edge: EventsHarness, request: EdgeRequest) -> EdgeResponse:
    response = await edge.send(request)
    while edge.background:
        pending, edge.background[:] = list(edge.background), []
        await asyncio.gather(*pending)
    return response


def fuzz_one(data: bytes) -> None:
    method, url, request_fields, origin_fields, body = [
        *data.split(SEPARATOR, 4),
        *[b""] * 5,
    ][:5]
    verb, path = text(method), _url(url)
    request_pairs, origin_pairs = _field_lines(request_fields), _field_lines(origin_fields)
    if not TOKEN.fullmatch(verb) or path is None or request_pairs is None or origin_pairs is None:
        return
    origin_answer = EdgeResponse(200, Fields(origin_pairs), b"origin body")

    async def origin(request: EdgeRequest) -> EdgeResponse:
        return EdgeResponse(origin_answer.status, origin_answer.headers.copy(), origin_answer.body)

    edge = EventsHarness(ROUTES)
    edge.answer = origin
    request = EdgeRequest(verb, path, Fields(request_pairs), body or None, "203.0.113.7")
    response = checked(TOTAL, LOOP.run_until_complete, _answer(edge, request))
    assert response.status < 500, f"{response.status}: {response.body[:300]!r}"


BATCH = b'{"requests": [{"id": "a", "method": "GET", "url": "/api/products/1"}]}'
EVENTS = (
    b'[{"event_id": "e1", "type": "inventory.changed", "sku": "BEV-COFFEE", '
    b'"store_id": "sf-mission", "ts": 1000}]'
)
SEEDS = (
    framed(0, "GET", "/api/products/BEV-COFFEE?b=1&a=2", "accept: application/json", ""),
    framed(
        0,
        "GET",
        "https://shop.example/api/cart",
        'if-none-match: W/"v1"\ncache-control: no-cache',
        'cache-control: public, max-age=60, stale-while-revalidate=30\netag: W/"v1"\n'
        "cache-tag: sku:1,catalog\nage: 10",
    ),
    framed(0, "HEAD", "/", "prefer: respond-async, wait=1", "expires: 0\npragma: no-cache"),
    framed(0, "POST", "/_edge/batch", "content-type: application/json", "", BATCH),
    framed(
        0,
        "POST",
        "/_edge/events",
        "content-type: application/json\npopcache-signature: "
        + sign(EVENTS, ["events-secret"], 1000),
        "",
        EVENTS,
    ),
    framed(
        0,
        "POST",
        "/_edge/purge",
        f"content-type: application/json\nauthorization: Bearer {ADMIN}",
        "",
        b'{"tags": ["sku:1"]}',
    ),
)
SEEDS = tuple(seed[1:] for seed in SEEDS)  # this target reads no parser choice
