"""``/cdn-cgi/popcache/metrics``: the emulator's figures in Prometheus' text format.

Read at scrape time from what the emulator already keeps (prometheus_client's custom collector
pattern), so nothing on a request's path pays for them:

- ``popcache_invalidation_latency_seconds{kind}``: a summary of the invalidation data points
  the edge wrote to Analytics Engine (docs/events.md), its ``_count`` and ``_sum`` cumulative
  (:mod:`emulator.requestcounters`), its 0.5 and 0.99 quantiles over the points kept;
- ``popcache_purge_api_calls_total``: calls the emulated purge API applied;
- ``popcache_queue_messages{queue}``: messages stored and not yet acknowledged (dead-letter
  queues included);
- from the request data points (docs/observability.md): ``popcache_requests_total{pop,class,
  cache}``, ``popcache_origin_requests_total{pop,class}``, ``popcache_errors_total{zone}``
  (status 500 or more) and the ``_count``/``_sum`` of ``popcache_request_duration_seconds{pop}``
  are cumulative (:mod:`emulator.requestcounters`); that summary's 0.5 and 0.99 quantiles and
  ``popcache_backpressure_step{pop}`` (the step in the PoP's latest point) are over the last
  ``DEFAULT_WINDOW`` seconds.

Label values come from what workers wrote, so at most ``MAX_KINDS`` of them are kept apart and
the rest are counted under ``other``: a worker can never explode the series count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .cardinality import MAX_NAMES, relabel
from .datapoints import DataPoints, latencies, quantiles
from .figures import DEFAULT_WINDOW
from .requestcounters import RequestCounters
from .requestscan import INVALIDATION, combined, scan

__all__ = ["CONTENT_TYPE", "MAX_KINDS", "METRICS_ENDPOINT", "metrics_text"]

METRICS_ENDPOINT = "/cdn-cgi/popcache/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_KINDS = MAX_NAMES
_QUANTILES = (0.5, 0.99)


class _Figures(Collector):
    def __init__(
        self,
        datapoints: DataPoints,
        counters: RequestCounters,
        now: float,
        purge_calls: Callable[[], int],
        queues: Callable[[], Iterable[tuple[str, int]]],
    ) -> None:
        self._datapoints = datapoints
        self._counters = counters
        self._now = now
        self._purge_calls = purge_calls
        self._queues = queues

    def collect(self) -> Iterator[Metric]:
        counters = self._counters
        counters.update(self._datapoints)
        yield from self._requests()
        latency = Metric(
            "popcache_invalidation_latency_seconds",
            "From an event accepted to its purge applied in every PoP",
            "summary",
        )
        kept = relabel(
            latencies(self._datapoints, INVALIDATION),
            counters.kinds,
            lambda lists: [value for part in lists for value in part],
        )
        for kind in sorted(counters.invalidations):
            values = quantiles(kept.get(kind, []), _QUANTILES)
            for q, value in zip(_QUANTILES, values, strict=True):
                latency.add_sample(latency.name, {"kind": kind, "quantile": str(q)}, value)
            label = {"kind": kind}
            latency.add_sample(latency.name + "_count", label, counters.invalidations[kind])
            latency.add_sample(latency.name + "_sum", label, counters.invalidation_seconds[kind])
        yield latency
        yield CounterMetricFamily(
            "popcache_purge_api_calls",
            "Calls the emulated purge API applied",
            value=self._purge_calls(),
        )
        depth = GaugeMetricFamily(
            "popcache_queue_messages", "Queue messages not acknowledged yet", labels=["queue"]
        )
        for queue, pending in self._queues():
            depth.add_metric([queue], pending)
        yield depth

    def _requests(self) -> Iterator[Metric]:
        counters = self._counters
        requests = CounterMetricFamily(
            "popcache_requests",
            "Requests the workers answered, by cache outcome",
            labels=["pop", "class", "cache"],
        )
        for (pop, klass, cache), count in sorted(counters.requests.items()):
            requests.add_metric([pop, klass, cache], count)
        yield requests
        origin = CounterMetricFamily(
            "popcache_origin_requests",
            "Requests to the origin the workers' requests made",
            labels=["pop", "class"],
        )
        for (pop, klass), count in sorted(counters.origin_requests.items()):
            origin.add_metric([pop, klass], count)
        yield origin
        errors = CounterMetricFamily(
            "popcache_errors", "Responses with status 500 or more", labels=["zone"]
        )
        for zone, count in sorted(counters.errors.items()):
            errors.add_metric([zone], count)
        yield errors
        recent = scan(list(self._datapoints), self._now - DEFAULT_WINDOW, self._now)
        by_pop = relabel(recent.groups, lambda names: counters.pops(names.pop), combined)
        duration = Metric(
            "popcache_request_duration_seconds",
            f"From a request in to its response ready; quantiles over the last {DEFAULT_WINDOW} s",
            "summary",
        )
        for pop in sorted(counters.durations):
            tally = by_pop.get(pop)
            values = quantiles(tally.durations if tally else [], _QUANTILES)
            for q, value in zip(_QUANTILES, values, strict=True):
                duration.add_sample(duration.name, {"pop": pop, "quantile": str(q)}, value / 1000)
            duration.add_sample(duration.name + "_count", {"pop": pop}, counters.durations[pop])
            duration.add_sample(duration.name + "_sum", {"pop": pop}, counters.seconds[pop])
        yield duration
        step = GaugeMetricFamily(
            "popcache_backpressure_step",
            "The back-pressure step in the PoP's latest request point",
            labels=["pop"],
        )
        for pop, value in sorted(relabel(recent.pressure, counters.pops, max).items()):
            step.add_metric([pop], value)
        yield step


def metrics_text(
    datapoints: DataPoints,
    counters: RequestCounters,
    now: float,
    purge_calls: Callable[[], int],
    queues: Callable[[], Iterable[tuple[str, int]]],
) -> bytes:
    """The exposition of the figures ``now``; ``counters`` are brought up to date."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(datapoints, counters, now, purge_calls, queues))
    return generate_latest(registry)
