"""The slow-origin benchmark's pure parts: the bundle copy with a budget set, the per-second
aggregation and what is read from it (step changes, flaps, climbs, the replay through the
edge's health model), and the text chart. Nothing here is timed."""

import itertools
import tomllib
from pathlib import Path

import pytest
from health import OriginHealth
from routes import load_routes

from bench import asciiplot, servers
from bench.edge_slow import (
    HEALTHY,
    OVERLOADED,
    Change,
    Exchange,
    Response,
    Second,
    budget_of,
    chart,
    climbs,
    copy_bundle,
    flaps,
    is_fresh_hit,
    is_hit,
    mode_at,
    per_second,
    project,
    second_rows,
    step_changes,
    step_of,
    windows,
    with_class_setting,
    zipf_paths,
)

SCHEDULE = ((HEALTHY, 2), (OVERLOADED, 3), (HEALTHY, 2))

# -- the bundle copy ----------------------------------------------------------------------------


def test_with_class_setting_appends_the_table_when_the_file_has_none() -> None:
    text = '[[rule]]\npath = "/p/:id"\nclass = "warm"\n'
    out = with_class_setting(text, "warm", "budget", "150ms")
    assert tomllib.loads(out)["classes"]["warm"] == {"budget": "150ms"}
    assert load_routes(out).match("GET", "/p/1").policy.budget == pytest.approx(0.15)


def test_with_class_setting_adds_to_an_existing_table_keeping_its_keys() -> None:
    text = '[classes.warm]  # catalogue\nttl = "1m"\n\n[classes.hot]\nttl = "2s"\n'
    out = with_class_setting(text, "warm", "budget", "150ms")
    classes = tomllib.loads(out)["classes"]
    assert classes["warm"] == {"ttl": "1m", "budget": "150ms"}
    assert classes["hot"] == {"ttl": "2s"}


def test_with_class_setting_replaces_the_key_if_the_table_sets_it() -> None:
    text = '[classes.warm]\nbudget = "1s"\nttl = "1m"\n[[rule]]\npath = "/p"\nclass = "warm"\n'
    out = with_class_setting(text, "warm", "budget", "150ms")
    document = tomllib.loads(out)
    assert document["classes"]["warm"] == {"budget": "150ms", "ttl": "1m"}
    assert document["rule"] == [{"path": "/p", "class": "warm"}]


def test_with_class_setting_on_a_table_at_the_very_end() -> None:
    out = with_class_setting("ttl = 1\n[classes.cold]", "cold", "budget", "off")
    assert tomllib.loads(out)["classes"]["cold"] == {"budget": "off"}


def test_with_class_setting_leaves_other_classes_alone() -> None:
    text = '[classes.hot]\nbudget = "1s"\n'
    out = with_class_setting(text, "warm", "budget", "150ms")
    assert tomllib.loads(out)["classes"] == {"hot": {"budget": "1s"}, "warm": {"budget": "150ms"}}


def test_copy_bundle_sets_the_budget_in_the_copy_only(tmp_path: Path) -> None:
    original = (servers.REPO / "edge" / "routes.toml").read_text(encoding="utf-8")
    config = copy_bundle(servers.EDGE, tmp_path, "warm", "150ms")
    assert config == tmp_path / "wrangler.toml"
    assert config.read_text(encoding="utf-8") == servers.EDGE.read_text(encoding="utf-8")
    assert (tmp_path / "edge" / "entry.py").is_file()
    assert not list(tmp_path.rglob("__pycache__"))
    routes = tmp_path / "edge" / "routes.toml"
    assert budget_of(routes, "/api/products/S-1-0") == pytest.approx(0.15)
    assert budget_of(routes, "/api/inventory/SKU") == pytest.approx(0.5)  # hot: untouched
    assert (servers.REPO / "edge" / "routes.toml").read_text(encoding="utf-8") == original


def test_copy_bundle_needs_main_in_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "wrangler.toml").write_text('name = "x"\nmain = "entry.py"\n', encoding="utf-8")
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ValueError, match="not in a folder"):
        copy_bundle(source / "wrangler.toml", dest, "warm", "150ms")


# -- responses ----------------------------------------------------------------------------------


def test_cache_status_readers() -> None:
    assert step_of("popcache; hit; ttl=3; detail=backpressure-2") == 2
    assert step_of("popcache; fwd=request; detail=origin-resting+backpressure-3") == 3
    assert step_of("popcache; fwd=uri-miss; stored") == 0
    assert is_hit("popcache; hit; fwd=stale; detail=stale-while-revalidate")
    assert not is_fresh_hit("popcache; hit; fwd=stale; detail=stale-while-revalidate")
    assert is_fresh_hit("popcache; hit; ttl=10")
    assert not is_hit("popcache; fwd=uri-miss; detail=placeholder")
    assert not is_hit("popcache; fwd=uri-miss; detail=hit")  # a token, not a detail


# -- the schedule and the load ------------------------------------------------------------------


