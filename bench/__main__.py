"""``python -m bench``: popcache's benchmarks, one Markdown table a section, in one run.

Sections, in order:
  runtime   the emulator running a trivial worker next to bare aiohttp (wrk rounds, callgrind
            instructions), and popcache dev's start-to-ready time;
  overhead  the edge's cost per cache hit, in-process (a PoP called directly, no network),
            next to the trivial worker's, and the proxy core's alone;
  hits      cache-hit throughput of the edge bundle through the emulator next to the trivial
            worker (wrk rounds, callgrind instructions);
  stampede  1,000 concurrent clients on one cold key through one PoP: origin requests, latency;
  coldstart the bundle's import time inside Pyodide under Node (interpreter start excluded);
  zones     zone lookup over 10,000 zones of a city-scale mix, in-process: the index's build
            time, median and p99 per lookup, next to a scan of every zone;
  batch     POST /_edge/batch against a 50 ms origin: a cold 20-item batch next to 20
            sequential and 20 concurrent calls, an all-hit batch (and its CPU per item,
            in-process), and the origin requests dedup saves on a storefront's pages;
  slow      a slow origin (issue #7): 500 concurrent clients on 50 cold keys with a 150 ms
            budget and a 2 s origin (placeholder latency, origin requests per key, polls that
            hit), then the back-pressure step, hit ratio and origin load second by second while
            the origin turns overloaded and recovers (a table and a text chart);
  events    10,000 inventory events on 200 skus over 10 s (issue #8): purge calls against
            ceil(distinct tags / 100) per queue batch, invalidation latency p50/p99, and the
            origin requests of the refill after the purges;
  warming   a promotion of 1,000 pages warmed by the cron under a 600/min budget (issue #9):
            the busiest minute at the origin, and the hit ratio at the opening in each PoP
            (lower or upper tier) with and without.

  metrics   the request data points' cost on the hit path (issue #10): the edge bundle with
            its METRICS binding next to the same bundle without, in-process, CPU time.
  anchors   the hits section's load (issue #11) against nginx proxy_cache (configured by the
            bench on loopback) and the emulator running the edge bundle, each in front of a
            demo origin counting what reaches it, and bare aiohttp answering the same body.
  soak      popcache dev with the edge bundle under five minutes of mixed load (issue #11:
            pages, listings, batches, views over three PoPs; a stock change every second):
            errors, resident memory, and the size of every table that could grow
            (/cdn-cgi/popcache/internals) against its cap.

Servers run as separate processes pinned to CPU 0, wrk to CPU 1 (when taskset is there), in
alternating rounds, so each ratio holds even on a noisy machine; instruction counts under
callgrind (when valgrind is installed) are repeatable to the percent. Each section prints its
table and whether it meets its target when it finishes. Without wrk (or nginx, for anchors),
the sections needing it are skipped, the others run, and the exit code is 2. The slow and
events sections also draw their time series as PNGs (--plots; needs matplotlib, the bench
extra: pip install -e '.[bench]').
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from . import (
    anchors,
    edge_batch,
    edge_coldstart,
    edge_events,
    edge_hits,
    edge_metrics,
    edge_overhead,
    edge_slow,
    edge_stampede,
    edge_warming,
    edge_zones,
    report,
    runtime,
    soak,
)
from .measure import tool

SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "runtime": runtime.run,
    "overhead": edge_overhead.run,
    "hits": edge_hits.run,
    "stampede": edge_stampede.run,
    "coldstart": edge_coldstart.run,
    "zones": edge_zones.run,
    "batch": edge_batch.run,
    "slow": edge_slow.run,
    "events": edge_events.run,
    "warming": edge_warming.run,
    "metrics": edge_metrics.run,
    "anchors": anchors.run,
    "soak": soak.run,
}
# The programs sections run, the sections that need each, and how to install it.
NEEDS: dict[str, tuple[frozenset[str], str]] = {
    "wrk": (frozenset({"runtime", "hits", "anchors"}), "apt-get install wrk"),
    "nginx": (frozenset({"anchors"}), "apt-get install nginx-light"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(SECTIONS),
        metavar="SECTION",
        help=f"run this section only (repeatable; one of {', '.join(SECTIONS)}); default: all",
    )
    wrk = parser.add_argument_group("wrk rounds (runtime, hits, metrics, anchors)")
    wrk.add_argument("--seconds", type=int, default=3, help="length of one wrk round (3)")
    wrk.add_argument("--rounds", type=int, default=7, help="rounds per server (7)")
    wrk.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    wrk.add_argument("--no-callgrind", action="store_true", help="skip instruction counts")
    calls = parser.add_argument_group("in-process calls (overhead, zones, metrics)")
    calls.add_argument("--batch", type=int, default=2000, help="calls per timed batch (2000)")
    calls.add_argument("--batches", type=int, default=7, help="batches of each (7)")
    herd = parser.add_argument_group("stampede")
    herd.add_argument("--clients", type=int, default=1000, help="concurrent clients (1000)")
    herd.add_argument(
        "--origin-delay", type=float, default=0.2, help="seconds the origin takes to answer (0.2)"
    )
    parser.add_argument(
        "--soak-seconds",
        type=int,
        default=300,
        metavar="N",
        help="how long the soak section drives load (300)",
    )
    parser.add_argument(
        "--plots",
        type=Path,
        default=Path(__file__).resolve().parent / "plots",
        metavar="DIR",
        help="where the slow and events sections write their PNG charts (bench/plots/)",
    )
    return parser


def main() -> int:
    args = _parser().parse_args()
    selected = [name for name in SECTIONS if name in (args.only or SECTIONS)]
    skipped: list[str] = []
    for program, (needers, install) in NEEDS.items():
        lacking = [name for name in selected if name in needers and name not in skipped]
        if lacking and tool(program) is None:
            print(
                f"bench: {program} is not installed ({install}); skipping {', '.join(lacking)}",
                file=sys.stderr,
            )
            skipped += lacking
    for name in selected:
        if name not in skipped:
            report.section(name)
            SECTIONS[name](args)
    report.summary()
    return 2 if skipped else 0


if __name__ == "__main__":
    raise SystemExit(main())
