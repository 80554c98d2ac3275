"""A stampede: many clients ask one PoP for one cold key at once; the origin must see one request.

Everything runs in this process: a slow origin that counts what reaches it, the emulator with
the edge bundle in front of it (over HTTP, through the front door), and the clients, each on its
own connection, all pinned to one PoP. Target (issue #3): with 1,000 clients the origin sees
exactly 1 request; the clients' p50 and p99 latencies are reported.

Two herds run, each on its own cold key: the first opens its connections as it goes, so its
latencies include connecting (and, past the front door's listen backlog, the kernel's SYN
retries, counted as listen-queue overflows on Linux); the second reuses those connections,
so all its requests are in flight together and its latencies are the edge's alone.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time
from argparse import Namespace
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from emulator.anycast import POP_HEADER
from emulator.app import Emulator
from emulator.wrangler import load_config

from . import servers
from .report import heading, table, verdict

HERDS = {  # cold key: the clients' connections
    "/api/products/STAMPEDE-1": "new",  # connecting is part of each client's latency
    "/api/products/STAMPEDE-2": "kept open",  # the first herd's, reused
}
POP = "SFO"


@dataclass
class Herd:
    path: str
    origin_requests: int
    latencies_ms: list[float]
    statuses: Counter[int]  # response status: how many clients got it
    collapsed: int  # responses whose Cache-Status says they waited for another's origin trip
    overflows: int | None  # the kernel's listen-queue overflows meanwhile (None: not Linux)


class _Origin:
    """Answers every request after ``delay`` seconds with a cacheable 200, counting them."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.requests: Counter[str] = Counter()

    async def handle(self, request: web.BaseRequest) -> web.Response:
        self.requests[request.path] += 1
        await asyncio.sleep(self.delay)
        return web.Response(
            body=b'{"sku": "STAMPEDE"}',
            headers={"content-type": "application/json", "cache-control": "public, max-age=60"},
        )


def _raise_open_files(needed: int) -> None:
    """Each client holds a socket on both ends here: lift the soft limit if it is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        lifted = needed if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (lifted, hard))


def _listen_overflows() -> int | None:
    """The kernel's count of connections dropped because a listen queue was full."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            fields = dict(zip(names.split()[1:], values.split()[1:], strict=True))
            return int(fields["ListenOverflows"])
    return None


async def _herd(
    session: aiohttp.ClientSession, base: str, path: str, clients: int, origin: _Origin
) -> Herd:
    async def client() -> tuple[float, int, str]:
        started = time.perf_counter()
        async with session.get(base + path, headers={POP_HEADER: POP}) as response:
            await response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, response.status, response.headers.get("cache-status", "")

    before = _listen_overflows()
    answers = await asyncio.gather(*(client() for _ in range(clients)))
    after = _listen_overflows()
    return Herd(
        path,
        origin.requests[path],
        [latency for latency, _, _ in answers],
        Counter(code for _, code, _ in answers),
        sum("collapsed" in status for _, _, status in answers),
        None if before is None or after is None else after - before,
    )


async def stampede(clients: int, delay: float) -> list[Herd]:
    origin = _Origin(delay)
    runner = web.ServerRunner(web.Server(origin.handle, access_log=None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    emulator = Emulator(load_config(servers.EDGE), origin=f"http://{host}:{port}")
    try:
        base = await emulator.start("127.0.0.1", 0)
        # The cities table loads in a thread after start: let it finish before the clock runs.
        await emulator.cities_ready()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            return [await _herd(session, base, path, clients, origin) for path in HERDS]
    finally:
        await emulator.stop()
        await runner.cleanup()


def run(args: Namespace) -> None:
    _raise_open_files(2 * args.clients + 256)
    herds = asyncio.run(stampede(args.clients, args.origin_delay))
    heading(
        f"Stampede: {args.clients:,} concurrent clients, one connection each, on one cold key "
        f"through one PoP ({POP}); the origin answers after {args.origin_delay:g} s:"
    )
    rows = []
    for herd in herds:
        cuts = statistics.quantiles(herd.latencies_ms, n=100, method="inclusive")
        rows.append(
            [
                HERDS[herd.path],
                str(herd.origin_requests),
                f"{cuts[49]:.1f}",
                f"{cuts[98]:.1f}",
                f"{max(herd.latencies_ms):.1f}",
                ", ".join(f"{code}: {n:,}" for code, n in sorted(herd.statuses.items())),
                f"{herd.collapsed:,}",
                "n/a" if herd.overflows is None else f"{herd.overflows:,}",
            ]
        )
    table(
        [
            "clients' connections",
            "origin requests",
            "client p50 ms",
            "client p99 ms",
            "slowest ms",
            "responses by status",
            "collapsed (Cache-Status)",
            "listen-queue overflows",
        ],
        rows,
    )
    print()
    for herd, row in zip(herds, rows, strict=True):
        collapsed = verdict(
            herd.origin_requests == 1,
            f"stampede on {HERDS[herd.path]}: 1 origin request",
            f"{herd.origin_requests}",
        )
        print(
            f"Stampede on {HERDS[herd.path]} connections: the origin saw "
            f"{herd.origin_requests} request(s) for {args.clients:,} clients "
            f"({collapsed} the exactly-1 target); clients' p50 "
            f"{row[2]} ms, p99 {row[3]} ms.",
            flush=True,
        )
