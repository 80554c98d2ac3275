"""The bench's closing table: every target a run measured, by section, side by side."""

from __future__ import annotations

import pytest

from bench import report


@pytest.fixture(autouse=True)
def fresh_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "_verdicts", [])


def test_a_verdict_reads_meets_or_misses() -> None:
    assert (report.verdict(True, "t", "1"), report.verdict(False, "t", "2")) == ("meets", "MISSES")


def test_the_summary_lists_each_verdict_under_the_section_it_came_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report.section("hits")
    report.verdict(True, "hits ≥ 80% of the trivial worker", "91%")
    report.section("events")
    report.verdict(False, "invalidation p99 ≤ 1050 ms", "1200 ms")
    report.summary()
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows[1:] == [
        "| hits | hits ≥ 80% of the trivial worker | 91% | meets |",
        "| events | invalidation p99 ≤ 1050 ms | 1200 ms | MISSES |",
    ]


def test_a_run_without_targets_prints_no_summary(capsys: pytest.CaptureFixture[str]) -> None:
    report.summary()
    assert capsys.readouterr().out == ""
