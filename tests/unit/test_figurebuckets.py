"""The stats figures kept up to date bucket by bucket are exactly those of one scan of every
kept point, whatever is written, dropped for room, asked for and when."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.datapoints import DataPoint, DataPoints
from emulator.figurebuckets import FigureBuckets
from emulator.figures import figures

START = 1_000_000.0

odd_number = st.one_of(
    st.floats(),
    st.sampled_from([-0.0, 1e300, -1e16, 2**60, 0.5, True, 7]),
    st.integers(-(10**20), 10**20),
    st.text(max_size=2),
    st.none(),
)
duration = st.floats(0, 2000).map(lambda ms: round(ms, 3))
request_doubles = st.tuples(
    st.sampled_from([200.0, 304.0, 404.0, 500.0, 503.0]),
    st.just(200.0),
    st.just(0.0),
    st.just(1234.0),
    duration,
    st.sampled_from([0.0, 1.0, 2.0, 3.5]),
    st.sampled_from([0.0, 1.0, 2.0]),
)


def rarely(draw, odds):
    """True about once in ``odds`` draws; never for None (an example of plain points only,
    which the buckets add up, where any odd point makes one scan of every point)."""
    return odds is not None and draw(st.integers(1, odds)) == 1


@st.composite
def doubles_of_request(draw, odds):
    doubles = list(draw(request_doubles))
    if rarely(draw, odds):  # now and then an odd double, or too few
        doubles[draw(st.integers(0, 6))] = draw(odd_number)
    if rarely(draw, odds):
        doubles = doubles[: draw(st.integers(0, 6))]
    return tuple(doubles)


name = st.one_of(st.sampled_from(["SFO", "LHR", "NRT", ""]), st.none(), st.text(max_size=2))
zone = st.one_of(st.sampled_from(["a", "b", "c"]), st.text(max_size=2))
cache = st.one_of(st.sampled_from(["hit", "stale", "collapsed", "miss", "bypass"]), name)


@st.composite
def request_blobs(draw, odds):
    blobs = [
        "request",
        draw(name),
        draw(zone),
        draw(st.sampled_from(["product", "price", "page"])),
        draw(cache),
        "GET",
    ]
    if rarely(draw, odds):
        blobs = blobs[: draw(st.integers(1, 5))]
    if rarely(draw, odds):
        blobs[-1] = ["unhashable"]
    return tuple(blobs)


other_blobs = st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=3).map(tuple)


@st.composite
def written(draw, now, odds):
    """A point written about ``now``: mostly just before it, now and then long before, after
    it or at no time a window holds."""
    at = now + draw(st.one_of(st.floats(-1, 0), st.floats(-25, 0), st.floats(-4000, 60)))
    if rarely(draw, odds):
        at = draw(st.sampled_from([float("nan"), float("inf"), "x", None, int(now)]))
    kind = draw(st.integers(0, 9))
    if kind < 7:
        blobs, doubles = draw(request_blobs(odds)), draw(doubles_of_request(odds))
    elif kind < 9:
        odd = st.one_of(st.tuples(odd_number), st.just(()))
        seconds = odd if rarely(draw, odds) else st.tuples(st.floats(0, 30))
        blobs, doubles = ("invalidation", "restock"), draw(seconds)
    else:
        blobs, doubles = draw(other_blobs), draw(st.lists(odd_number, max_size=2).map(tuple))
    return DataPoint(at, "popcache", "SFO", blobs, doubles, None)


window = st.one_of(st.sampled_from([1, 10, 60, 600, 3600]), st.integers(-5, 4000))
step = st.one_of(
    st.tuples(st.just("write"), st.integers(1, 40)),
    st.tuples(st.just("advance"), st.one_of(st.floats(0, 30), st.floats(-40, 700))),
    st.tuples(st.just("stats"), window),
    # A dashboard polling a busy emulator: some seconds pass, points are written, stats read.
    st.tuples(
        st.just("poll"),
        st.tuples(st.floats(0.5, 12), st.integers(0, 12), st.sampled_from([30, 60, 600])),
    ),
)


class Scans:
    """The oracle: what /stats gave before, one scan of every point, at most once a second
    and window while none is written."""

    def __init__(self, points):
        self._points = points
        self._memo = None

    def at(self, now, window):
        key = (window, self._points.written, int(now))
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, figures(list(self._points), now, window))
        return self._memo[1]


def same(found, expected):
    assert found == expected
    assert json.dumps(found) == json.dumps(expected)


@given(
    st.sampled_from([1, 2, 3, 7, 40, 150, 100_000]),
    st.sampled_from([None, None, 60, 10]),
    st.lists(step, min_size=1, max_size=60),
    st.data(),
)
@settings(max_examples=80, deadline=None)
def test_figures_kept_up_to_date_are_those_of_a_scan_of_every_point(capacity, odds, steps, data):
    points = DataPoints(capacity)
    kept = FigureBuckets(points)
    now = START
    scans = Scans(points)
    for action, value in steps:
        if action == "write":
            for _ in range(value):
                points.add(data.draw(written(now, odds)))
        elif action == "advance":
            now += value
        elif action == "poll":
            seconds, count, value = value
            for _ in range(count):
                points.add(data.draw(written(now, odds)))
                now += seconds / count
            if not count:
                now += seconds
        if action in ("stats", "poll"):
            same(kept.at(now, value), scans.at(now, value))


@given(
    st.sampled_from([20, 60, 150, 100_000]),
    st.sampled_from([None, None, 200]),
    st.sampled_from([30, 60, 600]),
    st.lists(st.tuples(st.floats(0.5, 12), st.integers(0, 12)), min_size=5, max_size=80),
    st.data(),
)
@settings(max_examples=40, deadline=None)
def test_a_dashboard_polling_a_busy_emulator_sees_the_figures_of_a_scan(
    capacity, odds, window, polls, data
):
    """The usual run: points written every second, the same window asked for each time, so
    a bucket leaves the window's middle at one end as another joins at the other."""
    points = DataPoints(capacity)
    kept = FigureBuckets(points)
    scans = Scans(points)
    now = START
    for seconds, count in polls:
        for _ in range(count):
            points.add(data.draw(written(now, odds)))
            now += seconds / count
        now += 0 if count else seconds
        same(kept.at(now, window), scans.at(now, window))
