"""Plain-text charts for a terminal or a Markdown code block: one column per sample, no
dependencies.

A chart is bars rising from the bottom row, each filled to its value rounded to the nearest
row; a missing value (``None``) leaves its column blank. Strips (one character per sample) and
an axis of ticks line up under the charts, all behind the same left gutter of labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

__all__ = ["axis", "bars", "strip"]

GUTTER = 12  # width of the labels left of each row, the "|" included


def _gutter(label: str) -> str:
    return f"{label[: GUTTER - 2]:>{GUTTER - 2}} |"


def filled_rows(value: float, top: float, rows: int) -> int:
    """How many of ``rows`` rows a bar of ``value`` fills, on a scale whose top row is ``top``
    (rounded to the nearest row, halves up; clamped to 0..rows)."""
    if not math.isfinite(value) or top <= 0:
        return 0
    return max(0, min(rows, math.floor(value / top * rows + 0.5)))


def bars(
    values: Sequence[float | None],
    *,
    top: float,
    rows: int,
    label: Callable[[float], str],
    fill: str = "#",
) -> list[str]:
    """The chart's lines, top row first: ``rows`` rows of bars, row ``k`` (counted from 1 at
    the bottom) labelled ``label(top * k / rows)``, then the zero line, labelled
    ``label(0)``, with ``-`` under every sample that has a value."""
    if rows < 1:
        raise ValueError(f"rows must be >= 1, not {rows}")
    heights = [None if value is None else filled_rows(value, top, rows) for value in values]
    lines = []
    for row in range(rows, 0, -1):
        cells = "".join(" " if h is None else fill if h >= row else " " for h in heights)
        lines.append(_gutter(label(top * row / rows)) + cells.rstrip())
    base = "".join(" " if h is None else "-" for h in heights)
    lines.append(_gutter(label(0.0)) + base.rstrip())
    return lines


def strip(name: str, marks: str) -> str:
    """One character per sample under the charts, e.g. the origin's state each second."""
    return _gutter(name) + marks


def axis(samples: int, every: int = 10, unit: str = "s") -> list[str]:
    """Tick marks every ``every`` samples and their numbers under them."""
    if every < 1:
        raise ValueError(f"every must be >= 1, not {every}")
    ticks = "".join("|" if n % every == 0 else "-" for n in range(samples))
    numbers = [" "] * samples
    for n in range(0, samples, every):
        text = str(n)
        if n + len(text) <= samples:
            numbers[n : n + len(text)] = text
    return [_gutter("") + ticks, _gutter(unit) + "".join(numbers).rstrip()]
