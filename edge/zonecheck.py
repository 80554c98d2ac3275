"""A zones file, checked before a deploy: what ``zonefile`` skips, and the geometry it accepts.

``parse_zones`` refuses what it cannot read (unclosed rings, bad coordinates, missing ids) and
each refusal is one finding here. It takes any ring it can, though, and some valid GeoJSON is
still not what its author meant: a ring that crosses itself (its inside is whatever the
even-odd rule makes of a bow tie), a hole outside its polygon or crossing its edge, and two
zones of one level and one priority covering the same ground while both are open (the lookup
then picks the smaller id, an accident of naming). ``check_zones`` finds these too;
``popcache zones check`` prints the report.

Geometry is planar in (longitude, latitude) degrees, as the lookup's is, with rings crossing the
antimeridian unwrapped; circles are great-circle distances. Overlap means the interiors meet:
zones that only share an edge or a vertex, as tiled delivery areas do, do not overlap. Edges
and zones are bucketed in grids, so neither a 10,000-zone file nor a ring of thousands of
vertices is compared all against all.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from geometry import EARTH_RADIUS_M
from zonefile import parse_zones
from zones import KINDS, Circle, Kind, Position, Ring, Zone

__all__ = [
    "FINDING_KINDS",
    "TOLERANCE",
    "Finding",
    "FindingKind",
    "Report",
    "Summary",
    "check_zones",
]

FindingKind = Literal["invalid", "self-intersection", "hole-outside", "hole-crossing", "overlap"]
"""``invalid``: ``parse_zones`` skipped a feature (or the file); the others are geometry."""
FINDING_KINDS: tuple[FindingKind, ...] = get_args(FindingKind)

TOLERANCE = 1e-9
"""Degrees (about 0.1 mm): a point this close to an edge is on it, so float noise in shared
vertices is never read as a crossing."""
_NEAR_M = 0.01  # a circle this close to touching (1 cm) only touches
_BRUTE = 256  # box pairs compared directly; beyond, a grid
_MAX_CELLS = 64  # a box over more grid cells than this is compared with all

Box = tuple[float, float, float, float]
"""``(west, south, east, north)`` in degrees; west may be beyond ±180 once unwrapped."""
Edge = tuple[Position, Position]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: its kind, the zones it names (none when the id is unknown), one line."""

    kind: FindingKind
    zone_ids: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class Summary:
    """What the file holds, as far as it parsed."""

    zones: int
    kinds: tuple[tuple[Kind, int], ...]
    """``(kind, count)`` in ``KINDS`` order, kinds with no zone left out."""
    windowed: int
    """Zones with ``starts_at`` or ``ends_at``."""
    circles: int
    """Zones that are a Point with ``radius_m``."""

    def __str__(self) -> str:
        kinds = ", ".join(f"{count} {kind}" for kind, count in self.kinds)
        zones = f"{self.zones} zone{'s' if self.zones != 1 else ''}"
        return (
            f"{zones}{f' ({kinds})' if kinds else ''}, {self.windowed} with an active window, "
            f"{self.circles} circle{'s' if self.circles != 1 else ''}"
        )


@dataclass(frozen=True, slots=True)
class Report:
    """The findings for one zones file, in file order, and its summary."""

    source: str
    findings: tuple[Finding, ...]
    summary: Summary

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        """``<source>: <kind>: <message>`` per finding, then a closing line (docs/zones.md)."""
        if self.ok:
            return [f"{self.source}: OK: {self.summary}"]
        lines = [f"{self.source}: {finding.kind}: {finding.message}" for finding in self.findings]
        counts = Counter(finding.kind for finding in self.findings)
        kinds = ", ".join(f"{counts[kind]} {kind}" for kind in FINDING_KINDS if counts[kind])
        total = len(self.findings)
        lines.append(
            f"{self.source}: {total} finding{'s' if total != 1 else ''} ({kinds}) in {self.summary}"
        )
        return lines


