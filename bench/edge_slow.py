"""A slow origin (issue #7): placeholders within the budget, then back-pressure over time.

The emulator runs as a ``popcache dev`` process pinned to CPU 0; the origin (a real aiohttp
server on loopback, counting what reaches it) and the clients run in this process, on CPU 1
where there is one. Everything goes through one PoP (an isolate: the health it keeps is that
PoP's). Two measurements:

1. **Placeholders.** The origin answers every request after 2 s. The edge bundle runs from a
   copy whose ``routes.toml`` gives the warm class a 150 ms ``budget`` (``[classes.warm]``;
   the edge's own parser checks that the copy gives ``/api/products/:sku`` that budget). 500
   concurrent clients, ten per key, ask for 50 cold keys (``/api/products/S-<k>-<round>``).
   Targets: the clients' p99 at most the budget + 10 ms; at most one origin request per key;
   once the origin has answered, each client's one poll is a hit (100%). Three rounds on fresh
   keys: the first opens the clients' connections as it goes (connecting is part of its
   latency), the second reuses them, the third sends one client per key, so the queue is
   short and the budget shows alone. Then the same herds in-process, ``Proxy.handle`` called
   directly, all arriving at once: what the edge's own work adds to the budget, without the
   emulator's and HTTP's.
2. **Back-pressure over time.** The repository's bundle as it is (warm budget 1 s) in front
   of an origin that is healthy (20 ms, ``max-age=2``) or overloaded (800 ms, half its
   answers ``429`` with ``Retry-After: 2``) by turns, while a steady 50 requests/s (a seeded
   Zipf mix over 200 warm URLs) runs. Each second: the back-pressure step (the highest
   ``backpressure-<n>`` in the ``Cache-Status`` of that second's responses), the hit ratio,
   the origin's requests, the 5xx and 503 the clients got; a table, a text chart and a PNG
   (``--plots``). The verdicts: the step climbs during each overload, comes back down after,
   and never flaps. The edge comes down one step per 30 s of health, counted from when the 429
   share (a 10 s half-life average) falls under 5%, so a run that fits the section's time ends
   before the first step down: the section then replays the run's origin exchanges through the
   edge's own ``health.OriginHealth``, continued by healthy exchanges at the run's closing
   rate, and prints when the steps would come down.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from emulator.anycast import POP_HEADER

from . import asciiplot, pngcharts, servers
from .edge_batch import _on_cpu_1
from .edge_overhead import HEADERS, HOST, _DictStore, _edge_module
from .edge_stampede import _raise_open_files
from .measure import free_port, server
from .report import heading, table, verdict

POP = "SFO"
_JSON = {"content-type": "application/json"}

# -- 1. placeholders ----------------------------------------------------------------------------
BUDGET = "150ms"
BUDGET_S = 0.150
ALLOWANCE_MS = 10.0  # the target: p99 at most the budget plus this
SLOW_S = 2.0  # the origin's delay for the measured keys
CLIENTS = 500
KEYS = 50
SLOW_PREFIX = "/api/products/S-"  # what the origin is slow for; warm-up paths answer at once
SETTLE_S = 0.25  # after the origin's last answer, for the edge to store it, before the polls
ROUNDS: tuple[tuple[str, int], ...] = (  # the clients' connections, and how many clients
    ("new", CLIENTS),
    ("kept open", CLIENTS),
    ("kept open, 1 client per key", KEYS),
)

# -- 2. back-pressure over time -----------------------------------------------------------------
HEALTHY, OVERLOADED = "healthy", "overloaded"
SCHEDULE: tuple[tuple[str, float], ...] = (
    (HEALTHY, 8),
    (OVERLOADED, 12),
    (HEALTHY, 10),
    (OVERLOADED, 12),
    (HEALTHY, 20),
)
RATE = 50  # client requests per second
URLS = 200
ZIPF_S = 1.0
SEED = 7
HEALTHY_LATENCY_S = 0.020
MAX_AGE = 2  # the origin's Cache-Control max-age, seconds (warm honours it)
OVERLOAD_LATENCY_S = 0.800
OVERLOAD_429 = 0.5
OVERLOAD_RETRY_AFTER = 2
MAX_STEP = 3  # health.OriginHealth's default
FLAP_WINDOW_S = 10  # two step changes in opposite directions closer than this: a flap
TAIL_S = 10  # the run's closing seconds, whose origin rate the projection continues
PROJECTION_S = 600.0  # how far past the run the projection looks
_STEP = re.compile(r"backpressure-(\d+)")


# -- the bundle copy ----------------------------------------------------------------------------


def with_class_setting(text: str, content_class: str, key: str, value: str) -> str:
    """``routes.toml`` text with ``key = "value"`` set in ``[classes.<content_class>]``: added
    to that table if the file has it (replacing the key if the table sets it), else the table
    is appended."""
    header = re.compile(rf"^\[classes\.{re.escape(content_class)}\][ \t]*(#.*)?$", re.MULTILINE)
    line = f'{key} = "{value}"'
    found = header.search(text)
    if found is None:
        return f"{text.rstrip()}\n\n[classes.{content_class}]\n{line}\n"
    start = min(found.end() + 1, len(text))
    following = re.compile(r"^[ \t]*\[", re.MULTILINE).search(text, start)
    end = following.start() if following else len(text)
    body = text[start:end]
    setting = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*=.*$", re.MULTILINE)
    found_key = setting.search(body)
    body = setting.sub(lambda _: line, body, count=1) if found_key else f"{line}\n{body}"
    if start == len(text) and not text.endswith("\n"):
        body = "\n" + body
    return text[:start] + body + text[end:]


def copy_bundle(config: Path, dest: Path, content_class: str, budget: str) -> Path:
    """Copy a bundle (``config``, a wrangler.toml, and the folder holding its ``main`` and
    ``routes.toml``) into ``dest``, the class's ``budget`` set in the copy; the copy's
    wrangler.toml. ``main`` must be in a folder beside wrangler.toml, as the edge's is."""
    main = re.search(r'^main\s*=\s*"([^"]+)"', config.read_text(encoding="utf-8"), re.MULTILINE)
    if main is None:
        raise ValueError(f"{config}: no main")
    parts = Path(main.group(1)).parts
    if len(parts) < 2:
        raise ValueError(f"{config}: main {main.group(1)!r} is not in a folder")
    shutil.copy2(config, dest / config.name)
    shutil.copytree(
        config.parent / parts[0], dest / parts[0], ignore=shutil.ignore_patterns("__pycache__")
    )
    routes = dest / parts[0] / "routes.toml"
    text = routes.read_text(encoding="utf-8")
    routes.write_text(with_class_setting(text, content_class, "budget", budget), encoding="utf-8")
    return dest / config.name


