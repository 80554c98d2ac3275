"""Which zones hold a point: grids built once, so a lookup never scans every zone.

A request needs its client's best open zone in microseconds, among thousands of stores,
pop-ups and cities. ``ZoneIndex.build`` prepares every shape (``geometry``) and files it in
latitude/longitude grids of 90 / 2**n-degree cells: most zones in one common grid, where the
median zone's bounding box spans about four cells a side, and each zone too large for it in
the finest grid where it spans at most sixteen. A zone is listed in every cell it meets,
marked ``full`` where the whole cell is inside (no point test there); a cell lists its zones
by rank, so its first open candidate holding the point is that grid's answer. A lookup visits
one cell per grid in use (two or three for a city-scale mix) and tests a zone or two.

Ranking, everywhere: priority descending, then id ascending, so overlapping zones of one
level are decided the same way on every PoP. Pure: time is an argument, never read.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable
from typing import NamedTuple

from geometry import prepare
from latlon import POLE, BBox, normalize
from zones import Zone

__all__ = ["Located", "ZoneIndex"]

_FINEST = 20  # cells of 90 / 2**20 degrees: about 10 m
_SPAN = 4  # the median zone's box spans this many cells a side of the common grid
_MOST = 16  # no zone's box spans more cells a side


class Located(NamedTuple):
    """The best active zone of each level holding a point: ``zone`` (a store, pop-up or
    event) and ``city``; None where there is none."""

    zone: Zone | None
    city: Zone | None


_NOWHERE = Located(None, None)

_Candidate = tuple[int, bool, Callable[[float, float], bool], float, float, Zone]
"""``(rank, full, contains, starts, ends)`` and the zone: a zone in one cell. ``contains`` is
the shape's ``contains_normalized``: a lookup normalizes its point once, for every zone."""
_Grid = tuple[float, int, dict[int, list[_Candidate]], dict[int, list[_Candidate]]]
"""Cell size in degrees, columns, and the candidates by rank of the cells in use, keyed
``row * columns + column``: of level ``zone``, and of level ``city``."""


class ZoneIndex:
    """Zones, ranked and filed in grids; build with :meth:`build`."""

    __slots__ = ("_changes", "_grids", "zones")

    def __init__(
        self, zones: tuple[Zone, ...], grids: tuple[_Grid, ...], changes: tuple[float, ...]
    ) -> None:
        self.zones = zones
        """Every zone, best-ranked first."""
        self._grids = grids
        self._changes = changes

    @classmethod
    def build(cls, zones: Iterable[Zone]) -> ZoneIndex:
        """The index of ``zones``; ValueError when two share an id."""
        ranked = tuple(sorted(zones, key=lambda zone: zone.rank))
        for before, after in itertools.pairwise(ranked):
            if before.id == after.id:
                raise ValueError(f"zone id {after.id!r} appears twice: ids must be unique")
        prepared = [prepare(zone.shape) for zone in ranked]
        levels = _levels([shape.bbox for shape in prepared])
        filling: dict[int, tuple[dict[int, list[_Candidate]], dict[int, list[_Candidate]]]] = {}
        for rank, (zone, shape, level) in enumerate(zip(ranked, prepared, levels, strict=True)):
            size = 90.0 / 2**level
            starts = -math.inf if zone.starts_at is None else zone.starts_at
            ends = math.inf if zone.ends_at is None else zone.ends_at
            partial = (rank, False, shape.contains_normalized, starts, ends, zone)
            full = (rank, True, shape.contains_normalized, starts, ends, zone)
            grid = filling.get(level)
            if grid is None:
                filling[level] = grid = ({}, {})
            cells = grid[zone.level == "city"]
            for key, inside in shape.cover(size).items():
                cell = cells.get(key)
                if cell is None:
                    cells[key] = [full if inside else partial]
                else:
                    cell.append(full if inside else partial)
        grids = tuple(
            (90.0 / 2**level, 4 << level, zone_cells, city_cells)
            for level, (zone_cells, city_cells) in sorted(filling.items())
        )
        times = {t for zone in ranked for t in (zone.starts_at, zone.ends_at) if t is not None}
        return cls(ranked, grids, tuple(sorted(times)))

    def locate(self, lat: float, lon: float, now: float) -> Located:
        """The best zone and city active at ``now`` (epoch seconds) holding the point."""
        if not (-POLE < lat < POLE and -180.0 <= lon < 180.0):  # else normalize is a no-op
            point = normalize(lat, lon)
            if point is None:
                return _NOWHERE
            lat, lon = point
        x, y = lon + 180.0, lat + 90.0
        if x >= 360.0:  # lon + 180 rounded up
            x -= 360.0
        zone = city = None
        zone_rank = city_rank = len(self.zones)
        for size, columns, zone_cells, city_cells in self._grids:
            key = int(y / size) * columns + int(x / size)
            for rank, full, contains, starts, ends, found in zone_cells.get(key, ()):
                if rank >= zone_rank:
                    break
                if starts <= now < ends and (full or contains(lat, lon)):
                    zone, zone_rank = found, rank
                    break
            for rank, full, contains, starts, ends, found in city_cells.get(key, ()):
                if rank >= city_rank:
                    break
                if starts <= now < ends and (full or contains(lat, lon)):
                    city, city_rank = found, rank
                    break
        return Located(zone, city)

    def containing(self, lat: float, lon: float) -> tuple[Zone, ...]:
        """Every zone whose shape holds the point, active or not, best-ranked first."""
        point = normalize(lat, lon)
        if point is None:
            return ()
        lat, lon = point
        x, y = lon + 180.0, lat + 90.0
        if x >= 360.0:
            x -= 360.0
        found: list[tuple[int, Zone]] = []
        for size, columns, *cells in self._grids:
            key = int(y / size) * columns + int(x / size)
            for candidates in (cells[0].get(key, ()), cells[1].get(key, ())):
                found += [
                    (rank, zone)
                    for rank, full, contains, _, _, zone in candidates
                    if full or contains(lat, lon)
                ]
        return tuple(zone for _, zone in sorted(found, key=lambda pair: pair[0]))

    def next_change(self, now: float) -> float | None:
        """The first ``starts_at`` or ``ends_at`` after ``now``: until then ``locate`` answers
        every point as it does at ``now``. None when no zone opens or closes after it."""
        i = bisect.bisect_right(self._changes, now)
        return self._changes[i] if i < len(self._changes) else None


def _levels(boxes: list[BBox]) -> list[int]:
    """The grid of each zone: one grid for most, so a lookup has few cells to visit.

    That grid is where the median zone spans ``_SPAN`` cells a side; a zone spanning up to
    ``_MOST`` there joins it (smaller ones too: they meet a cell or four), a larger one goes to
    the finest grid where it spans at most ``_MOST``.
    """
    if not boxes:
        return []
    common = sorted(_fit(box, _SPAN) for box in boxes)[len(boxes) // 2]
    return [min(common, _fit(box, _MOST)) for box in boxes]


def _fit(bbox: BBox, span: int) -> int:
    """The finest grid where ``bbox`` spans at most ``span`` cells a side."""
    south, west, north, east = bbox
    extent = max(north - south, east - west, 1e-12)
    level = math.floor(math.log2(90.0 * (span - 1) / extent))
    return min(max(level, 0), _FINEST)
