"""``python -m tests.fuzz <target|all> [--runs N] [--seconds S] [--jobs J] [input …]``.

Fuzzes each target in its own process (atheris takes a process over), ``--jobs`` at a time;
exits 1 if any target crashed, naming the inputs it saved under artifacts/fuzz/<target>/.
With input files, runs just those through the one target: how to reproduce a saved crash.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .runner import ARTIFACTS, Outcome, fuzz
from .targets import NAMES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("target", choices=[*NAMES, "all"])
    parser.add_argument("inputs", nargs="*", type=Path, help="files to run once each")
    parser.add_argument("--runs", type=int, help="inputs to try per target")
    parser.add_argument("--seconds", type=int, help="time per target")
    parser.add_argument("--jobs", type=int, default=2, help="targets fuzzed at once")
    parser.add_argument("--verbose", action="store_true", help="print libFuzzer's whole log")
    options = parser.parse_args(argv)
    targets = NAMES if options.target == "all" else (options.target,)
    if options.inputs and options.target == "all":
        parser.error("input files need one target")
    if options.runs is None and options.seconds is None and not options.inputs:
        options.seconds = 30

    def one(target: str) -> Outcome:
        outcome = fuzz(
            target,
            runs=options.runs,
            seconds=options.seconds,
            inputs=tuple(options.inputs),
        )
        print(outcome.log if options.verbose else outcome.summary(), flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        outcomes = list(pool.map(one, targets))
    crashed = [outcome for outcome in outcomes if outcome.crashed]
    for outcome in crashed:
        print("\n" + outcome.report(), file=sys.stderr)
    if crashed:
        print(
            f"\n{len(crashed)} target(s) crashed; inputs saved under {ARTIFACTS}", file=sys.stderr
        )
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
