"""``[events]`` and ``[purge]`` in ``routes.toml``: how inventory events become purges.

Which tags an event purges, hard or soft, and after how long, is policy the storefront owns, so
it is data (docs/events.md): ``[[events.on.<type>]]`` lists an event type's phases. The
defaults are the demo storefront's: a stock change hard-purges that sku at that store, a price
change its prices, a product edit soft-purges its pages, and a restock runs the cascade (stock
and price at once, product pages after 10 s, listings and the zone's recommendations after
30 s), so the refill after a flash restock reaches the origin a little at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from events import EVENT_TYPES
from invalidation import Phase, check_template
from purgebucket import MAX_TAGS_PER_CALL, PLANS, PurgeRate
from routesyntax import (
    RoutesError,
    check_keys,
    describe,
    expect_string,
    expect_table,
    parse_duration,
    parse_integer,
)

__all__ = ["DEFAULT_PHASES", "EventSettings", "PurgeSettings", "parse_events", "parse_purge"]

_MAX_DELAY = 43_200  # Queues' longest delivery delay: 12 hours
_MAX_EVENTS = 100  # Queues' sendBatch: at most 100 messages

DEFAULT_PHASES: Mapping[str, tuple[Phase, ...]] = {
    "inventory.changed": (Phase(0, "hard", ("sku:{sku}@{store}",)),),
    "price.changed": (Phase(0, "hard", ("price:{sku}",)),),
    "product.updated": (Phase(0, "soft", ("sku:{sku}",)),),
    "restock": (
        Phase(0, "hard", ("sku:{sku}@{store}", "price:{sku}")),
        Phase(10, "soft", ("sku:{sku}",)),
        Phase(30, "soft", ("store:{store}", "zone:{zone}", "products", "inventory")),
    ),
}


@dataclass(frozen=True, slots=True)
class EventSettings:
    """``[events]``, defaults filled in."""

    tolerance: float = 300.0
    """How far a signature's time may be from the edge's clock, either way (replay window)."""
    max_events: int = _MAX_EVENTS
    """Events per request: one queue ``sendBatch`` carries them all."""
    remember: float = 86_400.0
    """How long an event id is remembered, so a redelivered event is applied once."""
    phases: Mapping[str, tuple[Phase, ...]] = field(default_factory=lambda: DEFAULT_PHASES)
    """Each event type's purges: ``after`` seconds, ``hard`` or ``soft``, tag templates."""


@dataclass(frozen=True, slots=True)
class PurgeSettings:
    """``[purge]``, defaults filled in."""

    plan: str = "pro"
    """The Cloudflare plan whose purge rate limit the consumer keeps under."""
    tags_per_call: int = MAX_TAGS_PER_CALL
    """Tags in one purge API call (Cloudflare: at most 100 on every plan)."""

    @property
    def rate(self) -> PurgeRate:
        return PLANS[self.plan]


def parse_events(value: object, where: str) -> EventSettings:
    """The ``[events]`` table ``value``; RoutesError naming ``where`` and the key."""
    table = expect_table(value, where)
    check_keys(table, ("tolerance", "max_events", "remember", "on"), where)
    base = EventSettings()
    tolerance = base.tolerance
    if "tolerance" in table:
        tolerance = parse_duration(table["tolerance"], f"{where}: key 'tolerance'")
        if not 1 <= tolerance <= 3600:
            raise RoutesError(f"{where}: key 'tolerance': must be from 1s to 1h")
    remember = base.remember
    if "remember" in table:
        remember = parse_duration(table["remember"], f"{where}: key 'remember'")
        if not 60 <= remember <= 30 * 86_400:
            # KV's shortest expiration is 60 s
            raise RoutesError(f"{where}: key 'remember': must be from 60s to 30d")
    max_events = parse_integer(
        table.get("max_events", base.max_events), f"{where}: key 'max_events'", 1, _MAX_EVENTS
    )
    phases = dict(base.phases)
    if "on" in table:
        on = expect_table(table["on"], f"{where}: key 'on'")
        for name, entries in on.items():
            if name not in EVENT_TYPES:
                raise RoutesError(
                    f"{where}: key 'on.{name}': unknown event type "
                    f"(expected one of {', '.join(EVENT_TYPES)})"
                )
            phases[name] = _phases(entries, f"{where}: key 'on.{name}'")
    return EventSettings(tolerance, max_events, remember, phases)


def _phases(value: object, where: str) -> tuple[Phase, ...]:
    if not isinstance(value, list):
        raise RoutesError(f"{where}: expected an array of tables, got {describe(value)}")
    return tuple(_phase(entry, f"{where}[{index}]") for index, entry in enumerate(value))


def _phase(value: object, where: str) -> Phase:
    table = expect_table(value, where)
    check_keys(table, ("after", "mode", "tags"), where)
    after = parse_duration(table.get("after", 0), f"{where}: key 'after'")
    if after > _MAX_DELAY or after != int(after):
        raise RoutesError(
            f"{where}: key 'after': must be whole seconds up to 12h (Queues' longest delay)"
        )
    mode = expect_string(table.get("mode", "hard"), f"{where}: key 'mode'")
    if mode not in ("hard", "soft"):
        raise RoutesError(f"{where}: key 'mode': expected 'hard' or 'soft', got {mode!r}")
    tags = table.get("tags")
    if not isinstance(tags, list) or not tags:
        raise RoutesError(f"{where}: key 'tags': expected a non-empty array of tag templates")
    for index, template in enumerate(tags):
        text = expect_string(template, f"{where}: key 'tags[{index}]'")
        if (reason := check_template(text)) is not None:
            raise RoutesError(f"{where}: key 'tags[{index}]': {reason}")
    return Phase(int(after), "hard" if mode == "hard" else "soft", tuple(tags))


def parse_purge(value: object, where: str) -> PurgeSettings:
    """The ``[purge]`` table ``value``; RoutesError naming ``where`` and the key."""
    table = expect_table(value, where)
    check_keys(table, ("plan", "tags_per_call"), where)
    base = PurgeSettings()
    plan = expect_string(table.get("plan", base.plan), f"{where}: key 'plan'")
    if plan not in PLANS:
        raise RoutesError(f"{where}: key 'plan': expected one of {', '.join(PLANS)}, got {plan!r}")
    per_call = parse_integer(
        table.get("tags_per_call", base.tags_per_call),
        f"{where}: key 'tags_per_call'",
        1,
        MAX_TAGS_PER_CALL,
    )
    return PurgeSettings(plan, per_call)
