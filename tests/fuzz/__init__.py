"""Coverage-guided fuzzing (atheris, libFuzzer) of every parser the hostile-input tests cover.

Each module of ``tests.fuzz.targets`` is one parser family: ``SEEDS`` (valid inputs, so the
fuzzer starts past the first byte) and ``fuzz_one(data)``, which feeds the bytes to the
parsers the Hypothesis tests of tests/unit/test_*hostile_*.py call, with the same refusals
allowed. ``python -m tests.fuzz <target|all> [--runs N] [--seconds S]`` runs them, one
subprocess each; tests/fuzz/test_fuzz_targets.py runs every one briefly.

The edge's modules are imported as the Worker imports them, by their names with edge/ on
``sys.path``; tests/unit is on it too, for the in-process edge of ``edgeharness``.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EDGE = REPO / "edge"
UNIT = REPO / "tests" / "unit"

for _folder in (str(UNIT), str(EDGE)):
    if _folder not in sys.path:
        sys.path.insert(0, _folder)
