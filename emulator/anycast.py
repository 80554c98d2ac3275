"""Which PoP serves a request, and where its client is: anycast, as a pure function.

A client places itself with ``X-Popcache-Client-Geo: <lat>,<lon>``, or is placed through the
topology's client table by ``CF-Connecting-IP``; otherwise it stands at the first PoP. The
request goes to the PoP nearest the client unless ``X-Popcache-Pop: <colo>`` pins one.
``X-Popcache-Cf`` (a JSON object) overrides fields of ``request.cf``. Bad values are client
errors naming the header.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import ProblemError
from .topology import Location, Placement, Topology

__all__ = ["GEO_HEADER", "Placement", "parse_client_geo", "place"]

GEO_HEADER = "X-Popcache-Client-Geo"
POP_HEADER = "X-Popcache-Pop"
CF_HEADER = "X-Popcache-Cf"


def parse_client_geo(value: str) -> Location:
    """``"<lat>,<lon>"`` in decimal degrees → Location; ProblemError otherwise."""
    parts = value.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        latitude, longitude = float(parts[0]), float(parts[1])
    except ValueError:
        raise ProblemError(
            400,
            "Bad client location",
            f"{GEO_HEADER} must be '<latitude>,<longitude>' in decimal degrees",
            GEO_HEADER,
        ) from None
    if not (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    ):
        raise ProblemError(
            400,
            "Bad client location",
            f"{GEO_HEADER} latitude must be within ±90 and longitude within ±180",
            GEO_HEADER,
        )
    return Location(latitude, longitude)


_CF_STRINGS = frozenset(
    {
        "colo",
        "country",
        "city",
        "continent",
        "latitude",
        "longitude",
        "postalCode",
        "metroCode",
        "region",
        "regionCode",
        "timezone",
    }
)
"""``request.cf`` fields Cloudflare always gives as strings; an override must keep them so, as
the front door copies ``country`` into ``CF-IPCountry`` and a Worker may key on the rest."""
_COUNTRY = re.compile(r"[A-Z]{2}|T1")


def _cf_overrides(value: str | None) -> Mapping[str, Any]:
    if value is None:
        return {}
    try:
        overrides = json.loads(value)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." past the stack's depth
        overrides = None
    if not isinstance(overrides, dict):
        raise ProblemError(400, "Bad cf override", f"{CF_HEADER} must be a JSON object", CF_HEADER)
    for name, value in overrides.items():  # in the order sent: the first bad one is named
        if name in _CF_STRINGS and not (isinstance(value, str) and value.isprintable()):
            raise ProblemError(
                400,
                "Bad cf override",
                f"{CF_HEADER}: {name} must be a string of printable characters, as Cloudflare "
                "gives it",
                f"{CF_HEADER}.{name}",
            )
    country = overrides.get("country")
    if country is not None and not _COUNTRY.fullmatch(country):
        raise ProblemError(
            400,
            "Bad cf override",
            f"{CF_HEADER}: country must be an ISO 3166-1 alpha-2 code, XX or T1",
            f"{CF_HEADER}.country",
        )
    return overrides


def place(topology: Topology, headers: Mapping[str, str], peer_ip: str | None) -> Placement:
    """Decide client location and serving PoP from the request's headers."""
    geo = headers.get(GEO_HEADER)
    pinned = headers.get(POP_HEADER)
    overrides = headers.get(CF_HEADER)
    if geo is None and pinned is None and overrides is None and not topology.clients:
        return topology.default_placement
    ip = headers.get("CF-Connecting-IP") or peer_ip
    if geo is not None:
        client = parse_client_geo(geo)
    else:
        located = topology.locate_ip(ip) if ip else None
        client = located or topology.pops[0].location
    if pinned is not None:
        pop = topology.pop(pinned)
        if pop is None:
            known = ", ".join(site.colo for site in topology.pops)
            raise ProblemError(
                400,
                "Unknown PoP",
                f"{POP_HEADER} names no PoP of this topology (known: {known})",
                POP_HEADER,
            )
    else:
        pop = topology.nearest(client)
    return Placement(pop, client, _cf_overrides(overrides))