def test_mode_at_and_windows() -> None:
    assert [mode_at(SCHEDULE, t) for t in (0, 1.99, 2, 4.99, 5, 6.5, 99)] == [
        HEALTHY,
        HEALTHY,
        OVERLOADED,
        OVERLOADED,
        HEALTHY,
        HEALTHY,
        HEALTHY,
    ]
    assert windows(SCHEDULE) == [(HEALTHY, 0, 2), (OVERLOADED, 2, 5), (HEALTHY, 5, 7)]


def test_zipf_paths_are_seeded_and_skewed() -> None:
    paths = zipf_paths(2000, 200, 1.0, seed=7)
    assert paths == zipf_paths(2000, 200, 1.0, seed=7)
    assert paths != zipf_paths(2000, 200, 1.0, seed=8)
    assert all(path.startswith("/api/products/Z-") for path in paths)
    assert paths.count("/api/products/Z-0") > paths.count("/api/products/Z-150") * 10


# -- the per-second aggregation -----------------------------------------------------------------


def _responses() -> list[Response]:
    return [
        Response(0.1, 200, "popcache; fwd=uri-miss; stored"),
        Response(0.9, 200, "popcache; hit; ttl=1"),
        Response(2.5, 200, "popcache; hit; fwd=stale; detail=stale-if-error+backpressure-1"),
        Response(2.6, 503, "popcache; fwd=request; detail=origin-resting+backpressure-2"),
        Response(2.7, 202, "popcache; fwd=uri-miss; detail=placeholder+backpressure-1"),
        Response(4.0, 200, "popcache; hit; ttl=3; detail=backpressure-2"),
        Response(7.0, 200, "popcache; hit"),  # past the end: left out
        Response(-0.5, 200, "popcache; hit"),  # before the start: left out
    ]


def _exchanges() -> list[Exchange]:
    return [
        Exchange(0.05, 0.07, 200, None),
        Exchange(2.1, 2.9, 429, 2.0),
        Exchange(2.2, 3.0, 200, None),
        Exchange(6.9, 7.0, 200, None),
        Exchange(7.5, 7.6, 200, None),  # past the end: left out
    ]


def test_per_second_buckets_responses_and_origin_requests() -> None:
    rows = per_second(_responses(), _exchanges(), 7, SCHEDULE)
    assert [row.mode for row in rows] == [HEALTHY] * 2 + [OVERLOADED] * 3 + [HEALTHY] * 2
    assert [row.responses for row in rows] == [2, 0, 3, 0, 1, 0, 0]
    assert [row.step for row in rows] == [0, None, 2, None, 2, None, None]
    assert [row.hits for row in rows] == [1, 0, 1, 0, 1, 0, 0]
    assert [row.fresh for row in rows] == [1, 0, 0, 0, 1, 0, 0]
    assert [row.origin for row in rows] == [1, 0, 2, 0, 0, 0, 1]
    assert rows[2].throttled == 1
    assert (rows[2].errors, rows[2].resting, rows[2].placeholders) == (1, 1, 1)
    assert rows[2].statuses == {200: 1, 503: 1, 202: 1}
    assert rows[0].hit_ratio == pytest.approx(0.5)
    assert rows[1].hit_ratio is None
    assert rows[2].fresh_ratio == 0.0


def test_second_rows_print_a_dash_for_an_empty_second() -> None:
    rows = second_rows(per_second(_responses(), _exchanges(), 3, SCHEDULE))
    assert rows[0] == ["0", HEALTHY, "2", "0", "50%", "50%", "1", "0", "0", "0", "0"]
    assert rows[1][3:6] == ["—", "—", "—"]
    assert rows[2] == ["2", OVERLOADED, "3", "2", "33%", "0%", "2", "1", "1", "1", "1"]


def _rows(steps: list[int | None], modes: str) -> list[Second]:
    mode = {"o": OVERLOADED, ".": HEALTHY}
    return [Second(n, mode[m], step=s) for n, (s, m) in enumerate(zip(steps, modes, strict=True))]


def test_step_changes_skip_seconds_without_responses() -> None:
    rows = _rows([0, 0, 1, None, 1, 2, None, 3, 2], ".........")
    assert step_changes(rows) == [
        Change(2, 0, 1),
        Change(5, 1, 2),
        Change(7, 2, 3),
        Change(8, 3, 2),
    ]


def test_flaps_are_quick_reversals_only() -> None:
    steady = [Change(2, 0, 1), Change(7, 1, 2), Change(60, 2, 1), Change(90, 1, 0)]
    assert flaps(steady, window=10) == []
    quick = [Change(2, 0, 1), Change(7, 1, 0), Change(12, 0, 1)]
    assert flaps(quick, window=10) == [(quick[0], quick[1]), (quick[1], quick[2])]
    assert flaps([Change(2, 0, 1), Change(30, 1, 0)], window=10) == []


