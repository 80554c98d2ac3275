"""Zones, a GeoJSON FeatureCollection from the bundle or KV: ``zonefile.parse_zones`` and
``zonefile.load_zones``.

As tests/unit/test_edge_hostile_config.py: ``parse_zones`` is total (problems, not
exceptions); ``load_zones`` raises ``ZoneError`` exactly when there are problems.
"""

from __future__ import annotations

from zonefile import ZoneError, load_zones, parse_zones

from .. import EDGE
from ..contract import checked, text

TOTAL: tuple[type[Exception], ...] = ()


def fuzz_one(data: bytes) -> None:
    document = text(data)
    parsed = checked(TOTAL, parse_zones, document, "zones.geojson")
    assert all(problem.message for problem in parsed.problems)
    if isinstance(checked((ZoneError,), load_zones, document, "zones.geojson"), ZoneError):
        assert parsed.problems


CIRCLE = (
    b'{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "sf", '
    b'"geometry": {"type": "Point", "coordinates": [-122.42, 37.77]}, '
    b'"properties": {"radius_km": 12, "ttl": {"html": "5m"}}}]}'
)
SEEDS = ((EDGE / "zones.geojson").read_bytes(), CIRCLE)
