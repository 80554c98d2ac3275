"""Points of presence and where clients are: the emulated network's map.

The default topology has three PoPs (SFO, ORD, LHR). A TOML file overrides it::

    [[pop]]
    colo = "AMS"            # IATA-style code, shown in CF-Ray and request.cf.colo
    city = "Amsterdam"
    country = "NL"          # ISO 3166-1 alpha-2
    latitude = 52.31
    longitude = 4.76

    [[client]]              # optional: place clients by CF-Connecting-IP
    cidr = "203.0.113.0/24"
    latitude = 52.37
    longitude = 4.89
    asn = 64500             # optional, request.cf.asn
    postal_code = "1012"    # optional, request.cf.postalCode

    [upper_tier]            # optional: Tiered Cache's upper tier (on unless enabled = false)
    enabled = true
    name = "popcache-upper" # optional, its name in Cache-Status

Anycast is modelled as "the nearest PoP by great-circle distance". Tiered Cache
(https://developers.cloudflare.com/cache/how-to/tiered-cache/) puts one upper tier between
every PoP and the origin (:mod:`emulator.uppertier`); the default topology and topology files
have it unless ``enabled = false``; a ``Topology`` built in code has none unless given one.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .tomlfile import read_toml

__all__ = [
    "DEFAULT_TOPOLOGY",
    "DEFAULT_UPPER_TIER_NAME",
    "ClientRange",
    "Location",
    "Placement",
    "PopSite",
    "Topology",
    "UpperTierConfig",
    "distance_km",
    "load_topology",
]

_COLO = re.compile(r"^[A-Z0-9]{3,4}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# An RFC 8941 token, as RFC 9211 wants a cache's name in Cache-Status.
_TOKEN = re.compile(r"^[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*\Z")
DEFAULT_UPPER_TIER_NAME = "popcache-upper"
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    asn: int | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class PopSite:
    colo: str
    city: str
    country: str
    latitude: float
    longitude: float
    location: Location = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "location", Location(self.latitude, self.longitude))


@dataclass(frozen=True)
class Placement:
    """Where a client is, which PoP serves it, and its ``request.cf`` overrides."""

    pop: PopSite
    client: Location
    cf_overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientRange:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    location: Location


@dataclass(frozen=True)
class UpperTierConfig:
    """Tiered Cache's upper tier, shared by every PoP; ``name`` is its ``Cache-Status`` name."""

    name: str = DEFAULT_UPPER_TIER_NAME


@dataclass(frozen=True)
class Topology:
    pops: tuple[PopSite, ...]
    clients: tuple[ClientRange, ...] = ()
    upper_tier: UpperTierConfig | None = None
    """The upper tier between the PoPs and the origin; None: each PoP asks the origin."""

    @functools.cached_property
    def default_placement(self) -> Placement:
        """Where an unplaced client stands: at the first PoP, served by it."""
        return Placement(self.pops[0], self.pops[0].location)

    def pop(self, colo: str) -> PopSite | None:
        colo = colo.strip().upper()
        return next((site for site in self.pops if site.colo == colo), None)

    def nearest(self, location: Location) -> PopSite:
        return _nearest(self.pops, location)

    def locate_ip(self, address: str) -> Location | None:
        """The location of the most specific client range holding ``address``."""
        if not self.clients:
            return None
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return None
        matches = [entry for entry in self.clients if ip in entry.network]
        if not matches:
            return None
        return max(matches, key=lambda entry: entry.network.prefixlen).location


@functools.lru_cache(maxsize=4096)
def _nearest(pops: tuple[PopSite, ...], location: Location) -> PopSite:
    return min(pops, key=lambda site: distance_km(site.location, location))


