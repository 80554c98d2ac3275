"""``/cdn-cgi/popcache/metrics``: the emulator's figures in Prometheus' text format.

Read at scrape time from what the emulator already keeps (prometheus_client's custom collector
pattern), so nothing on a request's path pays for them:

- ``popcache_invalidation_latency_seconds{kind}``: a summary with the 0.5 and 0.99 quantiles
  over the invalidation data points the edge wrote to Analytics Engine (docs/events.md);
- ``popcache_purge_api_calls_total``: calls the emulated purge API applied;
- ``popcache_queue_messages{queue}``: messages stored and not yet acknowledged (dead-letter
  queues included).

Label values come from what workers wrote, so at most ``MAX_KINDS`` of them are kept apart and
the rest are counted under ``other``: a worker can never explode the series count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .datapoints import DataPoints, quantile

__all__ = ["CONTENT_TYPE", "MAX_KINDS", "METRICS_ENDPOINT", "metrics_text"]

METRICS_ENDPOINT = "/cdn-cgi/popcache/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_KINDS = 16
_QUANTILES = (0.5, 0.99)


def bounded(latencies: dict[str, list[float]]) -> dict[str, list[float]]:
    """At most ``MAX_KINDS`` kinds, the most frequent first; the rest merged into ``other``."""
    ranked = sorted(latencies, key=lambda kind: (-len(latencies[kind]), kind))
    kept = {kind: latencies[kind] for kind in ranked[:MAX_KINDS]}
    rest = [value for kind in ranked[MAX_KINDS:] for value in latencies[kind]]
    if rest:
        kept.setdefault("other", []).extend(rest)
    return kept


class _Figures(Collector):
    def __init__(
        self,
        datapoints: DataPoints,
        purge_calls: Callable[[], int],
        queues: Callable[[], Iterable[tuple[str, int]]],
    ) -> None:
        self._datapoints = datapoints
        self._purge_calls = purge_calls
        self._queues = queues

    def collect(self) -> Iterator[Metric]:
        latency = Metric(
            "popcache_invalidation_latency_seconds",
            "From an event accepted to its purge applied in every PoP",
            "summary",
        )
        for kind, values in sorted(bounded(self._datapoints.latencies("invalidation")).items()):
            for q in _QUANTILES:
                latency.add_sample(
                    "popcache_invalidation_latency_seconds",
                    {"kind": kind, "quantile": str(q)},
                    quantile(values, q),
                )
            latency.add_sample(
                "popcache_invalidation_latency_seconds_count", {"kind": kind}, len(values)
            )
            latency.add_sample(
                "popcache_invalidation_latency_seconds_sum", {"kind": kind}, sum(values)
            )
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


def metrics_text(
    datapoints: DataPoints,
    purge_calls: Callable[[], int],
    queues: Callable[[], Iterable[tuple[str, int]]],
) -> bytes:
    """The exposition of the figures now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(datapoints, purge_calls, queues))
    return generate_latest(registry)
