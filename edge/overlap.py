"""Whether two zones' interiors meet, and a point where they do, for ``zonecheck``'s overlaps.

A zone is compared as pieces: each polygon of it (an ``Area``) or its circle, plus a copy
shifted by 360° of longitude when it runs over the antimeridian, so pieces either side of it
meet where the zones do. Interiors meet when boundaries cross, when one holds a point of the
other, or when a point just inside a shared stretch of boundary is inside both: zones that only
share an edge or a vertex, as tiled delivery areas do, do not meet. Circles are great-circle
distances on the sphere of ``zones.Circle``; circles that come within ``_NEAR_M`` of touching
only touch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from boxpairs import pairs
from circles import EARTH_RADIUS_M
from planar import Area, Box, Edge, along, closest, edge_box, inside_box, intersect, meet
from zones import Circle, Position, Zone

__all__ = ["Piece", "pieces", "pieces_meet"]

_NEAR_M = 0.01  # a circle this close to touching (1 cm) only touches


@dataclass(frozen=True, slots=True)
class Piece:
    """One polygon (or the circle) of a zone, shifted by a multiple of 360° of longitude."""

    zone: int
    box: Box
    area: Area | None
    circle: tuple[Position, float] | None


def pieces(number: int, zone: Zone, areas: Sequence[Area]) -> list[Piece]:
    """The pieces of ``zone`` (the ``number``-th), whose polygons are ``areas``."""
    if isinstance(zone.shape, Circle):
        (lon, lat), radius = zone.shape.center, zone.shape.radius_m
        return [
            Piece(number, _circle_box(lon + shift, lat, radius), None, ((lon + shift, lat), radius))
            for shift in _shifts(_circle_box(lon, lat, radius))
        ]
    found = []
    for polygon, area in zip(zone.shape, areas, strict=True):
        for shift in _shifts(area.box):
            moved = area if shift == 0 else Area(polygon.rings, shift)
            found.append(Piece(number, moved.box, moved, None))
    return found


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


def pieces_meet(a: Piece, b: Piece) -> Position | None:
    """A point inside both, or None when their interiors do not meet."""
    if a.circle is not None and b.circle is not None:
        (center_a, radius_a), (center_b, radius_b) = a.circle, b.circle
        apart = _distance_m(center_a, center_b)
        if apart >= radius_a + radius_b - _NEAR_M:
            return None
        share = min(max((apart + radius_a - radius_b) / 2 / apart, 0.0), 1.0) if apart else 0.0
        return along(center_a, center_b, share)
    if a.area is not None and b.area is not None:
        return _areas_meet(a.area, b.area)
    area = a.area if a.area is not None else b.area
    circle = a.circle if a.circle is not None else b.circle
    assert area is not None, "a piece is an area or a circle"
    assert circle is not None, "a piece is an area or a circle"
    return _circle_meets_area(circle, area)


def _circle_meets_area(circle: tuple[Position, float], area: Area) -> Position | None:
    center, radius = circle
    if area.where(center) > 0:
        return center
    box = _circle_box(center[0], center[1], radius)
    for edge in area.edges_in(box):
        apart, nearest = _distance_to_edge_m(center, edge)
        if apart < radius - _NEAR_M:
            return along(center, nearest, 0.5)
    return None


def _areas_meet(a: Area, b: Area) -> Position | None:
    common = intersect(a.box, b.box)
    if common is None:
        return None
    edges_a, edges_b = a.edges_in(common), b.edges_in(common)
    boxes_a, boxes_b = [edge_box(e) for e in edges_a], [edge_box(e) for e in edges_b]
    for i, j in pairs(boxes_a, boxes_b):
        met = meet(edges_a[i], edges_b[j])
        if met is not None and met[0] == "cross":
            return met[1]
    # No boundaries cross: either one holds a vertex of the other, or their boundaries run
    # together (one inside the other, or identical), and a point just inside an edge tells.
    for theirs, edges in ((b, edges_a), (a, edges_b)):
        for edge in edges:
            if inside_box(edge[0], common) and theirs.where(edge[0]) > 0:
                return edge[0]
    for mine, theirs, edges in ((a, b, edges_a), (b, a, edges_b)):
        for edge in edges:
            probe = mine.just_inside(edge)
            if probe is not None and theirs.where(probe) > 0:
                return probe
    return None


def _distance_m(a: Position, b: Position) -> float:
    """Great-circle distance (haversine) on zones.Circle's sphere."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _distance_to_edge_m(center: Position, edge: Edge) -> tuple[float, Position]:
    """How far ``edge`` comes to ``center``, in metres: the nearest point in a plane scaled for
    ``center``'s latitude, measured on the sphere."""
    nearest = closest(center, edge, max(math.cos(math.radians(center[1])), 1e-9))
    return _distance_m(center, nearest), nearest
