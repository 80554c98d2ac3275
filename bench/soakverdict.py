"""What the soak (bench/soak.py) judges: which answers are errors, whether a table stayed
bounded, whether memory stayed flat. Pure: samples in, verdicts out, so the rules are tested
apart from a five-minute run.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FLAT_SHARE",
    "FLAT_SLACK",
    "INTENDED",
    "RSS_GROWTH",
    "TableRun",
    "flat",
    "intended",
    "rss_flat",
    "status_class",
    "table_runs",
    "trend",
]

INTENDED: dict[tuple[int, str], str] = {
    (429, "subrequests"): "a batch item past the batch's subrequest budget (docs/batch.md)",
    (503, "origin"): "the origin asked for a rest and nothing stale could stand in "
    "(docs/placeholders.md, back-pressure)",
}
"""The error answers the edge gives by design, by status and the problem's ``field``: a load
that meets them has met a documented limit, not a fault. 202 placeholders are answers (2xx)."""

RSS_GROWTH = 0.2
"""Resident memory may end at most this share above where it was after the warm-up."""
FLAT_SHARE = 0.2
FLAT_SLACK = 16
"""A table with no cap is flat when the mean of its last third of samples is at most its first
third's mean plus ``FLAT_SHARE`` of it plus ``FLAT_SLACK`` entries (in-flight tables swing
with the moment's load by about the number of clients)."""


def status_class(status: int | None) -> str:
    """``2xx`` … ``5xx``, or ``no answer`` for a request that got none."""
    return "no answer" if status is None else f"{status // 100}xx"


def intended(status: int | None, field: str | None) -> bool:
    """Whether an answer is not an error, or one the edge gives by design (``INTENDED``)."""
    if status is None:
        return False
    return status < 400 or (status, field or "") in INTENDED


def _thirds(sizes: Sequence[int]) -> tuple[float, float]:
    """The mean of the first third of ``sizes`` and of the last."""
    third = max(1, len(sizes) // 3)
    return statistics.fmean(sizes[:third]), statistics.fmean(sizes[-third:])


def flat(sizes: Sequence[int]) -> bool:
    """Whether a table's sizes, sampled over the run, show no growth (see ``FLAT_SHARE``)."""
    first, last = _thirds(sizes)
    return last <= first * (1 + FLAT_SHARE) + FLAT_SLACK


def trend(sizes: Sequence[int]) -> float:
    """How much the last third of ``sizes`` is above the first, as a share of the first: the
    growth of what swings with the moment (live objects, with the requests in flight)."""
    first, last = _thirds(sizes)
    return last / first - 1 if first else 0.0


def rss_flat(start: int, end: int) -> bool:
    """Whether resident memory ended within ``RSS_GROWTH`` of where it started."""
    return end <= start * (1 + RSS_GROWTH)


@dataclass(frozen=True)
class TableRun:
    """One table's sizes over the run, the first taken after the warm-up, and its cap."""

    name: str
    limit: int | None
    sizes: tuple[int, ...]

    @property
    def start(self) -> int:
        return self.sizes[0]

    @property
    def most(self) -> int:
        return max(self.sizes)

    @property
    def end(self) -> int:
        return self.sizes[-1]

    def bounded(self) -> bool:
        """Never past its cap, or, with none, flat."""
        return self.most <= self.limit if self.limit is not None else flat(self.sizes)


def table_runs(samples: Sequence[Mapping[str, Any]]) -> list[TableRun]:
    """Every table of a run's ``/cdn-cgi/popcache/internals`` samples: the emulator's own as
    ``emulator <name>``, a PoP's as ``PoP <name>`` and its worker's as ``PoP worker <name>``,
    those two the largest PoP's at each sample (a cap holds per PoP)."""
    found: dict[str, tuple[int | None, list[int]]] = {}
    for sample in samples:
        seen: dict[str, tuple[int | None, int]] = {}
        for name, entry in sample["emulator"].items():
            seen[f"emulator {name}"] = (entry["limit"], entry["size"])
        for pop in sample["pops"].values():
            tables = {f"PoP {name}": entry for name, entry in pop.items() if name != "worker"}
            worker = pop.get("worker") or {}
            tables.update({f"PoP worker {name}": entry for name, entry in worker.items()})
            for name, entry in tables.items():
                if isinstance(entry, Mapping):
                    largest = seen.get(name, (None, 0))[1]
                    seen[name] = (entry["limit"], max(entry["size"], largest))
        for name, (limit, size) in seen.items():
            found.setdefault(name, (limit, []))[1].append(size)
    return [TableRun(name, limit, tuple(sizes)) for name, (limit, sizes) in found.items()]
