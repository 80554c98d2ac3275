"""Geofence zones as data: where a zone is, what kind, how it ranks, when it is open.

A storefront's answer depends on where its shopper is: stock of the nearest store, prices of
the city, a pop-up open this weekend. A zone names such an area; ``zonefile`` reads zones from
GeoJSON, ``geometry`` decides whether a point is inside one and ``zoneindex`` finds the zones of
a point without scanning them all. This module holds only the values they share.

Coordinates are GeoJSON's: ``(longitude, latitude)`` in decimal degrees (RFC 7946 §3.1.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "KINDS",
    "LEVELS",
    "Circle",
    "Kind",
    "Level",
    "Polygon",
    "Position",
    "Ring",
    "Shape",
    "Zone",
]

Level = Literal["zone", "city", "region", "country", "global"]
"""A rung of the fallback ladder, finest first: a store/pop-up/event zone, a city (or metro),
a region (state, province), a country, the whole world."""
LEVELS: tuple[Level, ...] = get_args(Level)

Kind = Literal["store", "popup", "event", "city"]
"""What a zone stands for: a store's delivery area, a pop-up shop, a micro-event, a city."""
KINDS: tuple[Kind, ...] = get_args(Kind)

Position = tuple[float, float]
"""``(longitude, latitude)`` in degrees."""
Ring = tuple[Position, ...]
"""A closed linear ring: at least four positions, the last equal to the first."""


@dataclass(frozen=True, slots=True)
class Polygon:
    """A GeoJSON Polygon: ``rings[0]`` is the exterior, any further rings are holes."""

    rings: tuple[Ring, ...]


@dataclass(frozen=True, slots=True)
class Circle:
    """A GeoJSON Point with a ``radius_m`` property: every point within that great-circle
    distance of ``center`` (on a sphere of radius 6371.0088 km, the IUGG mean)."""

    center: Position
    radius_m: float


Shape = tuple[Polygon, ...] | Circle
"""A Polygon or MultiPolygon (as a tuple of polygons), or a circle."""


@dataclass(frozen=True, slots=True)
class Zone:
    """One geofence zone, as the zones file or the KV namespace gives it."""

    id: str
    """Unique, ``[a-z0-9][a-z0-9._-]{0,63}``: it goes into cache keys, tags and headers."""
    kind: Kind
    shape: Shape
    priority: int = 0
    """Among overlapping active zones of one level, the highest priority wins (then the
    smallest id, so a tie is decided the same way everywhere)."""
    starts_at: float | None = None
    """Epoch seconds from which the zone is active (inclusive); None: always was."""
    ends_at: float | None = None
    """Epoch seconds at which it stops being active (exclusive); None: never does."""
    ttl: tuple[tuple[str, float], ...] = ()
    """Per-class edge TTL overrides in seconds, ``(class name, ttl)``, for responses scoped to
    this zone."""
    placeholder_after: float | None = None
    """The zone's origin latency budget before a placeholder is served, in seconds."""

    @property
    def rank(self) -> tuple[int, str]:
        """Sorts the winner of an overlap first: higher priority, then the smaller id."""
        return (-self.priority, self.id)

    @property
    def level(self) -> Level:
        """``city`` for a city zone; ``zone`` for stores, pop-ups and events."""
        return "city" if self.kind == "city" else "zone"

    def active(self, now: float) -> bool:
        """Whether the zone is open at ``now`` (epoch seconds): ``starts_at <= now < ends_at``."""
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )

    def ttl_for(self, content_class: str) -> float | None:
        """This zone's TTL for ``content_class``, or None when it keeps the class's own."""
        for name, seconds in self.ttl:
            if name == content_class:
                return seconds
        return None
