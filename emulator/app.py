"""The emulator: one Worker on every PoP of a topology, behind one front door.

``Emulator`` wires the parts (config, KV store, PoPs with their isolates and caches, the front
door server, the faults injected on the way to the origin) and offers what ``popcache dev`` and
the pytest plugin drive: ``start``/``stop``, ``reload``, ``scheduled``, ``purge_caches``,
``drain`` (wait for ``waitUntil`` work and deliver the queue messages due), ``metrics`` and
``stats`` (the figures of the workers' data points, :mod:`emulator.figures`), ``internals``
(the sizes of what could grow, :mod:`emulator.internals`), ``queues`` (the
delivery of ``[[queues.producers]]``' messages: ``pump``), ``faults`` (replace them while
running), ``purges`` (the log of calls to the emulated zone purge API, served by the front
door under ``/cdn-cgi/popcache/client/v4``: :mod:`emulator.purgeapi`) and ``upper_tier``
(Tiered Cache's upper tier between the PoPs and the origin, :mod:`emulator.uppertier`; None
when off).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from .badrequests import ProblemServer
from .clock import Clock, SystemClock
from .dashboard import Dashboard
from .datapoints import MAX_POINTS, DataPoints
from .env import build_env
from .faults import Fault, FaultInjector
from .figurebuckets import FigureBuckets
from .frontdoor import CF_PLACES, FrontDoor
from .geo import CityIndex, load_city_index
from .internals import Table, process_memory, table
from .isolate import Isolate
from .metrics import metrics_text
from .pop import Pop
from .purgeapi import PurgeApi, PurgeLog, PurgeRecord, PurgeSettings, PurgeTarget
from .queuedelivery import QueueDelivery
from .queuestore import QueueStore
from .requestcounters import LABELS_LIMIT, SERIES_LIMIT, RequestCounters
from .requestlog import LOG_FORMATS, REQUEST_LOG
from .runtime.cachelimit import MAX_ENTRIES
from .runtime.fetcher import Fetcher
from .runtime.kv import KVNamespace, KVStore
from .runtime.queue_batch import Message, MessageBatch, QueueResult
from .runtime.version_metadata import version_metadata
from .topology import DEFAULT_TOPOLOGY, Topology, UpperTierConfig
from .uppertier import UPPER_TIER_KEY, UpperTier
from .wrangler import WorkerConfig

__all__ = ["DEFAULT_PURGE", "ORIGIN_VAR", "Emulator"]

# The wrangler var the edge bundle reads its origin from; `--origin` sets it.
ORIGIN_VAR = "ORIGIN"

DEFAULT_PURGE = PurgeSettings()
"""The purge API's zone, token and plan unless told otherwise (``DEV_ZONE_ID``, ``DEV_API_TOKEN``,
Pro)."""


def _upper_tier_config(topology: Topology, tiered: bool | None) -> UpperTierConfig | None:
    """The upper tier to run: the topology's unless ``tiered`` says on (default name) or off."""
    if tiered is None:
        return topology.upper_tier
    return (topology.upper_tier or UpperTierConfig()) if tiered else None


# drain() gives up delivering after this many rounds (a consumer that keeps re-sending).
_DRAIN_ROUNDS = 100
RECENT_PURGES = 20
"""The purges ``stats`` lists."""


