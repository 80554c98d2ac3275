"""PNG charts of the sections' time series, for a page or a pull request where a text chart
is too coarse: stacked panels over one time axis, drawn by matplotlib when it is installed
(the bench extra). Without it, a line says the PNGs were skipped; the sections' tables and
text charts stay the record either way."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

INSTALL = "pip install -e '.[bench]'"


@dataclass(frozen=True)
class Panel:
    label: str  # the y axis
    values: Sequence[float | None]  # one per x; None leaves a gap
    style: str = "step"  # "step": a level held over each x; "bars"; "points"
    limit: float | None = None  # a target, drawn as a dashed line


def draw(
    path: Path,
    title: str,
    x: Sequence[float],
    x_label: str,
    panels: Sequence[Panel],
    shaded: Sequence[tuple[float, float]] = (),
) -> None:
    """Write the panels, stacked over ``x``, to ``path`` (a PNG), each with the ``shaded``
    spans of x behind it; say where, or that matplotlib is missing."""
    if importlib.util.find_spec("matplotlib") is None:
        print(f"Plots skipped: matplotlib is not installed ({INSTALL}); {path.name} not drawn.")
        return
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(
        len(panels), 1, sharex=True, squeeze=False, figsize=(10, 1 + 2.2 * len(panels))
    )
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        values = [float("nan") if value is None else value for value in panel.values]
        if panel.style == "bars":
            ax.bar(x, values, width=0.9, align="edge", color="tab:blue")
        elif panel.style == "points":
            ax.plot(x, values, ".", markersize=2, color="tab:blue")
        else:
            ax.step(x, values, where="post", color="tab:blue")
        if panel.limit is not None:
            ax.axhline(panel.limit, color="tab:red", linestyle="--", linewidth=1)
        for start, end in shaded:
            ax.axvspan(start, end, color="tab:orange", alpha=0.15, linewidth=0)
        ax.set_ylabel(panel.label)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(x_label)
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    print(f"Plot: {path}", flush=True)
