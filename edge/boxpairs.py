"""Which of many boxes meet: the broad phase of every comparison ``zonecheck`` makes.

Edges of one ring, rings of two zones, zones of one level and priority: each check first needs
the pairs whose boxes meet (within ``planar.TOLERANCE``), and comparing all against all costs a
square: 50 million tests for the edges of one 10,000-vertex ring. Beyond a few boxes they are
bucketed in a grid of square cells instead, so each box is tested only against its neighbours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from planar import TOLERANCE, Box, boxes_meet

__all__ = ["pairs"]

_BRUTE = 256  # box pairs compared directly; beyond, a grid
_MAX_CELLS = 64  # a box over more grid cells than this is compared with all


def pairs(boxes: Sequence[Box], others: Sequence[Box] | None = None) -> list[tuple[int, int]]:
    """Index pairs of boxes that meet, sorted: ``i < j`` within ``boxes``, or ``boxes[i]`` with
    ``others[j]``.

    Beyond a few, ``others`` go in square cells about twice the size of a typical box, and each
    box is compared only with those in its cells; a pair counts in the one cell holding the
    south-west corner of where the two meet, so it is found once. A box over too many cells is
    compared with all.
    """
    targets = boxes if others is None else others
    if len(boxes) * len(targets) <= _BRUTE:
        return [
            (i, j)
            for i, box in enumerate(boxes)
            for j in range(i + 1 if others is None else 0, len(targets))
            if boxes_meet(box, targets[j])
        ]
    sizes = sorted(max(box[2] - box[0], box[3] - box[1]) for box in targets)
    size = max(2 * sizes[len(sizes) // 2], TOLERANCE * 1000)
    grid: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    wide: list[int] = []
    covered = [_cells(box, size) for box in targets]
    for j, cells in enumerate(covered):
        if cells is None:
            wide.append(j)
        for cell in cells or ():
            grid[cell].append(j)
    found: list[tuple[int, int]] = []
    tolerance = TOLERANCE
    for i, a in enumerate(boxes):
        first = i + 1 if others is None else 0
        cells = covered[i] if others is None else _cells(a, size)
        near = range(first, len(targets)) if cells is None else wide
        found += [(i, j) for j in near if j >= first and boxes_meet(a, targets[j])]
        west, south, east, north = a
        for cell in cells or ():
            for j in grid.get(cell, ()):
                if j < first:
                    continue
                b = targets[j]
                if (
                    west <= b[2] + tolerance
                    and b[0] <= east + tolerance
                    and south <= b[3] + tolerance
                    and b[1] <= north + tolerance
                    # a pair counts in the cell of the south-west corner of where they meet
                    and math.floor(max(west, b[0]) / size) == cell[0]
                    and math.floor(max(south, b[1]) / size) == cell[1]
                ):
                    found.append((i, j))
    return sorted(found)


def _cells(box: Box, size: float) -> list[tuple[int, int]] | None:
    """The grid cells ``box`` covers, or None when there are too many."""
    west, south = math.floor((box[0] - TOLERANCE) / size), math.floor((box[1] - TOLERANCE) / size)
    east, north = math.floor((box[2] + TOLERANCE) / size), math.floor((box[3] + TOLERANCE) / size)
    if (east - west + 1) * (north - south + 1) > _MAX_CELLS:
        return None
    return [(x, y) for x in range(west, east + 1) for y in range(south, north + 1)]