def check_zones(text: str, source: str) -> Report:
    """Every problem of the zones file ``text`` (named ``source`` in messages)."""
    parsed = parse_zones(text, source)
    findings = [
        Finding(
            "invalid",
            (problem.zone_id,) if problem.zone_id else (),
            problem.message.removeprefix(f"{source}: "),
        )
        for problem in parsed.problems
    ]
    areas = [
        [] if isinstance(zone.shape, Circle) else [_Area(polygon.rings) for polygon in zone.shape]
        for zone in parsed.zones
    ]
    for zone, polygons in zip(parsed.zones, areas, strict=True):
        findings += _ring_findings(zone, polygons)
    findings += _overlaps(parsed.zones, areas)
    return Report(source, tuple(findings), _summary(parsed.zones))


def _summary(zones: Sequence[Zone]) -> Summary:
    counts = Counter(zone.kind for zone in zones)
    return Summary(
        zones=len(zones),
        kinds=tuple((kind, counts[kind]) for kind in KINDS if counts[kind]),
        windowed=sum(zone.starts_at is not None or zone.ends_at is not None for zone in zones),
        circles=sum(isinstance(zone.shape, Circle) for zone in zones),
    )


# Rings: self-intersections and holes


def _ring_findings(zone: Zone, areas: Sequence[_Area]) -> list[Finding]:
    found: list[Finding] = []
    for number, area in enumerate(areas, 1):
        for index, edges in enumerate(area.ring_edges):
            meets = _ring_meets(edges, area.ring_boxes[index])
            if meets:
                places = f" ({len(meets)} places)" if len(meets) > 1 else ""
                name = _ring_name(index, number, len(areas))
                message = f"{name} intersects itself near {_at(meets[0])}{places}"
                found.append(
                    Finding("self-intersection", (zone.id,), f"zone {zone.id!r}: {message}")
                )
        for index in range(1, len(area.rings)):
            problem = _hole_problem(area, index)
            if problem is not None:
                kind, message = problem
                name = _ring_name(index, number, len(areas))
                found.append(Finding(kind, (zone.id,), f"zone {zone.id!r}: {name} {message}"))
    return found


def _ring_name(index: int, polygon: int, polygons: int) -> str:
    """As ``zonefile`` numbers rings: from 1, the exterior first."""
    name = f"ring {index + 1} ({'the exterior' if index == 0 else 'a hole'})"
    return f"polygon {polygon} {name}" if polygons > 1 else name


def _ring_meets(edges: Sequence[Edge], boxes: Sequence[Box]) -> list[Position]:
    """Where two edges of a closed ring (and their boxes) meet other than at the vertex joining
    neighbours, each place once."""
    last = len(edges) - 1
    found: list[Position] = []
    for i, j in _pairs(boxes):
        if j == i + 1 or (i == 0 and j == last):
            # Neighbours always share a vertex; they meet elsewhere only by folding back.
            joint, before, after = (edges[j][0], edges[i][0], edges[j][1])
            if i == 0 and j == last:
                joint, before, after = edges[0][0], edges[0][1], edges[last][0]
            if _side(before, joint, after) == 0 and _dot(before, joint, after) > 0:
                found.append(joint)
            continue
        meet = _meet(edges[i], edges[j])
        if meet is not None:
            found.append(meet[1])
    places: dict[Position, Position] = {}
    for x, y in found:
        places.setdefault((round(x, 7), round(y, 7)), (x, y))
    return list(places.values())


def _hole_problem(area: _Area, index: int) -> tuple[FindingKind, str] | None:
    hole, hole_edges, outer_edges = area.rings[index], area.ring_edges[index], area.ring_edges[0]
    for i, j in _pairs(area.ring_boxes[index], area.ring_boxes[0]):
        meet = _meet(hole_edges[i], outer_edges[j])
        if meet is not None and meet[0] != "touch":
            how = "crosses" if meet[0] == "cross" else "runs along"
            return "hole-crossing", f"{how} the exterior ring near {_at(meet[1])}"
    probes = [*hole[:-1], *(_midpoint(edge) for edge in hole_edges)]
    for point in probes:
        where = area.where(point, rings=(0,))
        if where < 0:
            return "hole-outside", f"is not inside the exterior ring: {_at(point)} is outside it"
        if where > 0:
            return None
    return None


# Overlapping zones


@dataclass(frozen=True, slots=True)
class _Piece:
    """One polygon (or the circle) of a zone, shifted by a multiple of 360° of longitude."""

    zone: int
    box: Box
    area: _Area | None
    circle: tuple[Position, float] | None


