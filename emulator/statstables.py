"""``popcache stats``' tables, from the JSON of ``/cdn-cgi/popcache/stats``.

Pure: the JSON in, lines out. The JSON comes over the network and its names from requests, so
a missing figure shows as 0 and every name is printed with control characters escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .printable import printable

__all__ = ["stats_tables"]

_OUTCOMES = ("hit", "stale", "collapsed", "miss", "placeholder", "bypass", "error")
_FIGURES = ("requests", *_OUTCOMES, "hit ratio", "origin", "offload", "p50 ms", "p99 ms", "5xx")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell: the first to the left, numbers to the right."""
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    return [
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *rows)
    ]


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(figures: Mapping[str, Any], name: str) -> float:
    value = figures.get(name, 0)
    return value if isinstance(value, int | float) else 0


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _summary(name: str, figures: Mapping[str, Any]) -> list[str]:
    return [
        printable(name) or '""',
        f"{_number(figures, 'requests'):g}",
        *(f"{_number(figures, outcome):g}" for outcome in _OUTCOMES),
        _percent(_number(figures, "hit_ratio")),
        f"{_number(figures, 'origin_requests'):g}",
        _percent(_number(figures, "offload")),
        f"{_number(figures, 'p50_ms'):.1f}",
        f"{_number(figures, 'p99_ms'):.1f}",
        f"{_number(figures, 'errors'):g}",
    ]


def _named(stats: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    return [(str(name), _map(figures)) for name, figures in _map(stats.get(key)).items()]


def stats_tables(stats: Mapping[str, Any], source: str) -> list[str]:
    """The lines ``popcache stats`` prints for ``stats``, fetched from ``source``."""
    lines = [f"popcache stats: {source}, the last {_number(stats, 'window'):g} s", ""]
    pops = _named(stats, "pops")
    lines += _table(
        ("PoP", *_FIGURES, "back-pressure"),
        [
            [*_summary("total", _map(stats.get("total"))), ""],
            *(
                [*_summary(pop, figures), f"{_number(figures, 'backpressure'):g}"]
                for pop, figures in pops
            ),
        ],
    )
    lines += [
        "",
        *_table(("class", *_FIGURES), [_summary(*item) for item in _named(stats, "classes")]),
    ]
    zones = [
        [
            printable(zone) or '""',
            f"{_number(figures, 'requests'):g}",
            f"{_number(figures, 'errors'):g}",
            _percent(_number(figures, "error_rate")),
        ]
        for zone, figures in _named(stats, "zones")
    ]
    lines += ["", *_table(("zone", "requests", "5xx", "error rate"), zones)]
    invalidation = _map(stats.get("invalidation"))
    lines += [
        "",
        *_table(
            ("invalidations", "p50 ms", "p99 ms"),
            [
                [
                    f"{_number(invalidation, 'count'):g}",
                    f"{_number(invalidation, 'p50_ms'):.1f}",
                    f"{_number(invalidation, 'p99_ms'):.1f}",
                ]
            ],
        ),
    ]
    queues = [
        [printable(str(name)), printable(str(depth))]
        for name, depth in _map(stats.get("queues")).items()
    ]
    lines += ["", *_table(("queue", "messages"), queues)]
    purges = _purges(stats.get("purges"))
    lines += ["", *_table(("purge (UTC)", "mode", "by", "values", "entries"), purges)]
    return lines


def _purges(purges: object) -> list[list[str]]:
    if not isinstance(purges, list):
        return []
    rows = []
    for purge in map(_map, purges):
        values = purge.get("values")
        shown = ", ".join(map(str, values)) if isinstance(values, list) else ""
        rows.append(
            [
                datetime.fromtimestamp(_number(purge, "time"), UTC).strftime("%H:%M:%S"),
                printable(str(purge.get("mode", ""))),
                printable(str(purge.get("selector", ""))),
                printable(shown[:60]) or "-",
                f"{_number(purge, 'affected'):g}",
            ]
        )
    return rows
