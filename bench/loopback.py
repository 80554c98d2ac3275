"""How the bench's own helper servers (bare aiohttp, the counted origin) run: on loopback,
saying a ready line once they listen (the line ``measure.server`` waits for), until killed."""

from __future__ import annotations

import asyncio

from aiohttp import web


async def serve_forever(runner: web.BaseRunner, port: int, name: str) -> None:
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"{name}: ready on http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()
