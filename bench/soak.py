"""The soak (issue #11): a bounded run of mixed load, to show nothing grows without bound.

``popcache dev`` runs as a process of its own (the repository's bundle, three PoPs, the
embedded demo origin, pinned to CPU 0) while this process drives it for ``--soak-seconds``
(default 300): ``CLIENTS`` clients sending the mix of :mod:`bench.soaktraffic` back to back,
and a stock change every second through the demo origin's ``POST /_admin/stock``, which sends
a signed inventory event to the edge, which queues it and purges. Every ``SAMPLE_EVERY``
seconds it reads ``/cdn-cgi/popcache/internals`` (and scrapes ``/metrics`` and ``/stats``, so
their label tables fill as a dashboard and Prometheus would fill them). The first fifth of the
run is warm-up: sizes and memory are judged from the sample taken at its end.

The emulator keeps what it caches and the data points it is written up to caps (``popcache
dev --max-cache-entries``, ``--max-data-points``); until a capped table is full its growth is
the cap being reached, not a leak. At the defaults (10,000 URLs per cache, 100,000 points)
this traffic takes over twenty minutes to fill them, so the soak lowers them (``CAPS``) until
the warm-up fills them: what it then judges is whether anything grows once every bound is
reached, which is what a leak looks like. The caps are in the heading of its output.

Verdicts (:mod:`bench.soakverdict`): no answer but the intended ones; resident memory at the
end within ``RSS_GROWTH`` of the start; the blocks Python has allocated (its live objects)
flat, so a creeping RSS is told apart from a leak; every table at most its cap, or flat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from . import servers
from .measure import free_port, server
from .report import heading, table, verdict
from .soaktraffic import KINDS, POPS, Ask, Catalogue, Traffic
from .soakverdict import (
    FLAT_SHARE,
    INTENDED,
    RSS_GROWTH,
    TableRun,
    flat,
    intended,
    rss_flat,
    status_class,
    table_runs,
    trend,
)

CLIENTS = 16
CAPS = {"--max-cache-entries": 1_000, "--max-data-points": 5_000}
"""The emulator's bounds for the soak, low enough for the warm-up to reach them."""
WARMUP_SHARE = 0.2
SAMPLE_EVERY = 10.0
STOCK_EVERY = 1.0
_CLASSES = ("2xx", "3xx", "4xx", "5xx", "no answer")
_BATCH_ITEMS = "batch items"


