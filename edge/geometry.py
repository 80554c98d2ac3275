"""Point in zone: each shape prepared once, so a test costs a few microseconds.

``prepare`` turns a zone's shape into a ``Prepared``: a (Multi)Polygon by the even-odd rule in
(longitude, latitude) degrees, each point of a shared edge in exactly one zone (``polygons``),
or a circle by great-circle distance (``circles``). Either takes any point: ``contains`` reads
it as ``latlon.normalize`` does, so a longitude may come in any frame and a pole at any
longitude, and then asks ``contains_normalized``, which a caller that has normalized the point
already may ask directly.

``cover`` classifies the cells of a lat/lon grid as full or partial, conservatively: a cell is
full only when no edge (or circle boundary) comes within about 0.1 mm of it, so a lookup may
skip the test there and still answer as ``contains`` does (which is what decides the cells no
edge comes near, a row at a time).
"""

from __future__ import annotations

from typing import Protocol

from circles import Cap
from latlon import BBox
from polygons import Polygons
from zones import Circle, Shape

__all__ = ["Prepared", "prepare"]


class Prepared(Protocol):
    """A shape ready for point tests; arguments are ``(lat, lon)`` in degrees."""

    @property
    def bbox(self) -> BBox:
        """The shape's bounds (conservative by ``latlon.EPS``)."""
        ...

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point is in the shape (see ``polygons`` for its boundary): any point,
        read as ``latlon.normalize`` reads it."""
        ...

    def contains_normalized(self, lat: float, lon: float) -> bool:
        """``contains`` of a point ``latlon.normalize`` returned, without reading it again: for
        a caller that normalizes once for many shapes (``zoneindex``)."""
        ...

    def cover(self, size: float) -> dict[int, bool]:
        """The cells of the grid of ``size``-degree cells (``size`` = 90 / 2**n) that meet the
        shape, keyed ``row * (360 / size) + column`` counting from (-90, -180): True when the
        whole cell is inside."""
        ...


def prepare(shape: Shape) -> Prepared:
    """``shape``, prepared for ``contains`` and ``cover``."""
    if isinstance(shape, Circle):
        return Cap(shape)
    return Polygons(shape)
