"""What the request data points cost a cache hit (issue #10): the edge bundle with its
``METRICS`` Analytics Engine binding next to a copy of it without (the Worker then writes no
point), on the same hit.

Measured side by side: the throughput of two ``popcache dev`` processes under wrk in
alternating rounds and their instructions per hit under callgrind (the target: metrics cost at
most 5% of a hit, judged by instructions when valgrind is there), and the CPU time per hit of
one PoP of each called directly in-process, which shows the cost in µs without the front
door and HTTP around it. The emulator computes its figures when they are read (the stats
endpoint, the dashboard, a Prometheus scrape), so what a hit pays is the edge's tally, the
point it builds and ``writeDataPoint``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from emulator.app import Emulator
from emulator.origin import start_origin
from emulator.wrangler import load_config

from . import servers
from .compare import Contender, compare, print_comparison
from .edge_hits import must_hit
from .edge_overhead import PATH, alternating, pop_call
from .measure import free_port
from .report import heading, table, verdict

TARGET = 0.05
ON, OFF = "metrics on", "metrics off"
_DATASETS = re.compile(r"^\[\[analytics_engine_datasets\]\]\n(?:[^\[\n].*\n|\n)*", re.MULTILINE)


def without_metrics(dest: Path) -> Path:
    """A copy of the bundle in ``dest`` whose wrangler.toml binds no Analytics Engine dataset."""
    source = servers.EDGE.read_text(encoding="utf-8")
    stripped, found = _DATASETS.subn("", source)
    if found != 1:
        raise SystemExit("bench: wrangler.toml has no [[analytics_engine_datasets]] to leave out")
    (dest / "wrangler.toml").write_text(stripped, encoding="utf-8")
    edge = servers.EDGE.parent / "edge"
    shutil.copytree(edge, dest / "edge", ignore=shutil.ignore_patterns("__pycache__"))
    return dest / "wrangler.toml"


async def cpu_per_hit(batch: int, batches: int) -> dict[str, list[float]]:
    """µs of CPU per hit of each, one batch of each per round; the rounds' figures in order."""
    runner, origin = await start_origin()
    config = load_config(servers.EDGE)
    emulators = {
        ON: Emulator(config, origin=origin),
        OFF: Emulator(dataclasses.replace(config, datasets=()), origin=origin),
    }
    try:
        calls = {name: pop_call(emulator) for name, emulator in emulators.items()}
        times = await alternating(calls, batch, batches)
        points = sum(1 for _ in emulators[ON].datapoints)
        if points < batch * batches:
            raise SystemExit(f"bench: the edge wrote {points} data points, not one per request")
        return times
    finally:
        for emulator in emulators.values():
            await emulator.stop()
        await runner.cleanup()


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="popcache-bench-metrics-") as tmp:
        bare = without_metrics(Path(tmp))
        comparison = compare(
            Contender(OFF, lambda port: servers.edge(port, free_port(), bare), PATH, must_hit),
            Contender(ON, lambda port: servers.edge(port, free_port()), PATH, must_hit),
            args,
        )
    heading(
        f"Request data points on the hit path (GET {PATH}): the edge bundle with its METRICS "
        f"binding next to a copy without, both through the emulator, {args.rounds} alternating "
        f"rounds of {args.seconds} s, wrk -t1 -c{args.connections}; medians, the ratio is the "
        f"median of per-round ratios:"
    )
    print_comparison(comparison)
    times = asyncio.run(cpu_per_hit(args.batch, args.batches))
    on, off = min(times[ON]), min(times[OFF])
    per_batch = statistics.median(n - f for n, f in zip(times[ON], times[OFF], strict=True))
    print()
    table(
        ["in-process, a PoP called directly (CPU time, fastest batch)", "µs per hit"],
        [
            ["edge bundle, METRICS bound (one point per request)", f"{on:.1f}"],
            ["edge bundle, no METRICS binding", f"{off:.1f}"],
            ["the points' cost per hit (median per-batch difference)", f"{per_batch:.1f}"],
        ],
    )
    counted = comparison.instructions
    if counted:
        # Instructions do not depend on the machine's load: the steadier measure of a cost a
        # few percent wide, where wrk rounds on a shared machine swing by more than that.
        cost, measure = 1 - counted[OFF] / counted[ON], "instructions per hit (callgrind)"
    else:
        cost, measure = 1 - comparison.ratio, "throughput (wrk, median per-round ratio)"
    cheap = verdict(cost <= TARGET, f"metrics cost ≤ {TARGET:.0%} of a hit", f"{cost:.1%}")
    print(
        f"\nMetrics cost {cost:.1%} of a hit's {measure} ({cheap} the ≤ {TARGET:.0%} target); "
        f"throughput with them is {comparison.ratio:.2f} of without (median per-round ratio); "
        f"about {per_batch:.1f} µs of CPU per hit, in-process.",
        flush=True,
    )
