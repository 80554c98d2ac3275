"""Planar geometry in degrees, with a tolerance, for the questions ``zonecheck`` asks.

The lookup only asks whether a point is inside; a check needs to know more: whether two edges
cross or only touch, whether a point lies on an edge, where two rings meet. Read exactly, float
noise in a vertex two zones share would look like a crossing, so a point within ``TOLERANCE``
(1e-9°, about 0.1 mm) of a line is on it and boxes that come that close meet. Coordinates are
(longitude, latitude), planar as the lookup's, and an ``Area`` reads its rings as the lookup
does (``rings``), less repeated vertices.

An ``Area`` buckets its edges in bands of latitude, so a point test is not a scan (and
``boxpairs`` finds which of many boxes meet without comparing all against all).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from rings import close_at_pole, frame_shift, unwrap
from zones import Position, Ring

__all__ = [
    "TOLERANCE",
    "Area",
    "Box",
    "Edge",
    "along",
    "boxes_meet",
    "closest",
    "dot",
    "edge_box",
    "inside_box",
    "intersect",
    "meet",
    "midpoint",
    "side",
]

TOLERANCE = 1e-9
"""Degrees (about 0.1 mm): a point this close to an edge is on it, so float noise in shared
vertices is never read as a crossing."""

Box = tuple[float, float, float, float]
"""``(west, south, east, north)`` in degrees; west may be beyond ±180 once unwrapped."""
Edge = tuple[Position, Position]
"""A segment, from one vertex of a ring to the next."""


class Area:
    """A polygon's rings, unwrapped across the antimeridian, for point-in-polygon tests that
    tell the boundary apart (edges bucketed in bands of latitude, so a test is not a scan)."""

    def __init__(self, rings: Sequence[Ring], shift: float = 0.0) -> None:
        exterior = _read(rings[0])
        west = min(x for x, _ in exterior)
        holes = [  # into the exterior's frame
            _moved(ring, shift - frame_shift(ring, west)) for ring in map(_read, rings[1:])
        ]
        self.rings = [_moved(exterior, shift), *holes]
        xs, ys = [x for x, _ in self.rings[0]], [y for _, y in self.rings[0]]
        self.box = (min(xs), min(ys), max(xs), max(ys))
        self.ring_edges = [list(itertools.pairwise(ring)) for ring in self.rings]
        self.ring_boxes = [[edge_box(edge) for edge in edges] for edges in self.ring_edges]
        self.edges = [
            (index, edge) for index, edges in enumerate(self.ring_edges) for edge in edges
        ]
        self._boxes = [box for boxes in self.ring_boxes for box in boxes]
        self._bands: dict[int, list[int]] | None = None
        self._band = 1.0

    def edges_in(self, box: Box) -> list[Edge]:
        """The edges, of every ring, whose boxes meet ``box``."""
        return [
            edge
            for (_, edge), own in zip(self.edges, self._boxes, strict=True)
            if boxes_meet(own, box)
        ]

    def where(self, point: Position, rings: tuple[int, ...] | None = None) -> int:
        """1 inside, 0 on an edge, -1 outside (of ``rings`` only, when given)."""
        x, y = point
        crossings = [0] * len(self.rings)
        for index in self._near(y):
            ring, ((ax, ay), (bx, by)) = self.edges[index]
            if rings is not None and ring not in rings:
                continue
            if _distance_to_segment(point, ((ax, ay), (bx, by))) <= TOLERANCE:
                return 0
            if (ay > y) != (by > y) and ax + (y - ay) * (bx - ax) / (by - ay) > x:
                crossings[ring] ^= 1
        inside = crossings[0] == 1 and not any(crossings[1:])
        return 1 if inside else -1

    def just_inside(self, edge: Edge) -> Position | None:
        """A point a hair inside this area from the middle of ``edge``, if there is room."""
        (ax, ay), (bx, by) = edge
        length = math.hypot(bx - ax, by - ay)
        step = min(1e-6, length / 4)
        if step <= 10 * TOLERANCE:
            return None
        mx, my = (ax + bx) / 2, (ay + by) / 2
        nx, ny = -(by - ay) / length * step, (bx - ax) / length * step
        for probe in ((mx + nx, my + ny), (mx - nx, my - ny)):
            if self.where(probe) > 0:
                return probe
        return None

    def _near(self, y: float) -> Sequence[int]:
        if len(self.edges) <= 16:
            return range(len(self.edges))
        if self._bands is None:
            south, north = self.box[1], self.box[3]
            self._band = max((north - south) / max(len(self.edges) // 4, 1), TOLERANCE * 1000)
            self._bands = defaultdict(list)
            for index, (_, ((_, ay), (_, by))) in enumerate(self.edges):
                low = math.floor((min(ay, by) - TOLERANCE) / self._band)
                high = math.floor((max(ay, by) + TOLERANCE) / self._band)
                for band in range(low, high + 1):
                    self._bands[band].append(index)
        return self._bands.get(math.floor(y / self._band), [])


def _read(ring: Ring) -> list[Position]:
    """``ring`` as the lookup reads it (``rings``), without repeated vertices: an edge of no
    length would meet its neighbours everywhere."""
    unwrapped = unwrap(ring)
    distinct = [unwrapped[0]]
    for position in unwrapped[1:]:
        if position != distinct[-1]:
            distinct.append(position)
    return close_at_pole(distinct)


def _moved(ring: Sequence[Position], shift: float) -> list[Position]:
    return [(x + shift, y) for x, y in ring] if shift else list(ring)


def side(a: Position, b: Position, c: Position) -> int:
    """Which side of the line through ``a`` and ``b`` ``c`` is on: 1 left, -1 right, 0 on it."""
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    if abs(cross) <= TOLERANCE * math.hypot(b[0] - a[0], b[1] - a[1]):
        return 0
    return 1 if cross > 0 else -1


def dot(a: Position, joint: Position, c: Position) -> float:
    """``(a - joint) · (c - joint)``: positive when ``a`` and ``c`` lie the same way."""
    return (a[0] - joint[0]) * (c[0] - joint[0]) + (a[1] - joint[1]) * (c[1] - joint[1])


def meet(e: Edge, f: Edge) -> tuple[Literal["cross", "overlap", "touch"], Position] | None:
    """How two segments meet: crossing at one interior point, along a stretch, or touching
    where an end of one lies on the other; None when they do not."""
    (a, b), (c, d) = e, f
    s1, s2, s3, s4 = side(a, b, c), side(a, b, d), side(c, d, a), side(c, d, b)
    if s1 * s2 < 0 and s3 * s4 < 0:
        rx, ry, sx, sy = b[0] - a[0], b[1] - a[1], d[0] - c[0], d[1] - c[1]
        t = ((c[0] - a[0]) * sy - (c[1] - a[1]) * sx) / (rx * sy - ry * sx)
        return "cross", (a[0] + t * rx, a[1] + t * ry)
    ends = [p for p, on in ((c, s1), (d, s2)) if on == 0 and _within(p, e)]
    ends += [p for p, on in ((a, s3), (b, s4)) if on == 0 and _within(p, f)]
    if not ends:
        return None
    apart = any(math.dist(ends[0], p) > TOLERANCE for p in ends)
    return ("overlap" if apart and s1 == s2 == 0 else "touch"), ends[0]


def _within(point: Position, edge: Edge) -> bool:
    return inside_box(point, edge_box(edge))


def _distance_to_segment(point: Position, edge: Edge) -> float:
    return math.dist(point, closest(point, edge))


def closest(point: Position, edge: Edge, scale: float = 1.0) -> Position:
    """The point of ``edge`` nearest ``point``, with longitudes weighted by ``scale``."""
    (ax, ay), (bx, by) = edge
    dx, dy = (bx - ax) * scale, by - ay
    length = dx * dx + dy * dy
    t = ((point[0] - ax) * scale * dx + (point[1] - ay) * dy) / length if length else 0.0
    t = min(max(t, 0.0), 1.0)
    return (ax + t * (bx - ax), ay + t * (by - ay))


def midpoint(edge: Edge) -> Position:
    """The middle of ``edge``."""
    return along(edge[0], edge[1], 0.5)


def along(a: Position, b: Position, share: float) -> Position:
    """The point ``share`` of the way from ``a`` to ``b``."""
    return (a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share)


def edge_box(edge: Edge) -> Box:
    """The smallest box holding ``edge``."""
    (ax, ay), (bx, by) = edge
    return (
        (ax, ay, bx, by)
        if ax <= bx and ay <= by
        else (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
    )


def intersect(a: Box, b: Box) -> Box | None:
    """Where two boxes overlap, or None when they do not meet."""
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if boxes_meet(box, box) else None


def boxes_meet(a: Box, b: Box) -> bool:
    """Whether two boxes come within ``TOLERANCE`` of each other."""
    return (
        a[0] <= b[2] + TOLERANCE
        and b[0] <= a[2] + TOLERANCE
        and a[1] <= b[3] + TOLERANCE
        and b[1] <= a[3] + TOLERANCE
    )


def inside_box(point: Position, box: Box) -> bool:
    """Whether ``point`` is in ``box`` or within ``TOLERANCE`` of it."""
    return boxes_meet((*point, *point), box)
