"""The soak's verdicts (bench/soakverdict.py): what counts as an error, a bounded table, flat
memory; and how the internals samples become one run per table."""

from bench.soakverdict import (
    TableRun,
    flat,
    intended,
    rss_flat,
    status_class,
    table_runs,
    trend,
)


def test_answers_below_400_are_never_errors_and_a_missing_answer_always_is():
    assert all(intended(status, None) for status in (200, 202, 304))
    assert not intended(None, None)
    assert status_class(None) == "no answer"
    assert status_class(304) == "3xx"


def test_only_the_documented_refusals_are_intended_errors():
    assert intended(429, "subrequests")
    assert intended(503, "origin")
    assert not intended(502, "origin")
    assert not intended(429, None)
    assert not intended(500, None)


def test_a_capped_table_is_bounded_while_it_never_passes_its_cap():
    assert TableRun("memo", 4096, (10, 4096, 3)).bounded()
    assert not TableRun("memo", 4096, (10, 4097, 3)).bounded()


def test_an_uncapped_table_is_bounded_when_flat():
    swinging = (3, 16, 0, 12, 5, 20, 1)
    assert TableRun("flights", None, swinging).bounded()
    assert not TableRun("leak", None, (100, 200, 300, 400, 500, 600)).bounded()


def test_flat_allows_a_fifth_more_and_the_clients_worth_of_slack():
    assert flat((1000, 1000, 1216))
    assert not flat((1000, 1000, 1217))
    assert flat((0, 0, 16))


def test_trend_compares_the_last_third_with_the_first():
    assert trend((100, 100, 130, 70, 100, 100)) == 0.0  # a swing in between is no trend
    assert trend((100, 100, 150, 150)) == 0.5
    assert trend((0, 0, 5)) == 0.0


def test_memory_may_grow_a_fifth_after_the_warm_up():
    assert rss_flat(100, 120)
    assert not rss_flat(100, 121)


def _sample(sfo: int, lhr: int, datapoints: int) -> dict:
    def pop(flights: int) -> dict:
        return {
            "cache_entries": {"size": flights * 10, "limit": 10_000},
            "worker": {"flights": {"size": flights, "limit": None}},
        }

    return {
        "emulator": {"datapoints": {"size": datapoints, "limit": 100_000}},
        "pops": {"SFO": pop(sfo), "LHR": {**pop(lhr), "worker": None, "worker_error": "boom"}},
    }


def test_runs_take_the_largest_pop_per_sample_and_skip_what_is_no_table():
    runs = {run.name: run for run in table_runs([_sample(2, 5, 10), _sample(7, 1, 20)])}
    assert runs["emulator datapoints"] == TableRun("emulator datapoints", 100_000, (10, 20))
    assert runs["PoP cache_entries"].sizes == (50, 70)
    assert runs["PoP worker flights"] == TableRun("PoP worker flights", None, (2, 7))
    assert set(runs) == {"emulator datapoints", "PoP cache_entries", "PoP worker flights"}
