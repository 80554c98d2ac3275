"""The Analytics Engine binding: production's limits, and points kept for the metrics."""

import pytest

from emulator.clock import FakeClock
from emulator.datapoints import DataPoints, latencies, quantile
from emulator.runtime.analytics import DataPointError, WorkerDataset
from emulator.runtime.jsproxy import JsObject


def dataset():
    store = DataPoints()
    return store, WorkerDataset(store, "popcache", FakeClock(100.0), "SFO")


def test_a_point_is_kept_with_its_time_dataset_and_pop():
    store, binding = dataset()
    binding.writeDataPoint(
        {"blobs": ["invalidation", "restock"], "doubles": [0.25], "indexes": ["x"]}
    )
    [point] = list(store)
    assert (point.timestamp, point.dataset, point.colo) == (100.0, "popcache", "SFO")
    assert (point.blobs, point.doubles, point.index) == (("invalidation", "restock"), (0.25,), "x")


def test_a_js_object_is_accepted():
    store, binding = dataset()
    binding.writeDataPoint(JsObject({"doubles": [1]}))
    assert next(iter(store)).doubles == (1.0,)


@pytest.mark.parametrize(
    "point",
    [
        {"blobs": ["b"] * 21},
        {"doubles": [1.0] * 21},
        {"indexes": ["a", "b"]},
        {"indexes": ["x" * 97]},
        {"blobs": ["x" * 16_385]},
    ],
)
def test_a_point_over_the_limits_is_an_error_and_not_kept(point):
    store, binding = dataset()
    with pytest.raises(DataPointError):
        binding.writeDataPoint(point)
    assert store.written == 0


@pytest.mark.parametrize("point", [{"doubles": ["1"]}, {"doubles": [True]}, {"blobs": [3]}, 7])
def test_a_value_of_the_wrong_type_is_a_type_error(point):
    _, binding = dataset()
    with pytest.raises(TypeError):
        binding.writeDataPoint(point)


def test_the_store_keeps_the_newest_points_up_to_its_capacity():
    store = DataPoints(capacity=2)
    binding = WorkerDataset(store, "d", FakeClock(), "SFO")
    for n in range(3):
        binding.writeDataPoint({"doubles": [n]})
    assert [point.doubles for point in store] == [(1.0,), (2.0,)]
    assert store.written == 3


def test_latencies_are_read_by_kind():
    store, binding = dataset()
    binding.writeDataPoint({"blobs": ["invalidation", "a"], "doubles": [1]})
    binding.writeDataPoint({"blobs": ["invalidation", "b"], "doubles": [2]})
    binding.writeDataPoint({"blobs": ["other", "a"], "doubles": [3]})
    assert latencies(store, "invalidation") == {"a": [1.0], "b": [2.0]}


@pytest.mark.parametrize(("q", "expected"), [(0.5, 50.0), (0.99, 99.0), (1.0, 100.0)])
def test_quantiles_are_nearest_rank(q, expected):
    assert quantile([float(n) for n in range(1, 101)], q) == expected


def test_the_quantile_of_nothing_is_zero():
    assert quantile([], 0.5) == 0.0