def _overlaps(zones: Sequence[Zone], areas: Sequence[Sequence[_Area]]) -> list[Finding]:
    groups: defaultdict[tuple[str, int], list[_Piece]] = defaultdict(list)
    for number, zone in enumerate(zones):
        groups[zone.level, zone.priority] += _pieces(number, zone, areas[number])
    found: dict[tuple[int, int], Position] = {}
    for pieces in groups.values():
        for i, j in _pairs([piece.box for piece in pieces]):
            first, second = sorted((pieces[i].zone, pieces[j].zone))
            if first == second or (first, second) in found:
                continue
            if _window(zones[first], zones[second]) is None:
                continue
            where = _pieces_meet(pieces[i], pieces[j])
            if where is not None:
                found[first, second] = where
    findings = []
    for (first, second), where in sorted(found.items()):
        a, b = zones[first], zones[second]
        window = _window(a, b)
        assert window is not None, "pairs are kept only when their windows meet"
        findings.append(
            Finding(
                "overlap",
                (a.id, b.id),
                f"zones {a.id!r} and {b.id!r} (level {a.level}, priority {a.priority}) overlap "
                f"near {_at(where)} while both are active ({_describe_window(*window)}); "
                f"the lookup picks {min(a.id, b.id)!r}, the smaller id",
            )
        )
    return findings


def _pieces(number: int, zone: Zone, areas: Sequence[_Area]) -> list[_Piece]:
    if isinstance(zone.shape, Circle):
        (lon, lat), radius = zone.shape.center, zone.shape.radius_m
        return [
            _Piece(
                number, _circle_box(lon + shift, lat, radius), None, ((lon + shift, lat), radius)
            )
            for shift in _shifts(_circle_box(lon, lat, radius))
        ]
    pieces = []
    for polygon, area in zip(zone.shape, areas, strict=True):
        for shift in _shifts(area.box):
            moved = area if shift == 0 else _Area(polygon.rings, shift)
            pieces.append(_Piece(number, moved.box, moved, None))
    return pieces


def _shifts(box: Box) -> list[float]:
    """0, and the shift that brings a part beyond the antimeridian back to the other side."""
    return [0.0] + ([-360.0] if box[2] > 180 else []) + ([360.0] if box[0] < -180 else [])


def _circle_box(lon: float, lat: float, radius: float) -> Box:
    angle = radius / EARTH_RADIUS_M
    dlat = math.degrees(angle)
    if abs(lat) + dlat >= 90 or angle >= math.pi / 2:
        return (-180.0, max(lat - dlat, -90.0), 180.0, min(lat + dlat, 90.0))
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat)))))
    return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def _window(a: Zone, b: Zone) -> tuple[float | None, float | None] | None:
    """When both are active, ``(start, end)`` with None for unbounded; None when never."""
    starts = [t for t in (a.starts_at, b.starts_at) if t is not None]
    ends = [t for t in (a.ends_at, b.ends_at) if t is not None]
    start, end = (max(starts) if starts else None), (min(ends) if ends else None)
    if start is not None and end is not None and start >= end:
        return None
    return start, end


def _describe_window(start: float | None, end: float | None) -> str:
    if start is None and end is None:
        return "always"
    parts = [f"from {_instant(start)}" if start is not None else ""]
    parts.append(f"until {_instant(end)}" if end is not None else "")
    return " ".join(part for part in parts if part)


