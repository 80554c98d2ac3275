"""The anchors (issue #11): the hit path next to what a user could run instead. The load of
the hits section (wrk on one stored product page, alternating rounds) against nginx
``proxy_cache`` in front of the demo origin, the emulator running the edge bundle in front of
the demo origin, and bare aiohttp answering the same body with no cache and no origin.

Ratios are to nginx: the C cache is the bar a local edge is held to; bare aiohttp is the
ceiling of any Python server on this machine. Each cache has a demo origin of its own that
counts what reaches it (bench/countedorigin.py), so the table says how many requests each let
through: the one miss that filled it, if it held the page for the whole run. Both are checked
to answer hits before the rounds and after them.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import aiohttp

from emulator.origin import start_origin

from . import nginxcache, servers
from .compare import Contender, compare_all, comparison_rows
from .countedorigin import requests_at
from .edge_hits import PATH, must_hit
from .measure import free_port, server
from .report import heading, table

NGINX = "nginx proxy_cache"
EDGE = "popcache edge bundle, cache hit"
BARE = "bare aiohttp, same body"


async def product_page() -> tuple[bytes, str]:
    """The body and content type of ``PATH``, from a demo origin of its own (so neither
    counted origin sees the request)."""
    runner, url = await start_origin()
    try:
        async with aiohttp.ClientSession() as session, session.get(url + PATH) as response:
            return await response.read(), response.content_type
    finally:
        await runner.cleanup()


@contextmanager
def counted_origin() -> Iterator[str]:
    """A counted demo origin running; its URL."""
    port = free_port()
    with server(servers.counted_origin(port), "ready"):
        yield f"http://127.0.0.1:{port}"


def run(args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="popcache-bench-anchors-") as tmp,
        counted_origin() as nginx_origin,
        counted_origin() as edge_origin,
    ):
        folder = Path(tmp)
        body, content_type = asyncio.run(product_page())
        (folder / "body").write_bytes(body)
        comparison = compare_all(
            (
                Contender(
                    NGINX,
                    partial(nginxcache.command, origin=nginx_origin, parent=folder),
                    PATH,
                    check=partial(must_hit, header=nginxcache.CACHE_STATUS),
                    ready=nginxcache.READY,
                ),
                Contender(
                    EDGE, partial(servers.edge_before, origin=edge_origin), PATH, check=must_hit
                ),
                Contender(
                    BARE,
                    partial(servers.bare, body=folder / "body", content_type=content_type),
                    PATH,
                ),
            ),
            args,
            callgrind=False,
        )
        origin_requests = {NGINX: requests_at(nginx_origin), EDGE: requests_at(edge_origin)}
    heading(
        f"Anchors: GET {PATH} ({len(body)} bytes) against nginx proxy_cache and the emulator "
        f"running the edge bundle, each in front of a demo origin of its own (one process on "
        f"CPU 0; cache hits, checked before and after the rounds), and bare aiohttp answering "
        f"the same body; {args.rounds} alternating rounds of {args.seconds} s, wrk -t1 "
        f"-c{args.connections} on CPU 1; medians, ratios are medians of per-round ratios:"
    )
    table(
        ["target", "requests/s", "p50 ms", "p99 ms", "ratio to nginx", "origin requests"],
        [[*row, str(origin_requests.get(row[0], "none"))] for row in comparison_rows(comparison)],
    )
    edge, bare = comparison.ratios[EDGE], comparison.ratios[BARE]
    print(
        f"\nThe edge serves {edge:.0%} of nginx's cache-hit throughput; bare aiohttp, with no "
        f"cache and no edge logic, {bare:.0%}: the edge keeps about {edge / bare:.0%} of what "
        f"a Python server on this machine can answer.",
        flush=True,
    )
