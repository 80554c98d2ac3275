"""pytest plugin (entry point ``pytest11``): integration-test your own Worker on emulated PoPs.

    async def test_hit_in_sfo_miss_in_lhr(popcache_emulator):
        emu = await popcache_emulator("wrangler.toml", origin="http://127.0.0.1:9000")
        sfo = emu.client(geo=(37.77, -122.42))
        async with sfo.get("/api/products") as response:
            assert response.headers["CF-Ray"].endswith("-SFO")
        emu.clock.advance(60)            # a FakeClock drives cache TTLs and KV expiry
        await emu.scheduled("*/5 * * * *")
        result = await emu.queue("inventory-events", [{"sku": "A1"}])
        emu.clock.advance(5); await emu.pump_queues()   # deliver what env.QUEUE.send() stored
        emu.purge_caches()
        emu.set_faults({"path": "/api/**", "status": 503, "pops": ["SFO"]})  # a failing origin
        # Cloudflare's purge API, on every PoP: POST {emu.purge_api_base}/zones/<zone>/purge_cache
        assert emu.purges[0].selector == "tags"

Each emulator runs in-process on 127.0.0.1 (port 0) with in-memory state unless
``persist_to`` is given, and is torn down last-in first-out with every client it handed out.
``origin="demo"`` starts the demo storefront origin in-process as well (the dashboard's demo
buttons, ``/cdn-cgi/popcache/demo/*``, drive it). Queue messages sent through
``[[queues.producers]]`` are delivered only when the test asks (``pump_queues`` or ``drain``),
so batching, retries and delays follow the fake clock deterministically. Async
fixtures need pytest-asyncio, which ``popcache[dev]`` installs.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio

from .anycast import CF_HEADER, GEO_HEADER, POP_HEADER
from .app import DEFAULT_PURGE, Emulator
from .clock import FakeClock
from .devwiring import dev_wiring
from .faultconfig import load_faults, parse_faults
from .faults import Fault
from .origin.outbox import OUTBOX
from .purgeapi import PURGE_API_PATH, PurgeRecord, PurgeSettings
from .runtime.kv import KVNamespace
from .runtime.queue_batch import QueueResult
from .topology import DEFAULT_TOPOLOGY, Topology, load_topology
from .uppertier import UpperTier
from .wrangler import load_config

__all__ = ["EmulatorHandle", "popcache_emulator"]


class EmulatorHandle:
    """A running emulator as a test sees it."""

    def __init__(self, emulator: Emulator, clock: FakeClock) -> None:
        self.emulator = emulator
        self.clock = clock
        self.url = emulator.url
        self._sessions: list[aiohttp.ClientSession] = []

    def client(
        self,
        *,
        geo: tuple[float, float] | None = None,
        pop: str | None = None,
        ip: str | None = None,
        cf: dict[str, Any] | None = None,
    ) -> aiohttp.ClientSession:
        """An HTTP client placed at ``geo`` (lat, lon) or ``ip``, optionally pinned to a PoP,
        with ``cf`` fields overridden; closed when the emulator is torn down."""
        headers: dict[str, str] = {}
        if geo is not None:
            headers[GEO_HEADER] = f"{geo[0]},{geo[1]}"
        if pop is not None:
            headers[POP_HEADER] = pop
        if ip is not None:
            headers["CF-Connecting-IP"] = ip
        if cf is not None:
            headers[CF_HEADER] = json.dumps(cf)
        session = aiohttp.ClientSession(base_url=self.url, headers=headers)
        self._sessions.append(session)
        return session

    async def scheduled(self, cron: str = "", pop: str | None = None) -> None:
        """Run the scheduled handler now (on ``pop`` or the first PoP); raises what it raises."""
        await self.emulator.scheduled(cron, pop)

    async def queue(
        self, queue: str, bodies: Iterable[Any], pop: str | None = None, attempts: int = 1
    ) -> QueueResult:
        """Deliver ``bodies`` as one batch to the worker's ``queue()`` consumer of ``queue`` now;
        the result says which messages were acknowledged and which retried."""
        return await self.emulator.queue(queue, bodies, pop, attempts)

    async def pump_queues(self) -> list[QueueResult]:
        """Deliver the batches of sent messages due at the fake clock's now (full batches,
        batches whose ``max_batch_timeout`` has passed, retries whose delay has passed)."""
        return await self.emulator.queues.pump()

    def queue_pending(self, queue: str) -> int:
        """How many messages ``queue`` holds (not acknowledged yet, delayed or not)."""
        return self.emulator.queue_store.pending(queue)

    def kv(self, binding: str) -> KVNamespace:
        """The worker's KV namespace ``env.<binding>``, to seed or inspect
        (``await edge.kv("ZONES").put("zones", text)``)."""
        return self.emulator.kv_namespace(binding)

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The faults injected on the way to the origin, as ``set_faults`` takes them."""
        return [fault.to_json() for fault in self.emulator.faults.faults]

    def set_faults(self, *faults: Mapping[str, Any], seed: int | None = None) -> None:
        """Replace the faults on the way to the origin with ``faults`` (``[[fault]]`` tables as
        dicts; none clears them), reseeding their draws if ``seed`` is given. An invalid fault
        raises ``FaultSpecError`` (a ValueError naming ``fault[i].<key>``) and changes nothing.
        """
        colos = list(self.emulator.pops)
        self.emulator.faults.replace(
            parse_faults({"fault": list(faults)}, colos),
            None if seed is None else random.Random(seed),
        )

    def purge_caches(self, pop: str | None = None) -> int:
        return self.emulator.purge_caches(pop)

    @property
    def purge_api_base(self) -> str:
        """Where the emulated Cloudflare API is: the ``api_base`` to use instead of
        ``https://api.cloudflare.com/client/v4`` (zone, token: ``emulator.purge_api.settings``)."""
        return f"{self.url}{PURGE_API_PATH}"

    @property
    def upper_tier(self) -> UpperTier | None:
        """Tiered Cache's upper tier (entries, ``hits``, ``misses``, ...); None when off."""
        return self.emulator.upper_tier

    @property
    def purges(self) -> list[PurgeRecord]:
        """The purges made through the purge API, newest first."""
        return self.emulator.purges.records()

    async def drain(self) -> None:
        """Wait for all ``waitUntil`` work to finish and deliver every queue message visible
        now, whatever the batch timeout."""
        await self.emulator.drain()

    async def close(self) -> None:
        for session in reversed(self._sessions):
            await session.close()
        await self.emulator.stop()


