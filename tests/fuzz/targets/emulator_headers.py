"""The emulator's ``X-Popcache-*`` headers, which place a client and pick its PoP:
``X-Popcache-Client-Geo`` (``anycast.parse_client_geo``), and with ``X-Popcache-Pop``,
``X-Popcache-Cf`` and ``CF-Connecting-IP`` together, ``anycast.place``.

As tests/unit/test_hostile_emulator.py: ``ProblemError`` (a 400 naming the header) refuses.
"""

from __future__ import annotations

from multidict import CIMultiDict

from emulator.anycast import CF_HEADER, GEO_HEADER, POP_HEADER, parse_client_geo, place
from emulator.errors import ProblemError
from emulator.topology import DEFAULT_TOPOLOGY

from ..contract import checked, fields, framed, one_of, text

NAMES = (GEO_HEADER, POP_HEADER, CF_HEADER, "CF-Connecting-IP")


def _client_geo(raw: bytes) -> None:
    location = checked((ProblemError,), parse_client_geo, text(raw))
    if isinstance(location, ProblemError):
        assert (location.status, location.field) == (400, GEO_HEADER)
    else:
        assert -90 <= location.latitude <= 90
        assert -180 <= location.longitude <= 180


def _placement(raw: bytes) -> None:
    *values, peer = fields(raw, len(NAMES) + 1)
    headers = CIMultiDict((name, value) for name, value in zip(NAMES, values, strict=True) if value)
    placement = checked((ProblemError,), place, DEFAULT_TOPOLOGY, headers, peer or None)
    if isinstance(placement, ProblemError):
        assert placement.status == 400
        # the header, or a member of X-Popcache-Cf's object: "X-Popcache-Cf.city"
        assert placement.field.partition(".")[0] in (GEO_HEADER, POP_HEADER, CF_HEADER)
    else:
        assert placement.pop in DEFAULT_TOPOLOGY.pops


PARSERS = (_client_geo, _placement)


fuzz_one = one_of(PARSERS)


SEEDS = (
    framed(0, "37.7749,-122.4194"),
    framed(0, "-33.87,151.21"),
    framed(1, "51.5,-0.12", "", "", "", ""),
    framed(1, "", "lhr", "", "", ""),
    framed(1, "", "", '{"country": "DE", "city": "Berlin", "asn": 3320}', "", ""),
    framed(1, "", "", "", "203.0.113.7", "198.51.100.2"),
)