def _instant(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _pieces_meet(a: _Piece, b: _Piece) -> Position | None:
    """A point inside both, or None when their interiors do not meet."""
    if a.circle is not None and b.circle is not None:
        (center_a, radius_a), (center_b, radius_b) = a.circle, b.circle
        apart = _distance_m(center_a, center_b)
        if apart >= radius_a + radius_b - _NEAR_M:
            return None
        share = min(max((apart + radius_a - radius_b) / 2 / apart, 0.0), 1.0) if apart else 0.0
        return _along(center_a, center_b, share)
    if a.area is not None and b.area is not None:
        return _areas_meet(a.area, b.area)
    area = a.area if a.area is not None else b.area
    circle = a.circle if a.circle is not None else b.circle
    assert area is not None, "a piece is an area or a circle"
    assert circle is not None, "a piece is an area or a circle"
    return _circle_meets_area(circle, area)


def _circle_meets_area(circle: tuple[Position, float], area: _Area) -> Position | None:
    center, radius = circle
    if area.where(center) > 0:
        return center
    box = _circle_box(center[0], center[1], radius)
    for edge in area.edges_in(box):
        apart, closest = _distance_to_edge_m(center, edge)
        if apart < radius - _NEAR_M:
            return _along(center, closest, 0.5)
    return None


def _areas_meet(a: _Area, b: _Area) -> Position | None:
    common = _intersect(a.box, b.box)
    if common is None:
        return None
    edges_a, edges_b = a.edges_in(common), b.edges_in(common)
    boxes_a, boxes_b = [_edge_box(e) for e in edges_a], [_edge_box(e) for e in edges_b]
    for i, j in _pairs(boxes_a, boxes_b):
        meet = _meet(edges_a[i], edges_b[j])
        if meet is not None and meet[0] == "cross":
            return meet[1]
    # No boundaries cross: either one holds a vertex of the other, or their boundaries run
    # together (one inside the other, or identical), and a point just inside an edge tells.
    for theirs, edges in ((b, edges_a), (a, edges_b)):
        for edge in edges:
            if _inside_box(edge[0], common) and theirs.where(edge[0]) > 0:
                return edge[0]
    for mine, theirs, edges in ((a, b, edges_a), (b, a, edges_b)):
        for edge in edges:
            probe = mine.just_inside(edge)
            if probe is not None and theirs.where(probe) > 0:
                return probe
    return None


# Planar geometry in degrees


class _Area:
    """A polygon's rings, unwrapped across the antimeridian, for point-in-polygon tests that
    tell the boundary apart (edges bucketed in bands of latitude, so a test is not a scan)."""

    def __init__(self, rings: Sequence[Ring], shift: float = 0.0) -> None:
        exterior = _unwrap(rings[0])
        west = min(x for x, _ in exterior)
        holes = [  # into the exterior's frame
            _moved(ring, shift - 360.0 * math.floor((ring[0][0] - west) / 360.0))
            for ring in map(_unwrap, rings[1:])
        ]
        self.rings = [_moved(exterior, shift), *holes]
        xs, ys = [x for x, _ in self.rings[0]], [y for _, y in self.rings[0]]
        self.box = (min(xs), min(ys), max(xs), max(ys))
        self.ring_edges = [list(itertools.pairwise(ring)) for ring in self.rings]
        self.ring_boxes = [[_edge_box(edge) for edge in edges] for edges in self.ring_edges]
        self.edges = [
            (index, edge) for index, edges in enumerate(self.ring_edges) for edge in edges
        ]
        self._boxes = [box for boxes in self.ring_boxes for box in boxes]
        self._bands: dict[int, list[int]] | None = None
        self._band = 1.0

    def edges_in(self, box: Box) -> list[Edge]:
        return [
            edge
            for (_, edge), own in zip(self.edges, self._boxes, strict=True)
            if _boxes_meet(own, box)
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


def _unwrap(ring: Sequence[Position]) -> list[Position]:
    """``ring`` as ``geometry`` reads it, without repeated vertices: longitudes made
    continuous when it crosses the antimeridian, and closed through a pole when they then wind
    around it."""
    crosses = any(
        abs(b - a) > 180.0 and not abs(a) == abs(b) == 180.0
        for (a, _), (b, _) in itertools.pairwise(ring)
    )
    out = [ring[0]]
    offset = 0.0
    for (a, _), (b, lat) in itertools.pairwise(ring):
        if crosses and abs(b - a) > 180.0:
            offset -= 360.0 * round((b - a) / 360.0)
        if (b + offset, lat) != out[-1]:
            out.append((b + offset, lat))
    (first_x, first_y), (last_x, _) = out[0], out[-1]
    if abs(last_x - first_x) >= 180.0:
        pole = math.copysign(90.0, sum(y for _, y in out))
        out += [(last_x, pole), (first_x, pole), (first_x, first_y)]
    return out


def _moved(ring: Sequence[Position], shift: float) -> list[Position]:
    return [(x + shift, y) for x, y in ring] if shift else list(ring)


def _side(a: Position, b: Position, c: Position) -> int:
    """Which side of the line through ``a`` and ``b`` ``c`` is on: 1 left, -1 right, 0 on it."""
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    if abs(cross) <= TOLERANCE * math.hypot(b[0] - a[0], b[1] - a[1]):
        return 0
    return 1 if cross > 0 else -1


def _dot(a: Position, joint: Position, c: Position) -> float:
    return (a[0] - joint[0]) * (c[0] - joint[0]) + (a[1] - joint[1]) * (c[1] - joint[1])


def _meet(e: Edge, f: Edge) -> tuple[Literal["cross", "overlap", "touch"], Position] | None:
    """How two segments meet: crossing at one interior point, along a stretch, or touching
    where an end of one lies on the other; None when they do not."""
    (a, b), (c, d) = e, f
    s1, s2, s3, s4 = _side(a, b, c), _side(a, b, d), _side(c, d, a), _side(c, d, b)
    if s1 * s2 < 0 and s3 * s4 < 0:
        rx, ry, sx, sy = b[0] - a[0], b[1] - a[1], d[0] - c[0], d[1] - c[1]
        t = ((c[0] - a[0]) * sy - (c[1] - a[1]) * sx) / (rx * sy - ry * sx)
        return "cross", (a[0] + t * rx, a[1] + t * ry)
    ends = [p for p, side in ((c, s1), (d, s2)) if side == 0 and _within(p, e)]
    ends += [p for p, side in ((a, s3), (b, s4)) if side == 0 and _within(p, f)]
    if not ends:
        return None
    apart = any(math.dist(ends[0], p) > TOLERANCE for p in ends)
    return ("overlap" if apart and s1 == s2 == 0 else "touch"), ends[0]


def _within(point: Position, edge: Edge) -> bool:
    return _inside_box(point, _edge_box(edge))


def _distance_to_segment(point: Position, edge: Edge) -> float:
    return math.dist(point, _closest(point, edge))


def _closest(point: Position, edge: Edge, scale: float = 1.0) -> Position:
    """The point of ``edge`` nearest ``point``, with longitudes weighted by ``scale``."""
    (ax, ay), (bx, by) = edge
    dx, dy = (bx - ax) * scale, by - ay
    length = dx * dx + dy * dy
    t = ((point[0] - ax) * scale * dx + (point[1] - ay) * dy) / length if length else 0.0
    t = min(max(t, 0.0), 1.0)
    return (ax + t * (bx - ax), ay + t * (by - ay))


def _midpoint(edge: Edge) -> Position:
    return _along(edge[0], edge[1], 0.5)


def _along(a: Position, b: Position, share: float) -> Position:
    return (a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share)


def _distance_m(a: Position, b: Position) -> float:
    """Great-circle distance (haversine) on zones.Circle's sphere."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _distance_to_edge_m(center: Position, edge: Edge) -> tuple[float, Position]:
    """How far ``edge`` comes to ``center``, in metres: the nearest point in a plane scaled for
    ``center``'s latitude, measured on the sphere."""
    closest = _closest(center, edge, max(math.cos(math.radians(center[1])), 1e-9))
    return _distance_m(center, closest), closest


def _edge_box(edge: Edge) -> Box:
    (ax, ay), (bx, by) = edge
    return (
        (ax, ay, bx, by)
        if ax <= bx and ay <= by
        else (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
    )


def _intersect(a: Box, b: Box) -> Box | None:
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if _boxes_meet(box, box) else None


def _boxes_meet(a: Box, b: Box) -> bool:
    return (
        a[0] <= b[2] + TOLERANCE
        and b[0] <= a[2] + TOLERANCE
        and a[1] <= b[3] + TOLERANCE
        and b[1] <= a[3] + TOLERANCE
    )


def _inside_box(point: Position, box: Box) -> bool:
    return _boxes_meet((*point, *point), box)


def _at(point: Position) -> str:
    lon = (point[0] + 180.0) % 360.0 - 180.0
    return f"lat {point[1]:.5f}, lon {lon:.5f}"


def _pairs(boxes: Sequence[Box], others: Sequence[Box] | None = None) -> list[tuple[int, int]]:
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
            if _boxes_meet(box, targets[j])
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
        found += [(i, j) for j in near if j >= first and _boxes_meet(a, targets[j])]
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