def budget_of(routes_file: Path, path: str) -> float | None:
    """The budget the edge's own parser gives a GET of ``path`` under ``routes_file``."""
    routes = _edge_module("routes")
    loaded = routes.load_routes(routes_file.read_text(encoding="utf-8"), str(routes_file))
    budget: float | None = loaded.match("GET", path).policy.budget
    return budget


# -- responses ----------------------------------------------------------------------------------


def status_parts(cache_status: str) -> list[str]:
    return [part.strip() for part in cache_status.split(";")]


def is_hit(cache_status: str) -> bool:
    """Served from the cache: fresh, or stale (while revalidating, on error, ...)."""
    return "hit" in status_parts(cache_status)


def is_fresh_hit(cache_status: str) -> bool:
    parts = status_parts(cache_status)
    return "hit" in parts and "fwd=stale" not in parts


def step_of(cache_status: str) -> int:
    """The back-pressure step a Cache-Status shows (``detail=...backpressure-<n>``), else 0."""
    found = _STEP.search(cache_status)
    return int(found.group(1)) if found else 0


def p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@dataclass
class Answer:
    latency_ms: float
    status: int
    cache_status: str
    retry_after: str | None


async def _get(session: aiohttp.ClientSession, url: str) -> Answer:
    started = time.perf_counter()
    async with session.get(url, headers={POP_HEADER: POP}) as response:
        await response.read()
    return Answer(
        (time.perf_counter() - started) * 1e3,
        response.status,
        response.headers.get("cache-status", ""),
        response.headers.get("retry-after"),
    )


async def _origin_server(handler: Callable[[web.BaseRequest], Any]) -> tuple[web.BaseRunner, str]:
    runner = web.ServerRunner(web.Server(handler, access_log=None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


class Inflight:
    """Requests at the origin now, and an event set whenever there are none."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def enter(self) -> None:
        self.count += 1
        self.idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if not self.count:
            self.idle.set()

    async def settle(self, patience: float = 15.0) -> None:
        """Wait (at most ``patience`` s) until no request is at the origin. Before stopping the
        emulator: that blocks this process, origin included, while the emulator drains its
        waitUntil work, so a fetch still under way would hold it up to its timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), patience)


