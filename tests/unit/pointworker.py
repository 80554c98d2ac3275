"""A Worker that writes one request data point per request, run on an in-process emulator.

The point says what the query asks (``?cache=miss&status=503&zone=z``); ``/silent`` writes
none, as any Worker without the binding.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from emulator.app import Emulator
from emulator.clock import FakeClock
from emulator.wrangler import load_config

WORKER = """
from urllib.parse import parse_qs, urlsplit

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlsplit(request.url)
        if url.path != "/silent":
            ask = {key: values[0] for key, values in parse_qs(url.query).items()}
            status = int(ask.get("status", "200"))
            miss = ask.get("cache") == "miss"
            self.env.METRICS.writeDataPoint({
                "blobs": ["request", request.cf.colo, ask.get("zone", "zone-a"),
                          ask.get("class", "product"), ask.get("cache", "hit"), request.method],
                "doubles": [status, 200 if miss else 0, 4.5, 5, 1.5,
                            float(ask.get("pressure", "0")), 1 if miss else 0],
                "indexes": [request.cf.colo],
            })
            return Response("hello", status=status)
        return Response("quiet")
"""

WRANGLER = """name = "points"
main = "worker.py"
compatibility_flags = ["python_workers"]

[[queues.producers]]
binding = "Q"
queue = "jobs"

[[analytics_engine_datasets]]
binding = "METRICS"
dataset = "popcache"
"""


@contextlib.asynccontextmanager
async def running(folder: Path, **options: Any) -> AsyncIterator[Emulator]:
    """The worker on an emulator with a fake clock, served on a free port."""
    (folder / "worker.py").write_text(WORKER)
    (folder / "wrangler.toml").write_text(WRANGLER)
    emulator = Emulator(load_config(folder / "wrangler.toml"), clock=FakeClock(), **options)
    await emulator.start("127.0.0.1", 0)
    try:
        yield emulator
    finally:
        await emulator.stop()


async def refusal_of_post(folder: Path, path: str) -> tuple[int, str, str, object]:
    """How the emulator answers a POST to its GET-only endpoint ``path``: the status, the
    content type, ``Allow`` and the problem's ``field``, the same for every such endpoint."""
    async with (
        running(folder) as emulator,
        aiohttp.ClientSession(emulator.url) as session,
        session.post(path) as reply,
    ):
        problem = await reply.json(content_type=None)
        return reply.status, reply.content_type, reply.headers.get("Allow", ""), problem["field"]
