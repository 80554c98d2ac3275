"""A zones file, checked before a deploy: what ``zonefile`` skips, and the geometry it accepts.

``parse_zones`` refuses what it cannot read (unclosed rings, bad coordinates, missing ids) and
each refusal is one finding here. It takes any ring it can, though, and some valid GeoJSON is
still not what its author meant: a ring that crosses itself (its inside is whatever the
even-odd rule makes of a bow tie), a hole outside its polygon or crossing its edge, and two
zones of one level and one priority covering the same ground while both are open (the lookup
then picks the smaller id, an accident of naming). ``check_zones`` finds these too;
``popcache zones check`` prints the report.

Geometry is planar in (longitude, latitude) degrees, as the lookup's is, with rings crossing the
antimeridian unwrapped (``planar``); circles are great-circle distances (``overlap``). Overlap
means the interiors meet: zones that only share an edge or a vertex, as tiled delivery areas
do, do not overlap. Edges and zones are paired through grids (``boxpairs``), so neither a
10,000-zone file nor a ring of thousands of vertices is compared all against all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from boxpairs import pairs
from overlap import Piece, pieces, pieces_meet
from planar import Area, Box, Edge, dot, meet, midpoint, side
from zonefile import parse_zones
from zones import KINDS, Circle, Kind, Position, Zone

__all__ = [
    "FINDING_KINDS",
    "Finding",
    "FindingKind",
    "Report",
    "Summary",
    "check_zones",
]

FindingKind = Literal["invalid", "self-intersection", "hole-outside", "hole-crossing", "overlap"]
"""``invalid``: ``parse_zones`` skipped a feature (or the file); the others are geometry."""
FINDING_KINDS: tuple[FindingKind, ...] = get_args(FindingKind)


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
        [] if isinstance(zone.shape, Circle) else [Area(polygon.rings) for polygon in zone.shape]
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


def _ring_findings(zone: Zone, areas: Sequence[Area]) -> list[Finding]:
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
    for i, j in pairs(boxes):
        if j == i + 1 or (i == 0 and j == last):
            # Neighbours always share a vertex; they meet elsewhere only by folding back.
            joint, before, after = (edges[j][0], edges[i][0], edges[j][1])
            if i == 0 and j == last:
                joint, before, after = edges[0][0], edges[0][1], edges[last][0]
            if side(before, joint, after) == 0 and dot(before, joint, after) > 0:
                found.append(joint)
            continue
        met = meet(edges[i], edges[j])
        if met is not None:
            found.append(met[1])
    places: dict[Position, Position] = {}
    for x, y in found:
        places.setdefault((round(x, 7), round(y, 7)), (x, y))
    return list(places.values())


def _hole_problem(area: Area, index: int) -> tuple[FindingKind, str] | None:
    hole, hole_edges, outer_edges = area.rings[index], area.ring_edges[index], area.ring_edges[0]
    for i, j in pairs(area.ring_boxes[index], area.ring_boxes[0]):
        met = meet(hole_edges[i], outer_edges[j])
        if met is not None and met[0] != "touch":
            how = "crosses" if met[0] == "cross" else "runs along"
            return "hole-crossing", f"{how} the exterior ring near {_at(met[1])}"
    probes = [*hole[:-1], *(midpoint(edge) for edge in hole_edges)]
    for point in probes:
        where = area.where(point, rings=(0,))
        if where < 0:
            return "hole-outside", f"is not inside the exterior ring: {_at(point)} is outside it"
        if where > 0:
            return None
    return None


# Overlapping zones


def _overlaps(zones: Sequence[Zone], areas: Sequence[Sequence[Area]]) -> list[Finding]:
    groups: defaultdict[tuple[str, int], list[Piece]] = defaultdict(list)
    for number, zone in enumerate(zones):
        groups[zone.level, zone.priority] += pieces(number, zone, areas[number])
    found: dict[tuple[int, int], Position] = {}
    for group in groups.values():
        for i, j in pairs([piece.box for piece in group]):
            first, second = sorted((group[i].zone, group[j].zone))
            if first == second or (first, second) in found:
                continue
            if _window(zones[first], zones[second]) is None:
                continue
            where = pieces_meet(group[i], group[j])
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


def _at(point: Position) -> str:
    lon = (point[0] + 180.0) % 360.0 - 180.0
    return f"lat {point[1]:.5f}, lon {lon:.5f}"
