"""Back-pressure: what a struggling origin changes in how the edge caches.

``health.OriginHealth`` turns what the origin answers into a step, 0 (healthy) to 3. Each step
doubles the fresh lifetime of warm content (1x, 2x, 4x, 8x, capped by ``max_multiplier``), so
the edge answers more from its cache; from ``coarsen_at`` on, warm rules shared per store zone
are shared per city instead, so more clients share each entry. Hot content keeps its short
lifetimes (a stock count must not lie for long) and leans on stale-if-error instead. Pure: the
proxy applies these to the policy of each request. ``[backpressure]`` in routes.toml sets them.
"""

from __future__ import annotations

from dataclasses import dataclass

from routesyntax import (
    RoutesError,
    check_keys,
    describe,
    expect_table,
    parse_duration,
    parse_integer,
)
from zones import Level

__all__ = ["BackpressureSettings", "parse_backpressure", "pressed"]

_KEYS = ("max_multiplier", "coarsen_at", "protect_interval", "retry_after_cap")


@dataclass(frozen=True, slots=True)
class BackpressureSettings:
    """``[backpressure]``, defaults filled in."""

    max_multiplier: float = 8.0
    """The most a warm lifetime is multiplied by; 1 turns stretching off."""
    coarsen_at: int = 2
    """The step from which warm rules shared per zone are shared per city; 0: never."""
    protect_interval: float = 1.0
    """While the origin says Retry-After, each key reaches it at most once per this many
    seconds; the other requests get the stale copy, or a 503."""
    retry_after_cap: float = 300.0
    """The longest Retry-After from the origin the edge believes, in seconds."""


def pressed(
    policy_name: str, scope: Level, step: int, settings: BackpressureSettings
) -> tuple[float, Level]:
    """The fresh-lifetime multiplier and the scope a class gets at ``step``."""
    if step <= 0 or policy_name != "warm":
        return 1.0, scope
    stretch = min(float(2**step), settings.max_multiplier)
    if scope == "zone" and settings.coarsen_at and step >= settings.coarsen_at:
        scope = "city"
    return stretch, scope


def parse_backpressure(value: object, where: str) -> BackpressureSettings:
    table = expect_table(value, where)
    check_keys(table, _KEYS, where)
    base = BackpressureSettings()
    multiplier = table.get("max_multiplier", base.max_multiplier)
    if isinstance(multiplier, bool) or not isinstance(multiplier, int | float):
        raise RoutesError(
            f"{where}: key 'max_multiplier': expected a number, got {describe(multiplier)}"
        )
    if not 1 <= multiplier <= 64:
        raise RoutesError(f"{where}: key 'max_multiplier': must be from 1 to 64, got {multiplier}")
    coarsen = parse_integer(
        table.get("coarsen_at", base.coarsen_at), f"{where}: key 'coarsen_at'", 0, 3
    )
    interval = base.protect_interval
    if "protect_interval" in table:
        interval = parse_duration(table["protect_interval"], f"{where}: key 'protect_interval'")
        if not 0 < interval <= 60:
            raise RoutesError(
                f"{where}: key 'protect_interval': must be more than 0 and at most 60s"
            )
    cap = base.retry_after_cap
    if "retry_after_cap" in table:
        cap = parse_duration(table["retry_after_cap"], f"{where}: key 'retry_after_cap'")
        if not 1 <= cap <= 86400:
            raise RoutesError(f"{where}: key 'retry_after_cap': must be from 1s to 1d")
    return BackpressureSettings(float(multiplier), coarsen, interval, cap)
