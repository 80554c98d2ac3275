"""Cache hits through the emulator: the edge bundle serving one stored product next to the
trivial worker of the foundation benchmark, both as ``popcache dev`` processes.

The edge is primed with one request before the rounds (the next must be a hit, and still be
one after them); under callgrind the warm-up requests prime it. Target (issue #3): the edge
keeps at least 80% of the trivial worker's throughput.
"""

from __future__ import annotations

import argparse

from . import servers
from .compare import Contender, compare, print_comparison
from .measure import cache_status, free_port
from .report import heading, verdict

PATH = "/api/products/BEV-COFFEE"
TARGET_RATIO = 0.80


def must_hit(url: str, header: str = "cache-status") -> None:
    """Fill the cache for ``url`` (if it is not yet) and insist the next request is a hit, as
    the response's ``header`` says (Cache-Status: ``...; hit``; nginx's X-Cache-Status:
    ``HIT``)."""
    cache_status(url, header)
    status = cache_status(url, header)
    if "hit" not in status.lower():
        raise SystemExit(f"bench: {url} is not a cache hit: {header} {status!r}")


def edge(port: int) -> list[str]:
    return servers.edge(port, free_port())


def run(args: argparse.Namespace) -> None:
    comparison = compare(
        Contender("trivial worker", servers.trivial, PATH),
        Contender("edge bundle, cache hit", edge, PATH, check=must_hit),
        args,
    )
    heading(
        f"Edge cache hits (GET {PATH}) next to the trivial worker, both through the emulator, "
        f"{args.rounds} alternating rounds of {args.seconds} s, wrk -t1 -c{args.connections}; "
        f"medians, the ratio is the median of per-round ratios:"
    )
    print_comparison(comparison)
    ratio = comparison.ratio
    kept = verdict(
        ratio >= TARGET_RATIO, f"hits ≥ {TARGET_RATIO:.0%} of the trivial worker", f"{ratio:.0%}"
    )
    print(
        f"\nEdge cache hits keep {ratio:.0%} of the trivial worker's throughput "
        f"({kept} the {TARGET_RATIO:.0%} target).",
        flush=True,
    )
