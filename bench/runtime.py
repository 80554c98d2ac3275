"""The foundation benchmark: the emulator running a trivial worker next to bare aiohttp, and
how long ``popcache dev`` takes to be ready.

Both servers run as separate processes, measured in alternating wrk rounds on loopback. When
valgrind is installed, each also runs under callgrind for a fixed number of requests:
instructions per request do not depend on what else the machine is doing, so that ratio is
repeatable to the percent.
"""

from __future__ import annotations

import argparse

from . import servers
from .compare import Contender, compare, print_comparison
from .measure import start_to_ready
from .report import heading, verdict

TARGET_RATIO = 0.70


def run(args: argparse.Namespace) -> None:
    comparison = compare(
        Contender("bare aiohttp", servers.bare),
        Contender("popcache emulator", servers.trivial),
        args,
    )
    ready_trivial = start_to_ready(servers.trivial(0), 5)
    ready_default = start_to_ready(servers.edge(0, 0), 5)
    heading(
        f"Trivial Python Worker, {args.rounds} alternating rounds of {args.seconds} s, "
        f"wrk -t1 -c{args.connections}; medians, the ratio is the median of per-round "
        f"ratios:"
    )
    print_comparison(comparison)
    ratio = comparison.ratio
    kept = verdict(
        ratio >= TARGET_RATIO, f"emulator ≥ {TARGET_RATIO:.0%} of bare aiohttp", f"{ratio:.0%}"
    )
    print(
        f"\nEmulator keeps {ratio:.0%} of bare aiohttp's throughput "
        f"({kept} the {TARGET_RATIO:.0%} target)."
    )
    print(
        f"popcache dev start-to-ready (median of 5): trivial worker {ready_trivial:.2f} s; "
        f"embedded default with demo origin {ready_default:.2f} s.",
        flush=True,
    )