def test_climbs_per_overload() -> None:
    schedule = ((HEALTHY, 2), (OVERLOADED, 4), (HEALTHY, 2), (OVERLOADED, 2))
    rows = _rows([0, 0, 1, None, 2, 2, 2, 2, 2, 3], "..oooo..oo")
    first, second = climbs(rows, schedule)
    assert (first.start, first.before, first.peak, first.to_peak) == (2, 0, 2, 2)
    assert (second.start, second.before, second.peak, second.to_peak) == (8, 2, 3, 1)


def test_climbs_without_responses_in_the_overload() -> None:
    rows = _rows([1, 1, None, None], "..oo")
    (only,) = climbs(rows, ((HEALTHY, 2), (OVERLOADED, 2)))
    assert (only.before, only.peak, only.to_peak) == (1, 1, None)


# -- the replay through the edge's health model -------------------------------------------------


def _overload(start: float, seconds: float, rate: float) -> list[Exchange]:
    exchanges = []
    for n in range(int(seconds * rate)):
        arrived = start + n / rate
        status = 429 if n % 2 else 200
        exchanges.append(Exchange(arrived, arrived + 0.8, status, 2.0 if status == 429 else None))
    return exchanges


def test_project_replays_the_climb_then_continues_healthy_until_the_step_is_back_to_0() -> None:
    healthy = [Exchange(n / 10, n / 10 + 0.02, 200, None) for n in range(50)]
    exchanges = healthy + _overload(5.0, 12.0, 10.0)
    changes = project(
        exchanges, OriginHealth(), after=20.0, rate=10.0, latency=0.02, horizon=1000.0
    )
    ups = [change for change in changes if change.after > change.before]
    downs = [change for change in changes if change.after < change.before]
    assert [(c.before, c.after) for c in ups] == [(0, 1), (1, 2), (2, 3)]
    assert all(5.0 <= c.at <= 18.0 for c in ups)
    assert all(b.at - a.at >= 5.0 for a, b in itertools.pairwise(ups))  # the dwell
    assert [(c.before, c.after) for c in downs] == [(3, 2), (2, 1), (1, 0)]
    assert downs[0].at >= 17.0 + 30.0  # at least the cool-down after the overload
    assert all(b.at - a.at >= 30.0 for a, b in itertools.pairwise(downs))
    assert not flaps(changes)


def test_project_stops_at_the_horizon() -> None:
    changes = project(
        _overload(0.0, 12.0, 10.0),
        OriginHealth(),
        after=12.0,
        rate=10.0,
        latency=0.02,
        horizon=40.0,
    )
    assert changes
    assert all(change.after > change.before for change in changes)


# -- the text chart -----------------------------------------------------------------------------


def test_filled_rows_round_and_clamp() -> None:
    values = (0.0, 0.09, 0.1, 0.29, 0.5, 0.93, 1.0)
    assert [asciiplot.filled_rows(v, 1.0, 5) for v in values] == [0, 0, 1, 1, 3, 5, 5]
    assert asciiplot.filled_rows(7.0, 3.0, 3) == 3
    assert asciiplot.filled_rows(-1.0, 3.0, 3) == 0
    assert asciiplot.filled_rows(float("nan"), 3.0, 3) == 0
    assert asciiplot.filled_rows(1.0, 0.0, 3) == 0


def test_bars_fill_columns_from_the_bottom_and_leave_missing_values_blank() -> None:
    lines = asciiplot.bars([0, 1, 3, None, 2], top=3, rows=3, label=lambda v: f"{v:.0f}")
    gutter = asciiplot.GUTTER
    assert [line[:gutter] for line in lines] == [
        "         3 |",
        "         2 |",
        "         1 |",
        "         0 |",
    ]
    assert [line[gutter:] for line in lines] == ["  #", "  # #", " ## #", "--- -"]


def test_bars_refuse_no_rows() -> None:
    with pytest.raises(ValueError, match="rows"):
        asciiplot.bars([1.0], top=1.0, rows=0, label=str)


def test_axis_and_strip_line_up_with_the_bars() -> None:
    ticks, numbers = asciiplot.axis(23, every=10)
    gutter = asciiplot.GUTTER
    assert ticks[gutter:] == "|---------|---------|--"
    assert numbers[gutter:] == "0         10        20"
    assert numbers[:gutter].strip() == "s |"
    assert asciiplot.strip("origin", "..OO.")[gutter:] == "..OO."
    assert asciiplot.axis(12, every=10)[1][gutter:] == "0         10"
    assert asciiplot.axis(11, every=10)[1][gutter:] == "0"  # "10" would overrun


def test_chart_has_a_column_per_second() -> None:
    rows = per_second(_responses(), _exchanges(), 7, SCHEDULE)
    lines = chart(rows)
    strip = next(line for line in lines if line.strip().startswith("origin |"))
    assert strip[asciiplot.GUTTER :] == "..OOO.."
    width = asciiplot.GUTTER + len(rows)
    assert all(len(line) <= width for line in lines if "|" in line)
    step_bars = lines[1:5]
    assert step_bars[0].endswith("|")  # nothing reached step 3
    assert step_bars[1][asciiplot.GUTTER :] == "  # #"  # step 2 in seconds 2 and 4