EmulatorFactory = Callable[..., Awaitable[EmulatorHandle]]


@pytest_asyncio.fixture
async def popcache_emulator() -> AsyncIterator[EmulatorFactory]:
    """Factory: ``await popcache_emulator(config, origin=None, topology=None, persist_to=None,
    clock=None, faults=None, fault_seed=None, queue_duplicates=0.0, purge=None, tiered=None)``
    starts an emulator for ``config`` (a wrangler.toml path). ``purge`` (a ``PurgeSettings``)
    sets the zone, token and plan of the emulated purge API. ``tiered`` turns Tiered Cache's
    upper tier on or off (None: as the topology says; the default topology has it)."""
    handles: list[EmulatorHandle] = []
    runners: list[Any] = []

    async def start(
        config: str | Path = "wrangler.toml",
        *,
        origin: str | None = None,
        topology: Topology | str | Path | None = None,
        persist_to: str | Path | None = None,
        clock: FakeClock | None = None,
        faults: str | Path | Iterable[Mapping[str, Any]] | None = None,
        fault_seed: int | None = None,
        queue_duplicates: float = 0.0,
        purge: PurgeSettings | None = None,
        tiered: bool | None = None,
    ) -> EmulatorHandle:
        fake = clock or FakeClock()
        demo = None
        if origin == "demo":
            from .origin import start_origin

            demo, origin = await start_origin(clock=fake)  # signs events by the edge's time
            runners.append(demo)
        if isinstance(topology, str | Path):
            topology = load_topology(Path(topology))
        topology = topology or DEFAULT_TOPOLOGY
        emulator = Emulator(
            load_config(Path(config)),
            topology=topology,
            clock=fake,
            persist_to=Path(persist_to) if persist_to else None,
            origin=origin,
            faults=_faults(faults, [site.colo for site in topology.pops]),
            rng=random.Random(fault_seed),
            queue_duplicates=queue_duplicates,
            queue_loop=False,
            purge=purge or DEFAULT_PURGE,
            tiered=tiered,
            demo_origin=demo is not None,
        )
        url = await emulator.start("127.0.0.1", 0)
        # A worker naming PURGE_API (the edge bundle) purges through this emulator, as under
        # popcache dev, and the demo origin sends it its signed events.
        wiring = dev_wiring(emulator.config, url, emulator.purge_api.settings.plan)
        if wiring.overrides:
            emulator.wire(wiring.overrides, wiring.purge)
            if demo is not None and wiring.events_secret is not None:
                demo.app[OUTBOX].aim(f"{url}/_edge/events", wiring.events_secret)
        handle = EmulatorHandle(emulator, fake)
        handles.append(handle)
        await emulator.cities_ready()
        return handle

    yield start
    for handle in reversed(handles):
        await handle.close()
    for runner in reversed(runners):
        await runner.cleanup()


def _faults(
    faults: str | Path | Iterable[Mapping[str, Any]] | None, colos: list[str]
) -> tuple[Fault, ...]:
    """Faults from a TOML file (its path) or from ``[[fault]]`` tables as dicts."""
    if faults is None:
        return ()
    if isinstance(faults, str | Path):
        return load_faults(Path(faults), colos)
    return parse_faults({"fault": list(faults)}, colos)
