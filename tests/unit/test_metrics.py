"""/cdn-cgi/popcache/metrics: Prometheus text with bounded labels."""

from prometheus_client.parser import text_string_to_metric_families

from emulator.datapoints import DataPoint, DataPoints
from emulator.metrics import MAX_KINDS, metrics_text
from emulator.requestcounters import RequestCounters

NOW = 1_000.0


def scrape(store, purge_calls=lambda: 0, queues=lambda: [], counters=None):
    text = metrics_text(store, counters or RequestCounters(), NOW, purge_calls, queues)
    return samples(text)


def request(pop="SFO", zone="z", cache="hit", status=200.0, at=NOW):
    blobs = ("request", pop, zone, "product", cache, "GET")
    return DataPoint(at, "popcache", pop, blobs, (status, 0.0, 0.0, 5.0, 20.0, 2.0, 1.0), pop)


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
    found = scrape(store)
    name = "popcache_invalidation_latency_seconds"
    assert found[(name, (("kind", "restock"), ("quantile", "0.5")))] == 0.5
    assert found[(name, (("kind", "restock"), ("quantile", "0.99")))] == 0.99
    assert found[(name + "_count", (("kind", "restock"),))] == 100


def test_invalidation_count_and_sum_never_go_down_when_the_store_forgets_points():
    store, counters = DataPoints(capacity=3), RequestCounters()
    for seconds in (1.0, 1.0, 1.0):
        store.add(DataPoint(0.0, "d", "SFO", ("invalidation", "restock"), (seconds,), None))
    scrape(store, counters=counters)
    for seconds in (2.0, 2.0, 2.0):
        store.add(DataPoint(0.0, "d", "SFO", ("invalidation", "restock"), (seconds,), None))
    found = scrape(store, counters=counters)
    name, kind = "popcache_invalidation_latency_seconds", (("kind", "restock"),)
    assert found[(name + "_count", kind)] == 6
    assert found[(name + "_sum", kind)] == 9.0
    assert found[(name, (*kind, ("quantile", "0.5")))] == 2.0  # over the points kept


def test_purge_calls_and_queue_depth_are_exported():
    found = scrape(DataPoints(), lambda: 7, lambda: [("q", 3), ("q-dlq", 1)])
    assert found[("popcache_purge_api_calls_total", ())] == 7
    assert found[("popcache_queue_messages", (("queue", "q-dlq"),))] == 1


def test_kinds_past_the_limit_are_counted_as_other():
    store = points(*((f"kind-{n}", 1.0) for n in range(MAX_KINDS + 5)))
    found = scrape(store)
    kinds = {dict(labels).get("kind") for _, labels in found if dict(labels).get("kind")}
    assert len(kinds) == MAX_KINDS + 1
    assert found[("popcache_invalidation_latency_seconds_count", (("kind", "other"),))] == 5


def test_requests_are_counted_by_pop_class_and_cache():
    store = DataPoints()
    for cache in ("hit", "hit", "miss"):
        store.add(request(cache=cache))
    found = scrape(store)
    labels = (("cache", "hit"), ("class", "product"), ("pop", "SFO"))
    assert found[("popcache_requests_total", labels)] == 2
    assert found[("popcache_origin_requests_total", (("class", "product"), ("pop", "SFO")))] == 3


def test_duration_summary_backpressure_and_errors_are_exported():
    store = DataPoints()
    store.add(request(status=502.0, zone="north"))
    found = scrape(store)
    assert (
        found[("popcache_request_duration_seconds", (("pop", "SFO"), ("quantile", "0.99")))] == 0.02
    )
    assert found[("popcache_request_duration_seconds_count", (("pop", "SFO"),))] == 1
    assert found[("popcache_backpressure_step", (("pop", "SFO"),))] == 2
    assert found[("popcache_errors_total", (("zone", "north"),))] == 1


def test_zone_labels_are_bounded_with_other():
    store = DataPoints()
    for n in range(1_000):
        store.add(request(zone=f"zone-{n}", status=500.0))
    found = scrape(store)
    zones = {dict(labels)["zone"] for name, labels in found if name == "popcache_errors_total"}
    assert len(zones) == MAX_KINDS + 1
    assert "other" in zones


def test_counters_never_decrease_between_scrapes_as_other_names_grow():
    store, counters = DataPoints(), RequestCounters()
    for n in range(MAX_KINDS + 1):
        store.add(request(zone=f"zone-{n}", status=500.0))
    before = scrape(store, counters=counters)
    for _ in range(50):
        store.add(request(zone="late-but-busy", status=500.0))
    after = scrape(store, counters=counters)
    for key, value in before.items():
        if key[0] == "popcache_errors_total":
            assert after[key] >= value


def test_counters_keep_counting_after_the_store_forgets_points():
    store, counters = DataPoints(capacity=10), RequestCounters()
    key = ("popcache_requests_total", (("cache", "hit"), ("class", "product"), ("pop", "SFO")))
    counts = []
    for _ in range(3):
        for _ in range(8):
            store.add(request())
        counts.append(scrape(store, counters=counters)[key])
    assert counts == [8, 16, 24]
