"""/cdn-cgi/popcache/metrics: Prometheus text with bounded labels."""

from prometheus_client.parser import text_string_to_metric_families

from emulator.datapoints import DataPoint, DataPoints
from emulator.metrics import MAX_KINDS, metrics_text


def points(*kinds_and_seconds):
    store = DataPoints()
    for kind, seconds in kinds_and_seconds:
        store.add(DataPoint(0.0, "d", "SFO", ("invalidation", kind), (seconds,), kind))
    return store


def samples(text):
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


def test_invalidation_latency_has_its_p50_and_p99_by_kind():
    store = points(*(("restock", n / 100) for n in range(1, 101)))
    found = samples(metrics_text(store, lambda: 0, lambda: []))
    name = "popcache_invalidation_latency_seconds"
    assert found[(name, (("kind", "restock"), ("quantile", "0.5")))] == 0.5
    assert found[(name, (("kind", "restock"), ("quantile", "0.99")))] == 0.99
    assert found[(name + "_count", (("kind", "restock"),))] == 100


def test_purge_calls_and_queue_depth_are_exported():
    found = samples(metrics_text(DataPoints(), lambda: 7, lambda: [("q", 3), ("q-dlq", 1)]))
    assert found[("popcache_purge_api_calls_total", ())] == 7
    assert found[("popcache_queue_messages", (("queue", "q-dlq"),))] == 1


def test_kinds_past_the_limit_are_counted_as_other():
    store = points(*((f"kind-{n}", 1.0) for n in range(MAX_KINDS + 5)))
    found = samples(metrics_text(store, lambda: 0, lambda: []))
    kinds = {dict(labels).get("kind") for _, labels in found if dict(labels).get("kind")}
    assert len(kinds) == MAX_KINDS + 1
    assert found[("popcache_invalidation_latency_seconds_count", (("kind", "other"),))] == 5
