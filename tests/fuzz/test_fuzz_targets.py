"""Every fuzz target survives its seeds and a short coverage-guided run under atheris.

A short run: ``RUNS`` inputs a target, two targets at a time, a minute at most for them all
on two cores; ``python -m tests.fuzz all --seconds 300`` fuzzes for longer. Without atheris
(a platform it has no wheel for) the runs skip, except under CI (``CI=true``), where the dev
extra installs it and its absence is a failure.
"""

from __future__ import annotations

import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .runner import Outcome, fuzz
from .targets import NAMES, load

RUNS = 3000
JOBS = 2


@pytest.fixture(scope="module")
def atheris_installed() -> None:
    """atheris importable; missing, a skip here and a failure under CI."""
    if importlib.util.find_spec("atheris") is None:
        reason = "atheris is not installed (pip install -e '.[dev]' on Linux x86-64, 3.11-3.13)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def outcomes(
    atheris_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Every target fuzzed for RUNS inputs from its seeds alone, JOBS at a time."""
    corpora = tmp_path_factory.mktemp("corpus")

    def run(target: str) -> Outcome:
        return fuzz(target, runs=RUNS, corpus=corpora / target)

    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        return dict(zip(NAMES, pool.map(run, NAMES), strict=True))


@pytest.mark.parametrize("target", NAMES)
def test_every_seed_of_a_target_is_parsed_without_a_crash(target: str) -> None:
    module = load(target)
    for seed in module.SEEDS:
        module.fuzz_one(seed)


@pytest.mark.parametrize("target", NAMES)
def test_a_target_survives_a_short_fuzzing_run(outcomes: dict[str, Outcome], target: str) -> None:
    outcome = outcomes[target]
    assert not outcome.crashed, outcome.report()
    assert f"Done {RUNS} runs" in outcome.log, outcome.report()


def test_a_target_name_that_does_not_exist_is_refused() -> None:
    with pytest.raises(KeyError, match="no fuzz target"):
        load("nothing")


def test_the_fuzz_targets_stay_out_of_the_pyodide_run() -> None:
    """tests/pyodide runs tests/unit/test_edge_*.py; atheris does not exist in Pyodide."""
    assert not list(Path(__file__).parent.rglob("test_edge_*.py"))
