"""How the sections print: a Markdown table each, then verdict lines against the targets."""

from __future__ import annotations

from collections.abc import Sequence


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table: the first column left-aligned (names), the others right (figures)."""
    print(f"| {' | '.join(header)} |")
    print(f"|---|{'---:|' * (len(header) - 1)}")
    for row in rows:
        print(f"| {' | '.join(row)} |")


def verdict(met: bool) -> str:
    return "meets" if met else "MISSES"


def heading(text: str) -> None:
    """A section's caption, set off from the previous section's output."""
    print(f"\n{text}\n", flush=True)