# -- 1. placeholders ----------------------------------------------------------------------------


class SlowOrigin:
    """Answers ``SLOW_PREFIX`` paths after ``delay`` seconds, others at once, with a cacheable
    JSON 200; counts the requests for each path and the answers given."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.requests: Counter[str] = Counter()
        self.inflight = Inflight()

    async def handle(self, request: web.BaseRequest) -> web.Response:
        path = request.path
        self.requests[path] += 1
        self.inflight.enter()
        try:
            if path.startswith(SLOW_PREFIX):
                await asyncio.sleep(self.delay)
        finally:
            self.inflight.leave()
        headers = {**_JSON, "cache-control": "public, max-age=60"}
        return web.Response(body=json.dumps({"path": path}).encode(), headers=headers)


@dataclass
class PlaceholderRound:
    connections: str
    first: list[Answer]
    origin_requests: list[int]  # per key
    polls: list[Answer]
    polled_after_s: float  # from the first requests to the polls

    def poll_hits(self) -> int:
        return sum(poll.status == 200 and is_hit(poll.cache_status) for poll in self.polls)


def round_paths(round_: int) -> list[str]:
    return [f"{SLOW_PREFIX}{key}-{round_}" for key in range(KEYS)]


async def _placeholder_round(
    session: aiohttp.ClientSession, base: str, origin: SlowOrigin, round_: int
) -> PlaceholderRound:
    connections, clients = ROUNDS[round_]
    paths = round_paths(round_)
    mine = [paths[client % KEYS] for client in range(clients)]
    started = time.perf_counter()
    first = await asyncio.gather(*(_get(session, base + path) for path in mine))
    # The origin's answers: every fetch started before its placeholder went out, so once
    # SLOW_S has passed and nothing is at the origin, all are in; then the edge stores them.
    await asyncio.sleep(max(0.0, started + SLOW_S - time.perf_counter()))
    await origin.inflight.settle(30.0)
    await asyncio.sleep(SETTLE_S)
    polled_after = time.perf_counter() - started
    polls = await asyncio.gather(*(_get(session, base + path) for path in mine))
    requests = [origin.requests[path] for path in paths]
    return PlaceholderRound(connections, list(first), requests, list(polls), polled_after)


@dataclass
class Placeholders:
    rounds: list[PlaceholderRound]  # through the emulator
    alone: dict[int, list[float]]  # clients: their ms, the edge in-process


async def placeholders() -> Placeholders:
    origin = SlowOrigin(SLOW_S)
    runner, origin_url = await _origin_server(origin.handle)
    try:
        with tempfile.TemporaryDirectory(prefix="popcache-bench-slow-") as tmp:
            config = copy_bundle(servers.EDGE, Path(tmp), "warm", BUDGET)
            budget = budget_of(Path(tmp) / "edge" / "routes.toml", round_paths(0)[0])
            if budget is None or abs(budget - BUDGET_S) > 1e-9:
                raise SystemExit(f"bench: the bundle copy's budget is {budget}, not {BUDGET}")
            port = free_port()
            with server(servers.edge_before(port, origin_url, config), "ready"):
                base = f"http://127.0.0.1:{port}"
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as session:
                    # Warm-up on fast paths: the cities table loaded, the code paths run once.
                    for n in range(20):
                        await _get(session, f"{base}/api/products/WARM-{n}")
                    rounds = [
                        await _placeholder_round(session, base, origin, round_)
                        for round_ in range(len(ROUNDS))
                    ]
                await origin.inflight.settle()
            text = (Path(tmp) / "edge" / "routes.toml").read_text(encoding="utf-8")
        await edge_alone(text, CLIENTS)  # warm-up
        alone = {clients: await edge_alone(text, clients) for _, clients in ROUNDS[1:]}
        return Placeholders(rounds, alone)
    finally:
        await runner.cleanup()


async def edge_alone(routes_text: str, clients: int) -> list[float]:
    """The same herd in-process: ``Proxy.handle`` called directly (no emulator, no HTTP) over a
    dictionary store and an origin answering after ``SLOW_S``, ``clients`` concurrent
    requests on ``KEYS`` cold keys, all arriving at once; each one's ms from then to its
    response, so the edge's work on the requests before it counts. The origin fetches left in
    the background are cancelled once every client has its answer."""
    messages, proxy, routes = (_edge_module(name) for name in ("messages", "proxy", "routes"))
    handler = proxy.Proxy(
        routes.load_routes(routes_text, "routes.toml"), origin="http://origin", version="bench"
    )
    store = _DictStore(messages.EdgeResponse)
    headers = [("cache-control", "public, max-age=60"), *_JSON.items()]

    async def origin(request: Any) -> Any:
        await asyncio.sleep(SLOW_S)
        return messages.EdgeResponse(200, messages.Fields(headers), b"{}")

    background: set[asyncio.Future[Any]] = set()

    def wait_until(work: Any) -> None:
        task = asyncio.ensure_future(work)
        background.add(task)
        task.add_done_callback(background.discard)

    runtime = proxy.Runtime(origin, store, time.time, wait_until)

    async def ask(path: str, started: float) -> float:
        request = messages.EdgeRequest(
            "GET", f"http://{HOST}{path}", messages.Fields(HEADERS), None, "203.0.113.9"
        )
        response = await handler.handle(request, runtime)
        if response.status != 202:
            raise SystemExit(f"bench: in-process, {path} answered {response.status}")
        return (time.perf_counter() - started) * 1e3

    paths = [f"{SLOW_PREFIX}{key}-alone-{clients}" for key in range(KEYS)]
    try:
        started = time.perf_counter()  # every request arrives at once: one start for all
        answers = await asyncio.gather(*(ask(paths[n % KEYS], started) for n in range(clients)))
        return list(answers)
    finally:
        for task in list(background):
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)


def placeholder_rows(rounds: Sequence[PlaceholderRound]) -> list[list[str]]:
    rows = []
    for result in rounds:
        latencies = [answer.latency_ms for answer in result.first]
        statuses = Counter(answer.status for answer in result.first)
        retry = Counter(answer.retry_after for answer in result.first if answer.status == 202)
        hits = result.poll_hits()
        rows.append(
            [
                result.connections,
                f"{len(result.first):,}",
                f"{min(latencies):.1f}",
                f"{statistics.median(latencies):.1f}",
                f"{p99(latencies):.1f}",
                f"{max(latencies):.1f}",
                ", ".join(f"{code}: {n:,}" for code, n in sorted(statuses.items())),
                ", ".join(f"{value} s: {n:,}" for value, n in sorted(retry.items(), key=str)),
                f"{sum(result.origin_requests)} ({max(result.origin_requests)})",
                f"{result.polled_after_s:.2f}",
                f"{hits:,}/{len(result.polls):,} ({hits / len(result.polls):.0%})",
            ]
        )
    return rows


def alone_rows(alone: dict[int, list[float]]) -> list[list[str]]:
    return [
        [
            f"{clients:,}",
            f"{min(ms):.1f}",
            f"{statistics.median(ms):.1f}",
            f"{p99(ms):.1f}",
            f"{max(ms):.1f}",
        ]
        for clients, ms in alone.items()
    ]


def report_placeholders(herds: Placeholders) -> None:
    rounds = herds.rounds
    budget_ms = BUDGET_S * 1e3
    heading(
        f"Placeholders: concurrent clients on {KEYS} cold keys (/api/products/S-<k>-<round>, "
        f"warm, budget {BUDGET} in a copy of the bundle) through one PoP ({POP}), the edge as "
        f"popcache dev on CPU 0, the origin (answering after {SLOW_S:g} s) and the clients on "
        f"CPU 1; once the origin has answered, each client polls its key once (ms are the "
        f"clients' first requests):"
    )
    table(
        [
            "clients' connections",
            "clients",
            "fastest ms",
            "p50 ms",
            "p99 ms",
            "slowest ms",
            "responses by status",
            "Retry-After given",
            "origin requests (most per key)",
            "polled after s",
            "polls that hit",
        ],
        placeholder_rows(rounds),
    )
    print()
    for result in rounds:
        latencies = [answer.latency_ms for answer in result.first]
        worst = max(result.origin_requests)
        hits = result.poll_hits()
        quick = verdict(
            p99(latencies) <= budget_ms + ALLOWANCE_MS,
            f"placeholder p99 ≤ {budget_ms + ALLOWANCE_MS:.0f} ms, {len(result.first)} clients",
            f"{p99(latencies):.1f} ms",
        )
        herd = f"{len(result.first)} clients"
        single = verdict(worst <= 1, f"≤ 1 origin request per key and PoP, {herd}", f"{worst}")
        polled = verdict(
            hits == len(result.polls),
            f"every poll a hit, {herd}",
            f"{hits / len(result.polls):.0%}",
        )
        print(
            f"Placeholders, {len(result.first)} clients, {result.connections} connections: p99 "
            f"{p99(latencies):.1f} ms ({quick} "
            f"the ≤ {budget_ms + ALLOWANCE_MS:.0f} ms target); at most {worst} origin "
            f"request(s) per key ({single} ≤ 1 per key per PoP); "
            f"{hits / len(result.polls):.0%} of polls hit "
            f"({polled} the 100% target).",
            flush=True,
        )
    heading(
        f"The same herds with the edge alone: Proxy.handle called in-process (no emulator, no "
        f"HTTP; a dictionary for a store, an origin answering after {SLOW_S:g} s), every "
        f"request arriving at once on {KEYS} cold keys, ms from then to each 202:"
    )
    table(["clients", "fastest ms", "p50 ms", "p99 ms", "slowest ms"], alone_rows(herds.alone))
    print()
    for clients, ms in herds.alone.items():
        alone = verdict(
            p99(ms) <= budget_ms + ALLOWANCE_MS,
            f"edge alone p99 ≤ {budget_ms + ALLOWANCE_MS:.0f} ms, {clients} clients",
            f"{p99(ms):.1f} ms",
        )
        print(
            f"The edge alone, {clients} clients: p99 {p99(ms):.1f} ms "
            f"({alone} the ≤ "
            f"{budget_ms + ALLOWANCE_MS:.0f} ms target).",
            flush=True,
        )


# -- 2. back-pressure over time -----------------------------------------------------------------


def mode_at(schedule: Sequence[tuple[str, float]], elapsed: float) -> str:
    """The origin's state ``elapsed`` seconds into the schedule (the last one past its end)."""
    end = 0.0
    for mode, seconds in schedule:
        end += seconds
        if elapsed < end:
            return mode
    return schedule[-1][0]


