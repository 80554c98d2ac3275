"""routes.toml: the whole file (``routes.load_routes``), one route pattern
(``routesyntax.compile_pattern``) and one duration (``routesyntax.parse_duration``).

As tests/unit/test_edge_hostile_config.py: ``RoutesError`` (naming where) refuses.
"""

from __future__ import annotations

import math

from routes import load_routes
from routesyntax import RoutesError, compile_pattern, parse_duration

from .. import EDGE
from ..contract import checked, framed, one_of, text


def _routes(raw: bytes) -> None:
    refused = checked((RoutesError,), load_routes, text(raw), "routes.toml")
    if isinstance(refused, RoutesError):
        assert str(refused).startswith("routes.toml")


def _pattern(raw: bytes) -> None:
    checked((RoutesError,), compile_pattern, text(raw), "here")


def _duration(raw: bytes) -> None:
    seconds = checked((RoutesError,), parse_duration, text(raw), "here")
    if not isinstance(seconds, RoutesError):
        assert math.isfinite(seconds)
        assert seconds >= 0


PARSERS = (_routes, _pattern, _duration)


fuzz_one = one_of(PARSERS)


SEEDS = (
    framed(0, (EDGE / "routes.toml").read_bytes()),
    framed(0, '[[rule]]\npath = "/p/**"\nclass = "warm"\ntimeout = "200ms"\n'),
    framed(1, "/api/products/{sku}/**"),
    framed(1, "/static/*.css"),
    framed(2, "1h30m"),
    framed(2, "250ms"),
)
