"""How the sections print: a Markdown table each, then verdict lines against the targets, and
at the end of a run one table of every target the run measured (``summary``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    section: str
    target: str
    measured: str
    met: bool


_verdicts: list[Verdict] = []
_section = ""


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table: the first column left-aligned (names), the others right (figures)."""
    print(f"| {' | '.join(header)} |")
    print(f"|---|{'---:|' * (len(header) - 1)}")
    for row in rows:
        print(f"| {' | '.join(row)} |")


def section(name: str) -> None:
    """The section whose verdicts follow."""
    global _section
    _section = name


def verdict(met: bool, target: str, measured: str) -> str:
    """``meets`` or ``MISSES``, for a verdict line; the verdict is kept for ``summary``."""
    _verdicts.append(Verdict(_section, target, measured, met))
    return "meets" if met else "MISSES"


def summary() -> None:
    """One table of every target measured in this run, side by side."""
    if not _verdicts:
        return
    heading("Every target of this run:")
    table(
        ["section", "target", "measured", "verdict"],
        [[v.section, v.target, v.measured, "meets" if v.met else "MISSES"] for v in _verdicts],
    )


def heading(text: str) -> None:
    """A section's caption, set off from the previous section's output."""
    print(f"\n{text}\n", flush=True)