def distance_km(a: Location, b: Location) -> float:
    """Great-circle (haversine) distance."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


DEFAULT_TOPOLOGY = Topology(
    pops=(
        PopSite("SFO", "San Francisco", "US", 37.6213, -122.3790),
        PopSite("ORD", "Chicago", "US", 41.9742, -87.9073),
        PopSite("LHR", "London", "GB", 51.4700, -0.4543),
    ),
    upper_tier=UpperTierConfig(),
)


def load_topology(path: Path) -> Topology:
    raw = read_toml(path)
    for key in raw:
        if key not in ("pop", "client", "upper_tier"):
            raise ConfigError(
                path, "unknown key (expected [[pop]], [[client]] and [upper_tier])", key
            )
    pops = raw.get("pop")
    if not isinstance(pops, list) or not pops:
        raise ConfigError(path, "at least one [[pop]] table is required", "pop")
    sites = tuple(_site(path, index, entry) for index, entry in enumerate(pops))
    colos = [site.colo for site in sites]
    for index, colo in enumerate(colos):
        if colo in colos[:index]:
            raise ConfigError(path, f"colo {colo} is declared twice", f"pop[{index}].colo")
    clients = raw.get("client", [])
    if not isinstance(clients, list):
        raise ConfigError(path, "must be an array of tables ([[client]])", "client")
    return Topology(
        sites,
        tuple(_client(path, i, entry) for i, entry in enumerate(clients)),
        _upper_tier(path, raw.get("upper_tier", {})),
    )


def _upper_tier(path: Path, entry: Any) -> UpperTierConfig | None:
    table = _table(path, "upper_tier", entry)
    for key in table:
        if key not in ("enabled", "name"):
            raise ConfigError(path, "unknown key (expected enabled, name)", f"upper_tier.{key}")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(path, "must be true or false", "upper_tier.enabled")
    name = DEFAULT_UPPER_TIER_NAME
    if "name" in table:
        name = _text(path, "upper_tier", table, "name", _TOKEN)
    return UpperTierConfig(name) if enabled else None


def _table(path: Path, where: str, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ConfigError(path, "must be a table", where)
    return entry


def _coordinate(path: Path, where: str, entry: dict[str, Any], key: str, limit: float) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(path, "must be a number", f"{where}.{key}")
    if not -limit <= value <= limit:
        raise ConfigError(path, f"must be between -{limit:g} and {limit:g}", f"{where}.{key}")
    return float(value)


def _text(
    path: Path, where: str, entry: dict[str, Any], key: str, pattern: re.Pattern[str] | None
) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value or (pattern and not pattern.match(value)):
        hint = f" matching {pattern.pattern}" if pattern else ""
        raise ConfigError(path, f"must be a string{hint}", f"{where}.{key}")
    return value


def _site(path: Path, index: int, entry: Any) -> PopSite:
    where = f"pop[{index}]"
    table = _table(path, where, entry)
    return PopSite(
        colo=_text(path, where, table, "colo", _COLO),
        city=_text(path, where, table, "city", None),
        country=_text(path, where, table, "country", _COUNTRY),
        latitude=_coordinate(path, where, table, "latitude", 90),
        longitude=_coordinate(path, where, table, "longitude", 180),
    )


def _client(path: Path, index: int, entry: Any) -> ClientRange:
    where = f"client[{index}]"
    table = _table(path, where, entry)
    try:
        network = ipaddress.ip_network(_text(path, where, table, "cidr", None), strict=False)
    except ValueError:
        raise ConfigError(
            path, "must be an IP network such as 203.0.113.0/24", f"{where}.cidr"
        ) from None
    asn = table.get("asn")
    if asn is not None and (isinstance(asn, bool) or not isinstance(asn, int) or asn < 0):
        raise ConfigError(path, "must be a non-negative integer", f"{where}.asn")
    postal = table.get("postal_code")
    if postal is not None and not isinstance(postal, str):
        raise ConfigError(path, "must be a string", f"{where}.postal_code")
    location = Location(
        _coordinate(path, where, table, "latitude", 90),
        _coordinate(path, where, table, "longitude", 180),
        asn,
        postal,
    )
    return ClientRange(network, location)