@dataclass
class Tally:
    """What the clients sent and got back."""

    by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(kind, status class) -> requests; batch items under ``_BATCH_ITEMS``."""
    placeholders: int = 0
    unexpected: Counter[str] = field(default_factory=Counter)
    """``<kind> <status> <field>`` -> answers that are errors not in ``INTENDED``."""
    intended: Counter[str] = field(default_factory=Counter)

    def note(self, kind: str, status: int | None, problem_field: str | None = None) -> None:
        self.by_kind[kind, status_class(status)] += 1
        self.placeholders += status == 202
        if status is None or status >= 400:
            what = f"{kind}: {status or 'no answer'} {problem_field or ''}".rstrip()
            (self.intended if intended(status, problem_field) else self.unexpected)[what] += 1


@dataclass
class Run:
    tally: Tally
    samples: list[dict[str, Any]]
    stock_changes: int
    stock_refused: int
    purges: int
    invalidations: int
    seconds: float
    warmup: float
    idle: dict[str, Any]
    """The internals before any traffic."""


def _field(body: bytes) -> str | None:
    try:
        found = json.loads(body).get("field")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def _invalidations(exposition: str) -> int:
    """Invalidations the edge recorded since start: the cumulative ``_count`` of the latency
    summary (the kept data points are fewer than the run wrote, ``CAPS``)."""
    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(exposition)
            for sample in family.samples
            if sample.name == "popcache_invalidation_latency_seconds_count"
        )
    )


def _batch_items(tally: Tally, body: bytes) -> None:
    for item in json.loads(body)["responses"]:
        status = item["status"]
        problem = item.get("body") if isinstance(item.get("body"), dict) else {}
        tally.note(_BATCH_ITEMS, status, problem.get("field"))


async def _send(session: aiohttp.ClientSession, ask: Ask, tally: Tally) -> None:
    try:
        async with session.request(
            ask.method, ask.path, headers=ask.headers, data=ask.body
        ) as reply:
            body = await reply.read()
            status = reply.status
    except (aiohttp.ClientError, TimeoutError):
        tally.note(ask.kind, None)
        return
    tally.note(ask.kind, status, _field(body) if status >= 400 else None)
    if ask.kind == "batch" and status == 200:
        _batch_items(tally, body)


async def _clients(
    session: aiohttp.ClientSession, traffic: Traffic, tally: Tally, end: float
) -> None:
    async def client() -> None:
        while time.monotonic() < end:
            await _send(session, traffic.next(), tally)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def _stock_changes(origin: str, traffic: Traffic, end: float) -> tuple[int, int]:
    """A stock change a second until ``end``; how many the origin took and refused."""
    took = refused = 0
    async with aiohttp.ClientSession(origin) as session:
        tick = time.monotonic()
        while tick < end:
            async with session.post("/_admin/stock", json=traffic.stock_change()) as reply:
                await reply.read()
                took, refused = (took + 1, refused) if reply.status == 200 else (took, refused + 1)
            tick += STOCK_EVERY
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
    return took, refused


async def _sample(session: aiohttp.ClientSession) -> dict[str, Any]:
    for scraped in ("/cdn-cgi/popcache/metrics", "/cdn-cgi/popcache/stats"):
        async with session.get(scraped) as reply:
            await reply.read()
    async with session.get("/cdn-cgi/popcache/internals") as reply:
        sample: dict[str, Any] = await reply.json()
        return sample


async def _samples(session: aiohttp.ClientSession, warm: float, end: float) -> list[dict[str, Any]]:
    """The internals at the end of the warm-up, every ``SAMPLE_EVERY`` s after, and at ``end``."""
    await asyncio.sleep(max(0.0, warm - time.monotonic()))
    samples = [await _sample(session)]
    while (due := warm + len(samples) * SAMPLE_EVERY) < end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        samples.append(await _sample(session))
    return samples


async def _catalogue(origin: str) -> Catalogue:
    async with aiohttp.ClientSession(origin) as session:
        async with session.get("/api/products?limit=100") as reply:
            products = (await reply.json())["items"]
        async with session.get("/api/stores") as reply:
            stores = (await reply.json())["items"]
    return Catalogue(
        skus=tuple(product["sku"] for product in products),
        categories=tuple(sorted({product["category"] for product in products})),
        stores=tuple(store["id"] for store in stores),
    )


async def soak(url: str, origin: str, seconds: float) -> Run:
    traffic = Traffic(await _catalogue(origin), random.Random(11))
    tally = Tally()
    warmup = max(10.0, seconds * WARMUP_SHARE)
    connector = aiohttp.TCPConnector(limit=CLIENTS + 4)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:
        idle = await _sample(session)
        start = time.monotonic()
        end = start + seconds
        samples, (took, refused), _ = await asyncio.gather(
            _samples(session, start + warmup, end),
            _stock_changes(origin, traffic, end),
            _clients(session, traffic, tally, end),
        )
        await asyncio.sleep(3)  # the last events' queue batch and purges
        samples.append(await _sample(session))
        async with session.get("/cdn-cgi/popcache/purges") as reply:
            purges = (await reply.json())["count"]
        async with session.get("/cdn-cgi/popcache/metrics") as reply:
            invalidations = _invalidations(await reply.text())
    return Run(tally, samples, took, refused, purges, invalidations, seconds, warmup, idle)


def _mb(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 2**20:,.0f}"


def _report_requests(tally: Tally) -> None:
    rows = []
    for kind in [*KINDS, _BATCH_ITEMS]:
        counts = [tally.by_kind[kind, name] for name in _CLASSES]
        rows.append([kind, f"{sum(counts):,}", *(f"{count:,}" for count in counts)])
    totals = [sum(tally.by_kind[kind, name] for kind in KINDS) for name in _CLASSES]
    rows.append(
        ["all requests (batch items not counted)", f"{sum(totals):,}", *(f"{n:,}" for n in totals)]
    )
    table(["sent", "requests", *_CLASSES], rows)


def _report_tables(runs: list[TableRun]) -> None:
    rows = [
        [
            run.name,
            f"{run.start:,}",
            f"{run.most:,}",
            f"{run.end:,}",
            "none" if run.limit is None else f"{run.limit:,}",
            "yes" if run.bounded() else "NO",
        ]
        for run in runs
    ]
    table(
        ["table (PoP: the largest of the three)", "start", "max", "end", "cap", "bounded or flat"],
        rows,
    )


def run(args: argparse.Namespace) -> None:
    seconds = float(args.soak_seconds)
    port, origin_port = free_port(), free_port()
    caps = [str(part) for option, cap in CAPS.items() for part in (option, cap)]
    with server([*servers.edge(port, origin_port), *caps], "ready"):
        result = asyncio.run(
            soak(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin_port}", seconds)
        )
    tally, samples = result.tally, result.samples
    rss = [sample["process"]["rss_bytes"] for sample in samples]
    runs = table_runs(samples)
    heading(
        f"Soak: popcache dev (the edge bundle, {len(POPS)} PoPs, the demo origin; CPU 0) for "
        f"{seconds:g} s, {CLIENTS} clients back to back (bench/soaktraffic.py: {', '.join(KINDS)}; "
        f"random PoP, client location, tracking parameters and coordinates), a stock change "
        f"every {STOCK_EVERY:g} s through the demo origin; emulator caps {' '.join(caps)} "
        f"(bench/soak.py: reached in the warm-up); /cdn-cgi/popcache/internals every "
        f"{SAMPLE_EVERY:g} s from the end of a {result.warmup:g} s warm-up "
        f"({len(samples)} samples):"
    )
    _report_requests(tally)
    print()
    idle = result.idle["process"]["rss_bytes"]
    blocks = [sample["process"]["python_blocks"] for sample in samples]
    seen_blocks = [result.idle["process"]["python_blocks"], blocks[0], max(blocks), blocks[-1]]
    memory = [rss[0], max(rss), rss[-1]] if None not in rss else [None] * 3
    table(
        ["measured", "value"],
        [
            ["202 placeholders (answers, counted in 2xx)", f"{tally.placeholders:,}"],
            ["stock changes sent (one signed event each)", f"{result.stock_changes:,}"],
            ["stock changes refused by the origin", f"{result.stock_refused:,}"],
            ["invalidations recorded by the edge", f"{result.invalidations:,}"],
            ["purges applied (emulated purge API)", f"{result.purges:,}"],
            [
                "RSS MB before traffic / after warm-up / max / end",
                " / ".join(_mb(size) for size in [idle, *memory]),
            ],
            [
                "Python's allocated blocks (thousands) before traffic / after warm-up / max / end",
                " / ".join(f"{size / 1000:,.0f}" for size in seen_blocks),
            ],
        ],
    )
    print()
    _report_tables(runs)
    unexpected = sum(tally.unexpected.values())
    print(
        f"\nIntended error answers: {dict(tally.intended) or 'none'} (allowed: "
        + "; ".join(f"{status} {name}: {why}" for (status, name), why in INTENDED.items())
        + ")."
    )
    clean = verdict(unexpected == 0, "soak: no unintended errors", f"{unexpected:,}")
    print(
        f"Errors: {unexpected:,} unintended ({clean} none)"
        + (f": {dict(tally.unexpected.most_common(10))}" if unexpected else "")
        + "."
    )
    if memory[0] is not None:
        growth = memory[2] / memory[0] - 1
        steady = verdict(
            rss_flat(memory[0], memory[2]),
            f"soak: RSS growth ≤ +{RSS_GROWTH:.0%}",
            f"{growth:+.1%}",
        )
        print(
            f"Memory: RSS {growth:+.1%} from the end of the warm-up to the end "
            f"({steady} ≤ +{RSS_GROWTH:.0%})."
        )
    live = trend(blocks)
    kept = verdict(flat(blocks), "soak: live objects flat", f"{live:+.1%}")
    print(
        f"Live objects: Python's allocated blocks {live:+.1%} from the first third of the "
        f"samples to the last ({kept} flat: at most +{FLAT_SHARE:.0%})."
    )
    grew = [run.name for run in runs if not run.bounded()]
    bounded = verdict(not grew, "soak: every table bounded", f"{len(grew)} grew")
    print(
        f"Tables: {len(runs) - len(grew)} of {len(runs)} within their cap or flat "
        f"({bounded} every table bounded){': ' + ', '.join(grew) if grew else ''}.",
        flush=True,
    )