def windows(schedule: Sequence[tuple[str, float]]) -> list[tuple[str, int, int]]:
    """Each stretch of the schedule as (mode, first second, end second)."""
    spans, start = [], 0.0
    for mode, seconds in schedule:
        spans.append((mode, int(start), int(start + seconds)))
        start += seconds
    return spans


def zipf_paths(count: int, urls: int, s: float, seed: int) -> list[str]:
    """``count`` request paths over ``urls`` warm URLs, the k-th most popular weighing
    1/k**s; the same for a seed."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** s for rank in range(urls)]
    ranks = rng.choices(range(urls), weights, k=count)
    return [f"/api/products/Z-{rank}" for rank in ranks]


@dataclass(frozen=True)
class Exchange:
    """One request at the origin, in seconds since the schedule started."""

    arrived: float
    answered: float
    status: int
    retry_after: float | None


class ModalOrigin:
    """Healthy or overloaded by the schedule, from ``start`` (this process's perf_counter);
    notes every exchange."""

    def __init__(self, schedule: Sequence[tuple[str, float]], seed: int) -> None:
        self.schedule = schedule
        self.start = time.perf_counter()
        self.rng = random.Random(seed)
        self.exchanges: list[Exchange] = []
        self.inflight = Inflight()

    async def handle(self, request: web.BaseRequest) -> web.Response:
        self.inflight.enter()
        arrived = time.perf_counter() - self.start
        try:
            response = await self._answer(request, mode_at(self.schedule, arrived))
        finally:
            self.inflight.leave()
        retry = response.headers.get("retry-after")
        answered = time.perf_counter() - self.start
        self.exchanges.append(
            Exchange(arrived, answered, response.status, None if retry is None else float(retry))
        )
        return response

    async def _answer(self, request: web.BaseRequest, mode: str) -> web.Response:
        if mode == OVERLOADED:
            await asyncio.sleep(OVERLOAD_LATENCY_S)
            if self.rng.random() < OVERLOAD_429:
                headers = {**_JSON, "cache-control": "no-store"}
                headers["retry-after"] = str(OVERLOAD_RETRY_AFTER)
                return web.Response(status=429, body=b'{"error": "overloaded"}', headers=headers)
        else:
            await asyncio.sleep(HEALTHY_LATENCY_S)
        body = json.dumps({"path": request.path}).encode()
        headers = {**_JSON, "cache-control": f"public, max-age={MAX_AGE}"}
        return web.Response(body=body, headers=headers)


@dataclass(frozen=True)
class Response:
    done: float  # seconds since the schedule started, when the response was read
    status: int
    cache_status: str


@dataclass
class Second:
    """What one second of the schedule saw."""

    second: int
    mode: str
    responses: int = 0
    hits: int = 0
    fresh: int = 0
    step: int | None = None  # the highest step shown that second; None: no responses
    origin: int = 0  # requests that reached the origin
    throttled: int = 0  # of which it answered 429
    errors: int = 0  # 5xx to clients
    resting: int = 0  # of which 503
    placeholders: int = 0  # 202 to clients
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def hit_ratio(self) -> float | None:
        return self.hits / self.responses if self.responses else None

    @property
    def fresh_ratio(self) -> float | None:
        return self.fresh / self.responses if self.responses else None


def per_second(
    responses: Iterable[Response],
    exchanges: Iterable[Exchange],
    seconds: int,
    schedule: Sequence[tuple[str, float]],
) -> list[Second]:
    """Bucket the clients' responses (by when each was read) and the origin's requests (by when
    each arrived) into ``seconds`` one-second rows; anything outside them is left out."""
    rows = [Second(n, mode_at(schedule, n + 0.5)) for n in range(seconds)]
    for response in responses:
        n = int(response.done // 1)
        if not 0 <= n < seconds:
            continue
        row = rows[n]
        row.responses += 1
        row.statuses[response.status] += 1
        row.hits += is_hit(response.cache_status)
        row.fresh += is_fresh_hit(response.cache_status)
        step = step_of(response.cache_status)
        row.step = step if row.step is None else max(row.step, step)
        row.errors += response.status >= 500
        row.resting += response.status == 503
        row.placeholders += response.status == 202
    for exchange in exchanges:
        n = int(exchange.arrived // 1)
        if 0 <= n < seconds:
            rows[n].origin += 1
            rows[n].throttled += exchange.status == 429
    return rows


@dataclass(frozen=True)
class Change:
    at: float  # seconds since the schedule started
    before: int
    after: int


def step_changes(rows: Sequence[Second]) -> list[Change]:
    """Each change of the per-second step, seconds without responses skipped."""
    changes = []
    last: int | None = None
    for row in rows:
        if row.step is None:
            continue
        if last is not None and row.step != last:
            changes.append(Change(row.second, last, row.step))
        last = row.step
    return changes


def flaps(changes: Sequence[Change], window: float = FLAP_WINDOW_S) -> list[tuple[Change, Change]]:
    """Consecutive changes in opposite directions less than ``window`` seconds apart."""
    found = []
    for one, two in itertools.pairwise(changes):
        opposite = (one.after - one.before) * (two.after - two.before) < 0
        if opposite and two.at - one.at < window:
            found.append((one, two))
    return found


@dataclass(frozen=True)
class Climb:
    start: int  # the overload's first second
    before: int  # the step before it
    peak: int  # the highest step during it
    to_peak: float | None  # seconds from its start to the first second at its peak


def climbs(rows: Sequence[Second], schedule: Sequence[tuple[str, float]]) -> list[Climb]:
    """How the step moved during each overload of the schedule."""
    found = []
    for mode, first, end in windows(schedule):
        if mode != OVERLOADED:
            continue
        before = [row.step for row in rows[:first] if row.step is not None]
        inside = [row for row in rows[first:end] if row.step is not None]
        start = before[-1] if before else 0
        peak = max((row.step or 0 for row in inside), default=start)
        reached = next((row.second for row in inside if row.step == peak), None)
        found.append(Climb(first, start, peak, None if reached is None else reached - first))
    return found


def project(
    exchanges: Sequence[Exchange],
    health: Any,
    *,
    after: float,
    rate: float,
    latency: float,
    horizon: float,
) -> list[Change]:
    """Replay ``exchanges`` (each observed when answered, as the edge does) through ``health``
    (an ``OriginHealth``), then healthy ones (``latency``, 200) every ``1/rate`` s from
    ``after`` on; every change of the step up to ``horizon``, and none past the first return to
    0."""
    changes: list[Change] = []
    last = health.step(0.0)

    def note(now: float) -> None:
        nonlocal last
        step = health.step(now)
        if step != last:
            at = max(health.snapshot(now).step_since or now, 0.0)
            changes.append(Change(at, last, step))
            last = step

    for exchange in sorted(exchanges, key=lambda exchange: exchange.answered):
        health.observe(
            exchange.answered,
            latency=exchange.answered - exchange.arrived,
            status=exchange.status,
            retry_after=exchange.retry_after,
        )
        note(exchange.answered)
    now = max([after, *(exchange.answered for exchange in exchanges)])
    gap = 1 / rate if rate > 0 else 1.0
    while now < horizon and last > 0:
        now += gap
        if rate > 0:
            health.observe(now, latency=latency, status=200, retry_after=None)
        note(now)
    return changes


def second_rows(rows: Sequence[Second]) -> list[list[str]]:
    def ratio(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    return [
        [
            str(row.second),
            row.mode,
            str(row.responses),
            "—" if row.step is None else str(row.step),
            ratio(row.hit_ratio),
            ratio(row.fresh_ratio),
            str(row.origin),
            str(row.throttled),
            str(row.errors),
            str(row.resting),
            str(row.placeholders),
        ]
        for row in rows
    ]


def chart(rows: Sequence[Second]) -> list[str]:
    """The step, the hit ratio and the origin's requests per second, over the origin's state."""
    steps = [None if row.step is None else float(row.step) for row in rows]
    busiest = max((row.origin for row in rows), default=0)
    top = max(5, -(-busiest // 5) * 5)
    lines = ["back-pressure step (highest in each second's Cache-Status)"]
    lines += asciiplot.bars(steps, top=MAX_STEP, rows=MAX_STEP, label=lambda v: f"{v:.0f}")
    lines += ["", "hit ratio (Cache-Status hit, fresh or stale)"]
    lines += asciiplot.bars(
        [row.hit_ratio for row in rows], top=1.0, rows=5, label=lambda v: f"{v:.0%}"
    )
    lines += ["", "origin requests/s"]
    lines += asciiplot.bars(
        [float(row.origin) for row in rows], top=top, rows=5, label=lambda v: f"{v:.0f}"
    )
    marks = "".join("O" if row.mode == OVERLOADED else "." for row in rows)
    lines += ["", asciiplot.strip("origin", marks), *asciiplot.axis(len(rows))]
    lines.append("(origin: O overloaded, . healthy)")
    return lines


async def backpressure(
    schedule: Sequence[tuple[str, float]], rate: int
) -> tuple[list[Response], list[Exchange]]:
    origin = ModalOrigin(schedule, SEED)
    runner, origin_url = await _origin_server(origin.handle)
    total = sum(seconds for _, seconds in schedule)
    paths = zipf_paths(int(total * rate), URLS, ZIPF_S, SEED)
    responses: list[Response] = []
    try:
        port = free_port()
        with server(servers.edge_before(port, origin_url), "ready"):
            base = f"http://127.0.0.1:{port}"
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                for _ in range(3):  # the cities table loaded before the clock starts
                    await _get(session, f"{base}/healthz")
                origin.start = start = time.perf_counter()
                origin.exchanges.clear()

                async def one(path: str) -> None:
                    answer = await _get(session, base + path)
                    done = time.perf_counter() - start
                    responses.append(Response(done, answer.status, answer.cache_status))

                tasks = []
                for n, path in enumerate(paths):
                    delay = start + n / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(one(path)))
                await asyncio.gather(*tasks)
            await origin.inflight.settle()
    finally:
        await runner.cleanup()
    return responses, origin.exchanges


def report_backpressure(
    rows: Sequence[Second],
    exchanges: Sequence[Exchange],
    schedule: Sequence[tuple[str, float]],
    rate: int,
) -> None:
    plan = ", ".join(f"{seconds:g} s {mode}" for mode, seconds in schedule)
    heading(
        f"Back-pressure over time: {rate} requests/s (a Zipf mix, s={ZIPF_S:g}, over {URLS} warm "
        f"URLs /api/products/Z-<n>) through one PoP ({POP}), the repository's bundle as popcache "
        f"dev on CPU 0; the origin (CPU 1): {plan}. Healthy: {HEALTHY_LATENCY_S * 1e3:.0f} ms, "
        f"max-age={MAX_AGE}; overloaded: {OVERLOAD_LATENCY_S * 1e3:.0f} ms, "
        f"{OVERLOAD_429:.0%} answered 429 with Retry-After: {OVERLOAD_RETRY_AFTER}. One row per "
        f"second: responses by when they were read, origin requests by when they arrived; "
        f"fresh hits are hits not served stale:"
    )
    table(
        [
            "s",
            "origin",
            "responses",
            "step",
            "hit ratio",
            "fresh hits",
            "origin req/s",
            "origin 429s",
            "5xx",
            "503",
            "202",
        ],
        second_rows(rows),
    )
    print("\n```")
    for line in chart(rows):
        print(line)
    print("```\n")
    changes = step_changes(rows)
    rises = climbs(rows, schedule)
    climbed = bool(rises) and all(c.peak > c.before or c.before == MAX_STEP for c in rises)
    known = [row.step for row in rows if row.step is not None]
    peak, final = max(known, default=0), (known[-1] if known else 0)
    last_overload = max(
        (end for mode, _, end in windows(schedule) if mode == OVERLOADED), default=0
    )
    flapped = flaps(changes)
    described = ", ".join(f"{c.before}→{c.after} at {c.at:g} s" for c in changes) or "none"
    print(f"Step changes seen: {described}.")
    episodes = "; ".join(
        f"from {c.start} s: {c.before}→{c.peak}"
        + (f" in {c.to_peak:g} s" if c.to_peak is not None and c.peak > c.before else "")
        + (" (already at the top)" if c.before == MAX_STEP else "")
        for c in rises
    )
    climbing = verdict(climbed, "back-pressure steps up in each overload", episodes)
    print(f"During each overload ({episodes}): {climbing} the step climbing.")
    easing = verdict(final < peak, "back-pressure steps back down", f"{peak} to {final}")
    print(
        f"After the last overload (it ended at {last_overload} s; the run at {len(rows)} s) the "
        f"step ended at {final}, from a peak of {peak}: {easing} stepping back "
        f"down within the run."
    )
    steady = verdict(not flapped, "back-pressure never flaps", f"{len(flapped)} flap(s)")
    print(
        f"{len(flapped)} flap(s), i.e. changes reversed within {FLAP_WINDOW_S} s: "
        f"{steady} no flapping."
    )
    tail = [row.origin for row in rows[-TAIL_S:]]
    tail_rate = statistics.mean(tail) if tail else 0.0
    projected = project(
        exchanges,
        _edge_module("health").OriginHealth(),
        after=float(len(rows)),
        rate=tail_rate,
        latency=HEALTHY_LATENCY_S,
        horizon=len(rows) + PROJECTION_S,
    )
    inside = [c for c in projected if c.at < len(rows)]
    later = [c for c in projected if c.at >= len(rows)]
    print(
        f"Projection: this run's {len(exchanges):,} origin exchanges replayed through the "
        f"edge's own OriginHealth (edge/health.py, default settings) move the step "
        f"{', '.join(f'{c.before}→{c.after} at {c.at:.1f} s' for c in inside) or 'nowhere'} "
        f"(the Cache-Status above: {described}); continued by healthy exchanges at the last "
        f"{TAIL_S} s's {tail_rate:.1f}/s, it "
        + (
            "comes down "
            + ", ".join(
                f"{c.before}→{c.after} at {c.at:.1f} s (+{c.at - last_overload:.1f} s)"
                for c in later
            )
            if later
            else f"does not come down within {PROJECTION_S:.0f} s"
        )
        + " (seconds since the run started; + since the last overload ended).",
    )
    errors = sum(row.errors for row in rows)
    resting = sum(row.resting for row in rows)
    print(
        f"Clients got {errors:,} 5xx ({resting:,} of them 503) and "
        f"{sum(row.placeholders for row in rows):,} 202 of "
        f"{sum(row.responses for row in rows):,} responses; the origin saw "
        f"{len(exchanges):,} requests, {sum(e.status == 429 for e in exchanges):,} answered 429.",
        flush=True,
    )


def plot_backpressure(
    rows: Sequence[Second], schedule: Sequence[tuple[str, float]], rate: int, folder: Path
) -> None:
    """The text chart's series as a PNG, the overloads shaded."""
    pngcharts.draw(
        folder / "slow-backpressure.png",
        f"Back-pressure: {rate} requests/s through {POP}; the origin overloaded where shaded",
        [float(row.second) for row in rows],
        "seconds",
        [
            pngcharts.Panel("back-pressure step", [row.step for row in rows]),
            pngcharts.Panel("hit ratio", [row.hit_ratio for row in rows]),
            pngcharts.Panel("origin requests/s", [row.origin for row in rows], "bars"),
        ],
        [(first, end) for mode, first, end in windows(schedule) if mode == OVERLOADED],
    )


def run(args: argparse.Namespace) -> None:
    _raise_open_files(2 * CLIENTS + 256)
    with _on_cpu_1():
        herds = asyncio.run(placeholders())
    report_placeholders(herds)
    with _on_cpu_1():
        responses, exchanges = asyncio.run(backpressure(SCHEDULE, RATE))
    seconds = int(sum(seconds for _, seconds in SCHEDULE))
    rows = per_second(responses, exchanges, seconds, SCHEDULE)
    report_backpressure(rows, exchanges, SCHEDULE, RATE)
    plot_backpressure(rows, SCHEDULE, RATE, args.plots)
