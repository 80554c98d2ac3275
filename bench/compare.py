"""Servers side by side: alternating wrk rounds, then (when valgrind is there and wanted)
instructions per request under callgrind, printed as one table against the first server."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable, Sequence
from contextlib import ExitStack
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
    ready: str = "ready"  # what a line on the server's stdout holds once it is listening


@dataclass
class Comparison:
    contenders: tuple[Contender, ...]  # the first is the base
    medians: dict[str, Sample]
    # Each one's requests/s over the base's: the median of per-round ratios (the base's is 1).
    ratios: dict[str, float]
    instructions: dict[str, float]  # empty when callgrind did not run

    @property
    def base(self) -> Contender:
        return self.contenders[0]

    @property
    def ratio(self) -> float:
        """The second's ratio: what a comparison of two is about."""
        return self.ratios[self.contenders[1].name]


def callgrind_wanted(args: argparse.Namespace) -> bool:
    return bool(shutil.which("valgrind")) and not args.no_callgrind


def _check(contenders: Sequence[Contender], urls: dict[str, str]) -> None:
    for contender in contenders:
        if contender.check is not None:
            contender.check(urls[contender.name])


def compare(base: Contender, other: Contender, args: argparse.Namespace) -> Comparison:
    return compare_all((base, other), args, callgrind=callgrind_wanted(args))


def compare_all(
    contenders: Sequence[Contender], args: argparse.Namespace, *, callgrind: bool
) -> Comparison:
    """Every contender's server up at once, the wrk rounds taking them in turn; against the
    first."""
    ports = {c.name: free_port() for c in contenders}
    urls = {c.name: f"http://127.0.0.1:{ports[c.name]}{c.path}" for c in contenders}
    with ExitStack() as servers:
        for contender in contenders:
            servers.enter_context(server(contender.command(ports[contender.name]), contender.ready))
        _check(contenders, urls)
        results = alternating(urls, args.rounds, args.seconds, args.connections)
        _check(contenders, urls)
    instructions: dict[str, float] = {}
    if callgrind:
        for contender in contenders:
            port = free_port()
            instructions[contender.name] = instructions_per_request(
                contender.command(port), port, contender.path
            )
    base = [s.rps for s in results[contenders[0].name]]
    return Comparison(
        tuple(contenders),
        {name: median(samples) for name, samples in results.items()},
        {name: paired_ratio([s.rps for s in samples], base) for name, samples in results.items()},
        instructions,
    )


def comparison_rows(comparison: Comparison) -> list[list[str]]:
    """Each contender's name, requests/s, p50 and p99 ms, and ratio to the base."""
    rows = []
    for contender in comparison.contenders:
        sample = comparison.medians[contender.name]
        rows.append(
            [
                contender.name,
                f"{sample.rps:,.0f}",
                f"{sample.p50_ms:.2f}",
                f"{sample.p99_ms:.2f}",
                f"{comparison.ratios[contender.name]:.2f}",
            ]
        )
    return rows


def print_comparison(comparison: Comparison) -> None:
    base = comparison.base.name
    rows = []
    for row in comparison_rows(comparison):
        counted = comparison.instructions.get(row[0])
        counts = (
            [f"{counted:,.0f}", f"{comparison.instructions[base] / counted:.2f}"]
            if counted
            else ["not measured", "not measured"]
        )
        rows.append([*row, *counts])
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
