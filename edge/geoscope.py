"""Which zone a response is shared in: the fallback ladder from store zone to the world.

A hot stock count is right for one store's delivery area, a warm page for a city, a help page
for everyone. Each class declares the finest level it is shared at (``scope``) and the coarsest
it accepts (``fallback``); the request's rungs come from the zones that contain the client's
coordinates and, below them, from what ``request.cf`` says of the client (metro, city, region,
country). The chosen rung's id is the key's scope slot, the origin's ``Edge-Geo-Zone`` and the
``zone:<id>`` tag, so the key holds everything the origin was told: two PoPs serving clients of
one zone build the same key and the same origin request.

Only ``request.cf`` places a client, never a header it sent. Ids of zones from the zones file
never contain ``:``; ids made from ``request.cf`` always do, so neither can pass for the other.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from zoneindex import Located
from zones import LEVELS, Level, Zone

__all__ = ["GLOBAL", "Geo", "Scope", "geo_from_cf", "ladder", "pick"]

_SLUG_RUN = re.compile(r"[^a-z0-9]+")
_CODE = re.compile(r"[A-Za-z0-9]{1,8}")


@dataclass(frozen=True, slots=True)
class Geo:
    """What the runtime says of where the client is (``request.cf``), checked and normalised."""

    lat: float | None = None
    lon: float | None = None
    metro: str | None = None
    """``metroCode`` (a DMA code, US only), digits."""
    city: str | None = None
    """A slug of ``city``: ASCII lower case, words joined by ``-``."""
    region: str | None = None
    """``regionCode`` (ISO 3166-2 subdivision), lower case."""
    country: str | None = None
    """``country`` (ISO 3166-1 alpha-2), lower case; Cloudflare's ``T1`` (Tor) included."""


@dataclass(frozen=True, slots=True)
class Scope:
    """A rung of the ladder: its level, its id, and the zone when a zones file names it."""

    level: Level
    id: str
    zone: Zone | None = None


GLOBAL = Scope("global", "global")


def geo_from_cf(cf: Mapping[str, object]) -> Geo:
    """A ``Geo`` from ``request.cf``'s fields; a field that is missing or malformed is None.

    Coordinates must be finite and on the globe (``latitude`` within ±90, ``longitude`` within
    ±180); codes must be short alphanumerics, so nothing a client could shape reaches a key.
    """
    lat, lon = _degrees(cf.get("latitude"), 90.0), _degrees(cf.get("longitude"), 180.0)
    if lat is None or lon is None:
        lat = lon = None
    metro = cf.get("metroCode")
    return Geo(
        lat=lat,
        lon=lon,
        metro=str(metro) if isinstance(metro, str | int) and str(metro).isdigit() else None,
        city=_slug(cf.get("city")),
        region=_code(cf.get("regionCode")),
        country=_code(cf.get("country")),
    )


def ladder(geo: Geo, located: Located) -> tuple[Scope | None, ...]:
    """The client's rung at each level of ``LEVELS`` (finest first), None where it has none.

    - zone: the best active store, pop-up or event zone containing the point;
    - city: the best active city zone containing it, else ``metro:<code>``, else
      ``city:<country>:<region>:<city>`` from ``request.cf``;
    - region: ``region:<country>:<code>``; country: ``country:<code>``; global: ``global``.
    """
    zone = Scope("zone", located.zone.id, located.zone) if located.zone is not None else None
    city: Scope | None = None
    if located.city is not None:
        city = Scope("city", located.city.id, located.city)
    elif geo.metro is not None:
        city = Scope("city", f"metro:{geo.metro}")
    elif geo.city is not None and geo.country is not None:
        city = Scope("city", f"city:{geo.country}:{geo.region or '-'}:{geo.city}")
    region = None
    if geo.region is not None and geo.country is not None:
        region = Scope("region", f"region:{geo.country}:{geo.region}")
    country = Scope("country", f"country:{geo.country}") if geo.country is not None else None
    return (zone, city, region, country, GLOBAL)


def pick(rungs: tuple[Scope | None, ...], finest: Level, coarsest: Level) -> Scope | None:
    """The finest rung from ``finest`` down to ``coarsest``; None when none is known."""
    for rung in rungs[LEVELS.index(finest) : LEVELS.index(coarsest) + 1]:
        if rung is not None:
            return rung
    return None


def _degrees(value: object, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        degrees = float(value)
    except ValueError:
        return None
    return degrees if math.isfinite(degrees) and -limit <= degrees <= limit else None


def _code(value: object) -> str | None:
    if isinstance(value, str) and _CODE.fullmatch(value):
        return value.lower()
    return None


def _slug(value: object) -> str | None:
    """``"São Paulo"`` → ``"sao-paulo"``; a name with no Latin letters becomes a short hash of
    itself, so every city keeps a key of its own and every key stays ASCII."""
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        return None
    folded = unicodedata.normalize("NFKD", value.lower())
    ascii_only = "".join(char for char in folded if not unicodedata.combining(char))
    slug = _SLUG_RUN.sub("-", ascii_only).strip("-")[:64].strip("-")
    if slug:
        return slug
    return "h" + hashlib.sha256(value.encode()).hexdigest()[:12]
