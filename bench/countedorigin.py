"""The demo origin as its own process, counting the requests that reach it, so a section can
say how many of a run's requests a cache let through: ``GET /_bench/requests`` answers the
count so far (itself not counted).

``python -m bench.countedorigin --port N`` prints a ready line once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import urllib.request

from aiohttp import web
from aiohttp.typedefs import Handler

from emulator.origin import create_app

from .loopback import serve_forever

COUNT_PATH = "/_bench/requests"


def requests_at(origin: str) -> int:
    """How many requests the counted origin at the URL ``origin`` has had."""
    with urllib.request.urlopen(origin + COUNT_PATH, timeout=10) as response:
        return int(response.read())


async def serve(port: int) -> None:
    counted = 0

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal counted
        if request.path == COUNT_PATH:
            return web.Response(text=str(counted))
        counted += 1
        return await handler(request)

    app = create_app(None)
    app.middlewares.insert(0, count)
    await serve_forever(web.AppRunner(app, access_log=None), port, "counted origin")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))
