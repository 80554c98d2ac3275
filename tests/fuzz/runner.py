"""Runs fuzz targets, one subprocess each (tests/fuzz/child.py under atheris), and reports
what they found: libFuzzer saves a crashing, hanging or slow input under ``artifacts``."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import REPO
from .targets import load

__all__ = ["ARTIFACTS", "Outcome", "fuzz", "seed_corpus"]

ARTIFACTS = Path(os.environ.get("POPCACHE_ARTIFACTS") or REPO / "artifacts") / "fuzz"
"""Where crashing inputs go (``<target>/crash-…``, ``timeout-…``) and, for runs from the
command line, each target's growing corpus (``corpus/<target>/``). Git ignores artifacts/."""

HANG_SECONDS = 10
RSS_LIMIT_MB = 2048
"""libFuzzer's default memory limit, counted above what the child inherits (below)."""


def _inherited_rss_mb() -> int:
    """The peak RSS a child starts with: Linux carries the parent's into an exec'd child's
    ``ru_maxrss``, which libFuzzer reads as the target's own, so a large parent (pytest after
    thousands of tests) would make every target look out of memory at its first check."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


"""libFuzzer's ``-timeout``: one input running this long is a hang (the in-process budget,
contract.BUDGET, catches a merely slow call first)."""


@dataclass(frozen=True)
class Outcome:
    target: str
    returncode: int
    seconds: float
    artifacts: tuple[Path, ...]
    log: str

    @property
    def crashed(self) -> bool:
        return self.returncode != 0 or bool(self.artifacts)

    def summary(self) -> str:
        runs = next(
            (
                line.split()[1]
                for line in reversed(self.log.splitlines())
                if line.startswith("Done ")
            ),
            "?",
        )
        verdict = "CRASH" if self.crashed else "ok"
        return f"{self.target}: {verdict}, {runs} runs in {self.seconds:.1f} s" + "".join(
            f"\n  saved {path}" for path in self.artifacts
        )

    def report(self) -> str:
        """The summary and the end of libFuzzer's log: the exception and its traceback."""
        return self.summary() + "\n" + "\n".join(self.log.splitlines()[-60:])


def seed_corpus(target: str, folder: Path) -> Path:
    """``folder`` holding ``target``'s seeds (named by their SHA-1, as libFuzzer names inputs)."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed in load(target).SEEDS:
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    return folder


def fuzz(
    target: str,
    *,
    runs: int | None = None,
    seconds: int | None = None,
    corpus: Path | None = None,
    artifacts: Path = ARTIFACTS,
    inputs: tuple[Path, ...] = (),
) -> Outcome:
    """Fuzz ``target`` for ``runs`` inputs or ``seconds`` (whichever ends first), starting from
    its seeds in ``corpus`` (default: its folder under ``artifacts``, which keeps what the run
    found); with ``inputs``, run just those files once each (to reproduce a crash)."""
    saved = artifacts / target
    saved.mkdir(parents=True, exist_ok=True)
    before = set(saved.iterdir())
    largest = max(map(len, load(target).SEEDS))
    command = [
        sys.executable,
        "-m",
        "tests.fuzz.child",
        target,
        f"-artifact_prefix={saved}{os.sep}",
        f"-timeout={HANG_SECONDS}",
        f"-rss_limit_mb={RSS_LIMIT_MB + _inherited_rss_mb()}",
        f"-max_len={max(4096, 2 * largest)}",
        "-print_final_stats=1",
    ]
    if runs is not None:
        command.append(f"-runs={runs}")
    if seconds is not None:
        command.append(f"-max_total_time={seconds}")
    if inputs:
        command += [str(path) for path in inputs]
    else:
        command.append(str(seed_corpus(target, corpus or artifacts / "corpus" / target)))
    start = time.monotonic()
    finished = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, errors="replace", check=False
    )
    return Outcome(
        target,
        finished.returncode,
        time.monotonic() - start,
        tuple(sorted(set(saved.iterdir()) - before)),
        finished.stdout + finished.stderr,
    )
