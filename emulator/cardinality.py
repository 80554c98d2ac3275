"""Label values that come from requests, bounded: at most ``MAX_NAMES`` per group.

PoPs, zones, classes and cache outcomes are whatever a worker wrote in its data points, so a
worker (or a client whose input reaches them) could make any number of them. Every figure
keyed by one keeps the ``MAX_NAMES`` with the most requests and counts the rest under
``OTHER``: a dashboard, a table or a Prometheus scrape never grows past 17 names a group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = ["MAX_NAMES", "OTHER", "StickyLabels", "labeller", "relabel"]

MAX_NAMES = 16
OTHER = "other"

K = TypeVar("K")
V = TypeVar("V")


def _heaviest(weights: Mapping[str, float], limit: int) -> list[str]:
    """The ``limit`` heaviest names, ties by name so the choice never flickers."""
    return sorted(weights, key=lambda name: (-weights[name], name))[:limit]


def labeller(weights: Mapping[str, float], limit: int = MAX_NAMES) -> Callable[[str], str]:
    """Each name's label: itself if it is among the ``limit`` heaviest, else ``OTHER``."""
    kept = frozenset(_heaviest(weights, limit))
    return lambda name: name if name in kept else OTHER


def relabel(
    groups: Mapping[K, V], label: Callable[[K], str], combine: Callable[[list[V]], V]
) -> dict[str, V]:
    """``groups`` under their labels, those sharing one combined."""
    members: dict[str, list[V]] = {}
    for name, value in groups.items():
        members.setdefault(label(name), []).append(value)
    return {key: combine(values) for key, values in members.items()}


class StickyLabels:
    """Labels that never move: a name admitted keeps its own label for good, so a cumulative
    counter under it (or under ``OTHER``) never goes down when another name grows."""

    def __init__(self, limit: int = MAX_NAMES) -> None:
        self._limit = limit
        self._kept: set[str] = set()

    def admit(self, weights: Mapping[str, float]) -> None:
        """Give the heaviest new names their own label while there is room."""
        room = self._limit - len(self._kept)
        if room > 0:
            new = {name: weight for name, weight in weights.items() if name not in self._kept}
            self._kept.update(_heaviest(new, room))

    def __call__(self, name: str) -> str:
        return name if name in self._kept else OTHER

    def __len__(self) -> int:
        """The names admitted: at most the limit."""
        return len(self._kept)
