"""Two servers side by side: alternating wrk rounds, then (when valgrind is there and wanted)
instructions per request under callgrind, printed as one table against the first server."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from .measure import (
    Sample,
    alternating,
    free_port,
    instructions_per_request,
    median,
    paired_ratio,
    server,
)
from .report import table


@dataclass(frozen=True)
class Contender:
    name: str
    command: Callable[[int], list[str]]  # the command line, given the port to listen on
    path: str = "/"
    # Run on the server's URL (path included) before the rounds and again after them.
    check: Callable[[str], None] | None = None


@dataclass
class Comparison:
    base: Contender
    other: Contender
    medians: dict[str, Sample]
    ratio: float  # other's requests/s over base's: the median of per-round ratios
    instructions: dict[str, float]  # empty when callgrind did not run


def callgrind_wanted(args: argparse.Namespace) -> bool:
    return bool(shutil.which("valgrind")) and not args.no_callgrind


def _check(contender: Contender, urls: dict[str, str]) -> None:
    if contender.check is not None:
        contender.check(urls[contender.name])


def compare(base: Contender, other: Contender, args: argparse.Namespace) -> Comparison:
    ports = {base.name: free_port(), other.name: free_port()}
    urls = {c.name: f"http://127.0.0.1:{ports[c.name]}{c.path}" for c in (base, other)}
    with (
        server(base.command(ports[base.name]), "ready"),
        server(other.command(ports[other.name]), "ready"),
    ):
        _check(base, urls)
        _check(other, urls)
        results = alternating(urls, args.rounds, args.seconds, args.connections)
        _check(base, urls)
        _check(other, urls)
    instructions: dict[str, float] = {}
    if callgrind_wanted(args):
        for contender in (base, other):
            port = free_port()
            instructions[contender.name] = instructions_per_request(
                contender.command(port), port, contender.path
            )
    return Comparison(
        base,
        other,
        {name: median(samples) for name, samples in results.items()},
        paired_ratio([s.rps for s in results[other.name]], [s.rps for s in results[base.name]]),
        instructions,
    )


def print_comparison(comparison: Comparison) -> None:
    base = comparison.base.name
    rows = []
    for name, share in ((base, 1.0), (comparison.other.name, comparison.ratio)):
        sample, counted = comparison.medians[name], comparison.instructions.get(name)
        counts = (
            [f"{counted:,.0f}", f"{comparison.instructions[base] / counted:.2f}"]
            if counted
            else ["not measured", "not measured"]
        )
        rows.append(
            [
                name,
                f"{sample.rps:,.0f}",
                f"{sample.p50_ms:.2f}",
                f"{sample.p99_ms:.2f}",
                f"{share:.2f}",
                *counts,
            ]
        )
    table(
        [
            "target",
            "requests/s",
            "p50 ms",
            "p99 ms",
            f"ratio to {base}",
            "instructions/request",
            "instruction ratio",
        ],
        rows,
    )