class Emulator:
    def __init__(
        self,
        config: WorkerConfig,
        *,
        topology: Topology = DEFAULT_TOPOLOGY,
        clock: Clock | None = None,
        persist_to: Path | None = None,
        origin: str | None = None,
        faults: Iterable[Fault] = (),
        rng: random.Random | None = None,
        queue_duplicates: float = 0.0,
        queue_loop: bool = True,
        purge: PurgeSettings = DEFAULT_PURGE,
        overrides: Mapping[str, str] | None = None,
        tiered: bool | None = None,
        demo_origin: bool = False,
        log_format: str | None = None,
        log_to: Callable[[str], None] | None = None,
        max_cache_entries: int = MAX_ENTRIES,
        max_data_points: int = MAX_POINTS,
    ) -> None:
        """``faults`` act on the worker's fetches to the origin, drawing from ``rng`` (seed it
        to replay the same faults). ``queue_duplicates`` is the rate of duplicate deliveries of
        acknowledged queue messages; ``queue_loop=False`` leaves queue delivery to explicit
        ``queues.pump()``/``drain()`` calls (the pytest plugin's deterministic mode). ``purge``
        is the zone id, API token and plan of the emulated purge API; ``purges`` logs its
        calls and ``on_purge`` (the log's observers) hears of each. ``overrides`` replace vars
        and secrets of the worker's env (``popcache dev`` points ``PURGE_API`` here with them);
        ``datapoints`` keeps what its Analytics Engine datasets are written. ``tiered`` turns
        Tiered Cache's upper tier on or off whatever ``topology`` says (None: as it says).
        ``demo_origin`` says ``origin`` is the demo storefront started alongside, which the
        dashboard's demo buttons drive. ``log_format`` (a key of ``LOG_FORMATS``) logs one
        line per request served to ``log_to``, by default the ``popcache.requests`` logger
        (None: no request log). ``max_cache_entries`` bounds each cache of each PoP and the
        upper tier (URLs), ``max_data_points`` the Analytics Engine points kept: what a long
        session holds in memory at most."""
        self.config = config
        self.topology = topology
        self.clock: Clock = clock or SystemClock()
        self.origin = origin
        self.demo_origin = demo_origin
        self.overrides = dict(overrides or {})
        self.datapoints = DataPoints(max_data_points)
        self._counters = RequestCounters()
        self._figures = FigureBuckets(self.datapoints)
        self._log_format = log_format
        self._log_to = log_to or REQUEST_LOG.info
        self.kv = KVStore(persist_to / "kv.sqlite3" if persist_to else None)
        self.queue_store = QueueStore(persist_to / "queues.sqlite3" if persist_to else None)
        self.faults = FaultInjector(faults, rng)
        tier = _upper_tier_config(topology, tiered)
        self.upper_tier = (
            UpperTier(self.clock, tier.name, max_cache_entries) if tier is not None else None
        )
        self._fetcher = Fetcher(self.faults, self.upper_tier)
        self.pops = {
            site.colo: Pop(site, self.clock, self._fetcher.at(site.colo), origin, max_cache_entries)
            for site in topology.pops
        }
        self.purges = PurgeLog()
        self.on_purge: list[Callable[[PurgeRecord], None]] = self.purges.on_purge
        self.purge_api = PurgeApi(purge, self._purge_targets, self.clock, self.purges)
        self._cities: CityIndex | None = None
        self._cities_load: asyncio.Future[CityIndex] | None = None
        self._runner: web.ServerRunner | None = None
        self._door: FrontDoor | None = None
        self.url = ""
        self.queues = QueueDelivery(
            self.queue_store,
            self.clock,
            lambda: self.config.queue_consumers,
            lambda batch: next(iter(self.pops.values())).queue(batch),
            duplicates=queue_duplicates,
        )
        self._queue_loop = queue_loop
        self._queue_task: asyncio.Task[None] | None = None
        self.reload(config)

    def reload(self, config: WorkerConfig) -> None:
        """Load fresh isolates on every PoP; on failure the old ones keep serving."""
        overrides = {**self.overrides, **({ORIGIN_VAR: self.origin} if self.origin else {})}
        # One deploy: every PoP runs the same version.
        version = version_metadata(config.root, self.clock.now())
        isolates = {
            colo: Isolate(
                config.main,
                pop.js_module(),
                build_env(
                    config,
                    self.kv,
                    self.clock,
                    overrides,
                    version,
                    self.queue_store,
                    self.datapoints,
                    colo,
                ),
            )
            for colo, pop in self.pops.items()
        }
        for colo, isolate in isolates.items():
            self.pops[colo].isolate = isolate
        self.config = config
        # Faults aim at the origin the worker is given: --origin (or the demo origin), else
        # its own ORIGIN var; with neither, at every fetch.
        # The upper tier stands in front of that same origin.
        configured = self.origin or config.vars.get(ORIGIN_VAR)
        aimed = configured if isinstance(configured, str) else None
        self.faults.aim(aimed)
        if self.upper_tier is not None:
            self.upper_tier.aim(aimed)

    def kv_namespace(self, binding: str) -> KVNamespace:
        """The KV namespace the worker sees as ``env.<binding>`` (KeyError if it has none)."""
        for namespace in self.config.kv_namespaces:
            if namespace.binding == binding:
                return KVNamespace(self.kv, namespace.id, self.clock)
        raise KeyError(f"wrangler.toml has no KV binding {binding!r}")

    def _city_index(self) -> CityIndex | None:
        return self._cities

    def _load_cities(self) -> asyncio.Future[CityIndex]:
        if self._cities_load is None:
            self._cities_load = asyncio.ensure_future(asyncio.to_thread(load_city_index))
        return self._cities_load

    async def cities_ready(self) -> None:
        """Wait until the cities table is loaded (request.cf then has the client's own city)."""
        self._cities = await self._load_cities()

    async def start(self, host: str = "127.0.0.1", port: int = 8787) -> str:
        door = FrontDoor(
            self.topology,
            self.pops,
            self._city_index,
            lambda: self.clock.now() * 1000.0,
            self.faults,
            self.purge_api,
            self.metrics,
            dashboard=Dashboard(self.origin if self.demo_origin else None),
            stats=self.stats,
            internals=self.internals,
            request_log=LOG_FORMATS[self._log_format] if self._log_format else None,
            log_to=self._log_to,
        )
        self._door = door
        self._runner = web.ServerRunner(
            ProblemServer(door.handle, access_log=None), handle_signals=False
        )
        await self._runner.setup()
        # A deep accept queue: a burst of new clients (a stampede) waits, never bounces.
        site = web.TCPSite(self._runner, host, port, backlog=1024)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        self._load_cities().add_done_callback(self._cities_loaded)
        if self._queue_loop:
            self._queue_task = asyncio.ensure_future(self.queues.run())
        return self.url

    def _cities_loaded(self, load: asyncio.Future[CityIndex]) -> None:
        if not load.cancelled() and load.exception() is None:
            self._cities = load.result()
            # The table is tens of thousands of long-lived objects: keep the collector from
            # walking them on every full collection, which would tax every request.
            gc.freeze()

    async def stop(self) -> None:
        """Stop serving and wait for ``waitUntil`` work. Queue messages not delivered yet stay
        stored (under ``persist_to``) for the next start, as after a crash."""
        if self._queue_task is not None:
            self._queue_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._queue_task
            self._queue_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._drain_background()
        if self._cities_load is not None and not self._cities_load.done():
            self._cities_load.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._cities_load
        await self._fetcher.close()
        self.kv.close()
        self.queue_store.close()

    async def scheduled(
        self, cron: str, colo: str | None = None, time_ms: float | None = None
    ) -> None:
        pop = self.pops[colo] if colo else next(iter(self.pops.values()))
        await pop.scheduled(cron, time_ms if time_ms is not None else self.clock.now() * 1000.0)

    async def queue(
        self, queue: str, bodies: Iterable[Any], colo: str | None = None, attempts: int = 1
    ) -> QueueResult:
        """Deliver ``bodies`` as one batch to the worker's consumer of ``queue`` now."""
        consumers = [consumer.queue for consumer in self.config.queue_consumers]
        if queue not in consumers:
            raise ValueError(
                f"{self.config.path} has no [[queues.consumers]] entry for {queue!r} "
                f"(consumers: {', '.join(consumers) or 'none'})"
            )
        timestamp = datetime.fromtimestamp(self.clock.now())
        batch = MessageBatch(
            queue,
            (Message(uuid.uuid4().hex, body, timestamp, attempts) for body in bodies),
        )
        pop = self.pops[colo] if colo else next(iter(self.pops.values()))
        return await pop.queue(batch)

    def wire(self, overrides: Mapping[str, str], purge: PurgeSettings) -> None:
        """Give the worker these vars and secrets and serve the purge API with ``purge``, once
        the front door's URL is known (``devwiring``); the isolates are loaded afresh."""
        self.overrides.update(overrides)
        self.purge_api.configure(purge)
        self.reload(self.config)

    def metrics(self) -> bytes:
        """The emulator's figures in Prometheus' text format (``/cdn-cgi/popcache/metrics``)."""
        return metrics_text(
            self.datapoints,
            self._counters,
            self.clock.now(),
            lambda: self.purges.count,
            self._queue_depths,
        )

    def stats(self, window: int) -> dict[str, Any]:
        """The figures of the last ``window`` seconds, the queues and the latest purges
        (``/cdn-cgi/popcache/stats``, docs/observability.md)."""
        return {
            **self._figures.at(self.clock.now(), window),
            "queues": dict(self._queue_depths()),
            "purges": [record.to_json() for record in self.purges.records()[:RECENT_PURGES]],
        }

    def internals(self) -> dict[str, Any]:
        """The sizes of what could grow, the emulator's own and each PoP's, and the process's
        memory (``/cdn-cgi/popcache/internals``, :mod:`emulator.internals`)."""
        own: dict[str, Table] = {
            "datapoints": table(len(self.datapoints), self.datapoints.capacity),
            "request_counter_labels": table(self._counters.labels(), LABELS_LIMIT),
            "request_counter_series": table(self._counters.series(), SERIES_LIMIT),
            "purge_log": table(len(self.purges), self.purges.size),
            "queue_in_flight": table(self.queues.in_flight),
            **{f"queue.{queue}": table(count) for queue, count in self._queue_depths()},
        }
        if self._door is not None:
            own["cf_places"] = table(self._door.cf_places(), CF_PLACES)
        if self.upper_tier is not None:
            own["upper_tier_urls"] = table(self.upper_tier.url_count(), self.upper_tier.max_entries)
            own["upper_tier_flights"] = table(self.upper_tier.flight_count())
        return {
            "at": self.clock.now(),
            "process": process_memory(),
            "emulator": own,
            "pops": {colo: pop.internals() for colo, pop in self.pops.items()},
        }

    def _queue_depths(self) -> list[tuple[str, int]]:
        """Each queue of the config (dead-letter queues too) and the messages it holds."""
        config = self.config
        queues = sorted(
            {consumer.queue for consumer in config.queue_consumers}
            | {c.dead_letter_queue for c in config.queue_consumers if c.dead_letter_queue}
            | {producer.queue for producer in config.queue_producers}
        )
        return [(queue, self.queue_store.pending(queue)) for queue in queues]

    def _purge_targets(self) -> dict[str, PurgeTarget]:
        """What a purge reaches: every PoP's caches by colo, and the upper tier."""
        targets: dict[str, PurgeTarget] = {colo: pop.caches for colo, pop in self.pops.items()}
        if self.upper_tier is not None:
            targets[UPPER_TIER_KEY] = self.upper_tier
        return targets

    def purge_caches(self, colo: str | None = None) -> int:
        """Empty the Cache API storage of one PoP, or of all and the upper tier; returns the
        entries dropped."""
        if colo:
            return self.pops[colo].caches.purge_everything()
        return sum(target.purge_everything() for target in self._purge_targets().values())

    async def drain(self) -> None:
        """Wait for every PoP's waitUntil work and deliver every queue message visible now
        (ignoring ``max_batch_timeout``), until neither leaves more to do. Retries and
        duplicates made visible now are delivered too; delayed ones wait for the clock."""
        for _ in range(_DRAIN_ROUNDS):
            await self._drain_background()
            if not await self.queues.pump(flush=True):
                return
        await self._drain_background()

    async def _drain_background(self) -> None:
        for pop in self.pops.values():
            await pop.background.drain()
