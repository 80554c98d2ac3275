"""The stats snapshot: figures from request and invalidation data points, bounded and tolerant."""

import json
import time
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.cardinality import MAX_NAMES, OTHER
from emulator.datapoints import DataPoint
from emulator.figures import figures

NOW = 1_000_000.0


def request(
    *,
    at=NOW,
    pop="SFO",
    zone="z",
    klass="product",
    cache="hit",
    status=200.0,
    ms=10.0,
    pressure=0.0,
    origin=0.0,
):
    blobs = ("request", pop, zone, klass, cache, "GET")
    return DataPoint(
        at, "popcache", pop, blobs, (status, 0.0, 0.0, 100.0, ms, pressure, origin), pop
    )


def invalidation(seconds, at=NOW):
    return DataPoint(at, "popcache", "SFO", ("invalidation", "restock"), (seconds,), "restock")


def test_hit_ratio_counts_fresh_stale_and_collapsed_hits():
    points = [request(cache=cache) for cache in ("hit", "stale", "collapsed", "miss")]
    total = figures(points, NOW, 600)["total"]
    assert (total["requests"], total["hit"], total["stale"], total["collapsed"]) == (4, 1, 1, 1)
    assert total["hit_ratio"] == 0.75


def test_offload_is_the_share_of_requests_that_spared_the_origin():
    points = [request(cache="miss", origin=1.0), *(request() for _ in range(3))]
    assert figures(points, NOW, 600)["total"]["offload"] == 0.75


def test_latency_quantiles_are_per_pop():
    points = [request(pop="LHR", ms=float(n)) for n in range(1, 101)] + [request(ms=7.0)]
    pops = figures(points, NOW, 600)["pops"]
    assert (pops["LHR"]["p50_ms"], pops["LHR"]["p99_ms"]) == (50.0, 99.0)
    assert pops["SFO"]["p99_ms"] == 7.0


def test_error_rate_is_per_zone_and_counts_5xx():
    points = [request(zone="a", status=503.0), request(zone="a"), request(zone="b", status=404.0)]
    zones = figures(points, NOW, 600)["zones"]
    assert zones["a"] == {"requests": 2, "errors": 1, "error_rate": 0.5}
    assert zones["b"]["errors"] == 0


def test_classes_have_the_same_figures_as_the_total():
    found = figures([request(klass="price")], NOW, 600)
    assert found["classes"]["price"].keys() == found["total"].keys()


def test_backpressure_is_the_step_of_the_pops_latest_point():
    points = [request(at=NOW - 5, pressure=3.0), request(at=NOW - 1, pressure=1.0)]
    assert figures(points, NOW, 600)["pops"]["SFO"]["backpressure"] == 1


def test_invalidation_latency_is_in_milliseconds():
    points = [invalidation(n / 100) for n in range(1, 101)]
    assert figures(points, NOW, 600)["invalidation"] == {
        "count": 100,
        "p50_ms": 500.0,
        "p99_ms": 990.0,
    }


def test_points_older_than_the_window_are_left_out():
    points = [request(at=NOW - 61), request(at=NOW - 59)]
    assert figures(points, NOW, 60)["total"]["requests"] == 1


def test_series_has_one_entry_per_10_seconds_oldest_first_summing_to_the_total():
    points = [request(at=NOW - 25), request(at=NOW - 25), request(at=NOW - 3, status=500.0)]
    found = figures(points, NOW, 60)
    times = [moment["t"] for moment in found["series"]]
    assert times == sorted(times)
    assert all(later - earlier == 10 for earlier, later in pairwise(times))
    assert sum(moment["requests"] for moment in found["series"]) == 3
    assert sum(moment["errors"] for moment in found["series"]) == 1


def test_ten_thousand_zones_are_at_most_16_and_other():
    points = [request(zone=f"zone-{n}") for n in range(10_000)] + [request(zone="busy")] * 5
    zones = figures(points, NOW, 600)["zones"]
    assert len(zones) <= MAX_NAMES + 1
    assert zones["busy"]["requests"] == 5
    assert sum(zone["requests"] for zone in zones.values()) == 10_005
    assert OTHER in zones


def test_short_and_odd_points_are_read_with_defaults():
    points = [
        DataPoint(NOW, "d", "SFO", ("request",), (), None),
        DataPoint(NOW, "d", "SFO", ("request", None, 3, b"x"), ("slow", None), None),  # type: ignore[arg-type]
        DataPoint(NOW, "d", "SFO", ("request", ["unhashable"]), (1.0,), None),  # type: ignore[arg-type]
        DataPoint(NOW, "d", "SFO", (), (float("nan"),), None),
        DataPoint(NOW, "d", "SFO", ("invalidation",), (), None),
        request(ms=float("inf"), status=float("nan"), origin=float("-inf")),
    ]
    found = figures(points, NOW, 600)
    assert found["total"]["requests"] == 3
    json.dumps(found, allow_nan=False)


blob = st.one_of(st.none(), st.text(max_size=5), st.sampled_from(["request", "invalidation"]))
number = st.one_of(st.floats(), st.integers(), st.booleans(), st.text(max_size=3), st.none())
point = st.builds(
    DataPoint,
    st.floats(NOW - 700, NOW + 10),
    st.just("d"),
    st.just("SFO"),
    st.lists(blob, max_size=8).map(lambda blobs: ("request", *blobs)),
    st.lists(number, max_size=9).map(tuple),
    st.none(),
)


@given(st.lists(point, max_size=30))
@settings(max_examples=200, deadline=None)
def test_any_points_give_valid_json_figures(points):
    found = figures(points, NOW, 600)
    json.dumps(found, allow_nan=False)
    assert found["total"]["requests"] == sum(pop["requests"] for pop in found["pops"].values())


def test_a_hundred_thousand_points_are_read_in_well_under_a_second():
    points = [
        request(at=NOW - n * 0.005, pop=f"P{n % 5}", zone=f"z{n % 30}", ms=n % 97)
        for n in range(100_000)
    ][::-1]
    started = time.perf_counter()
    figures(points, NOW, 3600)
    assert time.perf_counter() - started < 1.0
