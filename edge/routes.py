"""Which content class a request belongs to, and what each class means for caching.

A storefront mixes answers that go stale in seconds (stock, prices) with answers good for a day
(help pages) and answers that must never be shared (carts). ``routes.toml`` names those classes
per path; this module validates it once, at load, so a typo fails the deploy with one line
naming the file, the rule and the key instead of silently caching a cart. Pure: the entry adapter
reads the file and passes its text to :func:`load_routes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar, get_args

from backpressure import BackpressureSettings, parse_backpressure
from batchconfig import BatchSettings, parse_batch
from eventconfig import EventSettings, PurgeSettings, parse_events, parse_purge
from routesyntax import (
    RoutesError,
    check_json,
    check_keys,
    compile_pattern,
    describe,
    expect_string,
    expect_table,
    parse_cache_control,
    parse_duration,
    parse_header_names,
    parse_methods,
    parse_param_prefixes,
    parse_params,
    parse_precision,
    parse_timeout,
    parse_toml,
)
from template import holes
from viewconfig import View, parse_views
from zones import LEVELS, Level

__all__ = [
    "DEFAULT_VARY",
    "PLACEHOLDER_HOLES",
    "ClassPolicy",
    "Hints",
    "Routes",
    "RoutesError",
    "Rule",
    "Settings",
    "ZoneSettings",
    "load_routes",
]

Hints = Literal["honour", "cap", "ignore"]
_HINTS: tuple[Hints, ...] = get_args(Hints)
_T = TypeVar("_T")
PLACEHOLDER_HOLES = ("retry_after", "poll")
"""What a placeholder body may show: seconds until the next poll, and the URL to poll."""


@dataclass(frozen=True, slots=True)
class ClassPolicy:
    """How the edge caches one content class (all durations in seconds)."""

    name: str
    """``"hot"``, ``"warm"``, ``"cold"``, ``"bypass"`` or ``"origin"``."""
    store: bool
    """False only for bypass: never looked up, never stored."""
    ttl: float | None
    """The edge lifetime when the origin gives none, and the maximum for ``hints="cap"``;
    None only for ``origin`` (plain RFC 9111: no freshness information, no reuse)."""
    hints: Hints
    """``honour``: the origin's lifetime wins; ``cap``: it may only shorten ``ttl``;
    ``ignore``: always ``ttl``. The origin's lifetime is CDN-Cache-Control, s-maxage, max-age
    or Expires."""
    swr: float
    """stale-while-revalidate when the origin gives none."""
    sie: float
    """stale-if-error when the origin gives none."""
    browser: str | None
    """The Cache-Control sent to browsers; None passes the origin's own."""
    timeout: float
    """How long to wait for the origin before answering 504 (or stale-if-error)."""
    scope: Level = "global"
    """The finest geo level a response is shared at: its cache key, ``Edge-Geo-Zone`` and
    ``zone:<id>`` tag name the client's zone at this level (``geoscope``)."""
    fallback: Level = "global"
    """The coarsest level the class accepts when the client has none finer; beyond it the
    request is forwarded unshared."""
    budget: float | None = None
    """How long a miss or revalidation waits for the origin before the client gets the stale
    copy or a placeholder (docs/placeholders.md); None: it waits up to ``timeout``."""
    placeholder: object = None
    """The JSON body of a placeholder (``{{ retry_after }}`` and ``{{ poll }}`` holes); None
    for the built-in one."""
    stretch: float = 1.0
    """What back-pressure multiplies the fresh lifetime by (``backpressure``); 1 in the file."""


_CLASSES = (  # name, store, ttl, hints, swr, sie, browser, timeout, scope
    ClassPolicy("hot", True, 5.0, "cap", 5.0, 60.0, "no-store", 5.0, "zone", budget=0.5),
    ClassPolicy("warm", True, 300.0, "honour", 60.0, 3600.0, None, 10.0, "city", budget=1.0),
    ClassPolicy("cold", True, 86400.0, "honour", 86400.0, 604800.0, None, 15.0, budget=2.0),
    ClassPolicy("bypass", False, None, "honour", 0.0, 0.0, None, 10.0, "zone"),
    ClassPolicy("origin", True, None, "honour", 0.0, 0.0, None, 10.0),
)
_CLASS_NAMES = ", ".join(policy.name for policy in _CLASSES)
_POLICY_KEYS = (
    *("ttl", "swr", "sie", "browser", "hints", "timeout", "scope", "fallback"),
    *("budget", "placeholder"),
)
_RULE_KEYS = ("name", "path", "methods", "class", *_POLICY_KEYS)
_SETTINGS_KEYS = ("tracking_params", "vary", "coordinate_params", "geocell_precision")
_ZONES_KEYS = ("file", "kv_binding", "kv_key", "refresh", "first_wait")
_FORBIDDEN = {
    "bypass": (
        set(_POLICY_KEYS) - {"timeout", "scope", "fallback"},
        "pointless: class 'bypass' never stores",
    ),
    "origin": ({"ttl", "hints"}, "class 'origin' always takes the origin's own lifetime"),
}
DEFAULT_VARY = frozenset({"accept-encoding", "accept-language", "accept", "edge-geo-zone"})
_ANY = frozenset({"*"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``[[rule]]``: requests it covers and the policy they get."""

    name: str
    """The rule's ``name``, else its path pattern."""
    path: str
    """The path pattern as written."""
    methods: frozenset[str]
    """Upper-case method names; ``{"*"}`` is any method."""
    policy: ClassPolicy
    """The class's policy with the rule's overrides applied."""
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = compile_pattern(self.path, f"rule {self.name!r}: key 'path'")
        object.__setattr__(self, "_regex", regex)


@dataclass(frozen=True, slots=True)
class Settings:
    """``[settings]``: what cache keys ignore and what responses may vary on."""

    tracking_params: tuple[str, ...] = ()
    """Query params dropped from cache keys besides the built-in ones (``*`` ends a prefix)."""
    vary: frozenset[str] = DEFAULT_VARY
    """Lower-case request header names a response may Vary on and still be stored."""
    coordinate_params: tuple[str, ...] = ("lat", "lon", "lng", "latitude", "longitude")
    """Query params holding coordinates, rounded to a geocell in cache keys."""
    geocell_precision: int = 6
    """Geohash length of that cell, 1..12."""


@dataclass(frozen=True, slots=True)
class ZoneSettings:
    """``[zones]``: where the geofence zones come from (``docs/zones.md``)."""

    file: str | None = "zones.geojson"
    """The static zones, a GeoJSON file beside ``routes.toml`` in the bundle; None: none."""
    kv_binding: str | None = "ZONES"
    """The KV namespace binding holding the dynamic zones; None: static zones only."""
    kv_key: str = "zones"
    """The key in that namespace whose value is a GeoJSON FeatureCollection."""
    refresh: float = 30.0
    """The isolate re-reads the dynamic zones at most this often, in seconds."""
    first_wait: float = 0.25
    """How long an isolate's first request waits for the dynamic zones; afterwards no request
    waits for KV."""


@dataclass(frozen=True, slots=True)
class Routes:
    """A loaded ``routes.toml``: rules in file order, the default rule and the settings."""

    rules: tuple[Rule, ...]
    """The ``[[rule]]`` entries, in file order."""
    default: Rule
    """What unmatched requests get: class ``origin``, path ``/**``, any method."""
    settings: Settings
    """The ``[settings]`` table, defaults filled in."""
    classes: tuple[ClassPolicy, ...]
    """The five class policies with the file's ``[classes.*]`` overrides."""
    zones: ZoneSettings = ZoneSettings()
    """The ``[zones]`` table, defaults filled in."""
    batch: BatchSettings = BatchSettings()
    """The ``[batch]`` table: limits of ``POST /_edge/batch`` (docs/batch.md)."""
    views: tuple[View, ...] = ()
    """The ``[views.<name>]`` tables, served at ``/_edge/views/<name>`` (docs/views.md)."""
    backpressure: BackpressureSettings = BackpressureSettings()
    """The ``[backpressure]`` table (docs/placeholders.md)."""
    events: EventSettings = EventSettings()
    """The ``[events]`` table: intake of ``POST /_edge/events`` and its purges (docs/events.md)."""
    purge: PurgeSettings = PurgeSettings()
    """The ``[purge]`` table: the purge API's plan and call size (docs/events.md)."""

    def match(self, method: str, path: str) -> Rule:
        """The first rule whose pattern matches ``path`` (no query) and whose methods include
        ``method`` (compared upper-case; HEAD is covered by GET), else :attr:`default`."""
        method = method.upper()
        for rule in self.rules:
            methods = rule.methods
            if (
                method in methods or "*" in methods or (method == "HEAD" and "GET" in methods)
            ) and rule._regex.fullmatch(path) is not None:
                return rule
        return self.default

    def policy(self, name: str) -> ClassPolicy:
        """Class ``name``'s policy without rule overrides; KeyError for an unknown class."""
        for policy in self.classes:
            if policy.name == name:
                return policy
        raise KeyError(name)


def load_routes(text: str, source: str = "edge/routes.toml") -> Routes:
    """Parse and validate the text of a routes file; :class:`RoutesError` on the first error."""
    document = parse_toml(text, source)
    check_keys(
        document,
        (
            "settings",
            "classes",
            "rule",
            "zones",
            "batch",
            "views",
            "backpressure",
            "events",
            "purge",
        ),
        f"{source}: top level",
    )
    settings = _settings(document.get("settings", {}), f"{source}: [settings]")
    classes = _classes(document.get("classes", {}), source)
    by_name = {policy.name: policy for policy in classes}
    rules = _rules(document.get("rule", []), source, by_name)
    zones = _zones(document.get("zones", {}), f"{source}: [zones]")
    default = Rule("default", "/**", _ANY, by_name["origin"])
    batch = parse_batch(document.get("batch", {}), f"{source}: [batch]")
    views = parse_views(document.get("views", {}), source, batch.prefixes)
    pressure = parse_backpressure(document.get("backpressure", {}), f"{source}: [backpressure]")
    events = parse_events(document.get("events", {}), f"{source}: [events]")
    purge = parse_purge(document.get("purge", {}), f"{source}: [purge]")
    return Routes(rules, default, settings, classes, zones, batch, views, pressure, events, purge)


def _settings(value: object, where: str) -> Settings:
    table = expect_table(value, where)
    check_keys(table, _SETTINGS_KEYS, where)
    base = Settings()
    return Settings(
        _key(table, "tracking_params", where, parse_param_prefixes, base.tracking_params),
        _key(table, "vary", where, parse_header_names, base.vary),
        _key(table, "coordinate_params", where, parse_params, base.coordinate_params),
        _key(table, "geocell_precision", where, parse_precision, base.geocell_precision),
    )


def _zones(value: object, where: str) -> ZoneSettings:
    table = expect_table(value, where)
    check_keys(table, _ZONES_KEYS, where)
    base = ZoneSettings()
    return ZoneSettings(
        _key(table, "file", where, _optional_name, base.file),
        _key(table, "kv_binding", where, _optional_name, base.kv_binding),
        _key(table, "kv_key", where, expect_string, base.kv_key),
        _key(table, "refresh", where, parse_duration, base.refresh),
        _key(table, "first_wait", where, _first_wait, base.first_wait),
    )


def _first_wait(value: object, where: str) -> float:
    seconds = parse_duration(value, where)
    if seconds > 10:
        raise RoutesError(f"{where}: must be at most 10 seconds (0: never wait), got {value!r}")
    return seconds


def _optional_name(value: object, where: str) -> str | None:
    """A file or binding name, or None for ``""`` (turned off)."""
    if value == "":
        return None
    return expect_string(value, where)


def _classes(value: object, source: str) -> tuple[ClassPolicy, ...]:
    table = expect_table(value, f"{source}: [classes]")
    for name in table:
        if all(policy.name != name for policy in _CLASSES):
            raise RoutesError(
                f"{source}: [classes]: unknown class {name!r} (expected {_CLASS_NAMES})"
            )
    policies = []
    for policy in _CLASSES:
        where = f"{source}: [classes.{policy.name}]"
        overrides = expect_table(table.get(policy.name, {}), where)
        check_keys(overrides, _POLICY_KEYS, where)
        policies.append(_override(policy, overrides, where))
    return tuple(policies)


def _rules(value: object, source: str, classes: Mapping[str, ClassPolicy]) -> tuple[Rule, ...]:
    if not isinstance(value, list):
        raise RoutesError(
            f"{source}: top level: key 'rule': expected an array of tables ([[rule]]), "
            f"got {describe(value)}"
        )
    rules: list[Rule] = []
    for index, item in enumerate(value, 1):
        rule = _rule(item, f"{source}: rule {index}", classes)
        earlier = next((i for i, r in enumerate(rules, 1) if r.name == rule.name), None)
        if earlier is not None:
            raise RoutesError(
                f"{source}: rule {index} ({rule.name!r}): duplicate name, rule {earlier} has it "
                "too (a rule without 'name' is named by its path)"
            )
        rules.append(rule)
    return tuple(rules)


def _rule(value: object, where: str, classes: Mapping[str, ClassPolicy]) -> Rule:
    table = expect_table(value, where)
    label = table.get("name", table.get("path"))
    if isinstance(label, str):
        where = f"{where} ({label!r})"
    check_keys(table, _RULE_KEYS, where)
    for key in ("path", "class"):
        if key not in table:
            raise RoutesError(f"{where}: missing key {key!r}")
    path = expect_string(table["path"], f"{where}: key 'path'")
    compile_pattern(path, f"{where}: key 'path'")
    name = _key(table, "name", where, expect_string, path)
    methods = _key(table, "methods", where, parse_methods, frozenset({"GET", "HEAD"}))
    policy = classes.get(expect_string(table["class"], f"{where}: key 'class'"))
    if policy is None:
        raise RoutesError(
            f"{where}: key 'class': unknown class {table['class']!r} (expected {_CLASS_NAMES})"
        )
    return Rule(name, path, methods, _override(policy, table, where))


def _override(policy: ClassPolicy, table: Mapping[str, object], where: str) -> ClassPolicy:
    forbidden, reason = _FORBIDDEN.get(policy.name, (set(), ""))
    for key in _POLICY_KEYS:
        if key in table and key in forbidden:
            raise RoutesError(f"{where}: key {key!r}: {reason}")
    scope = _key(table, "scope", where, _level, policy.scope)
    fallback = _key(table, "fallback", where, _level, policy.fallback)
    if LEVELS.index(fallback) < LEVELS.index(scope):
        key = "fallback" if "fallback" in table else "scope"
        raise RoutesError(
            f"{where}: key {key!r}: fallback {fallback!r} is finer than scope {scope!r} "
            f"(levels, finest first: {', '.join(LEVELS)})"
        )
    return ClassPolicy(
        name=policy.name,
        store=policy.store,
        ttl=_key(table, "ttl", where, parse_duration, policy.ttl),
        hints=_key(table, "hints", where, _hints, policy.hints),
        swr=_key(table, "swr", where, parse_duration, policy.swr),
        sie=_key(table, "sie", where, parse_duration, policy.sie),
        browser=_key(table, "browser", where, parse_cache_control, policy.browser),
        timeout=_key(table, "timeout", where, parse_timeout, policy.timeout),
        scope=scope,
        fallback=fallback,
        budget=_key(table, "budget", where, _budget, policy.budget),
        placeholder=_key(table, "placeholder", where, _placeholder, policy.placeholder),
    )


def _key(
    table: Mapping[str, object],
    key: str,
    where: str,
    parse: Callable[[object, str], _T],
    default: _T,
) -> _T:
    return parse(table[key], f"{where}: key {key!r}") if key in table else default


def _budget(value: object, where: str) -> float | None:
    """A latency budget: a duration up to 300 s, or ``"off"`` (wait up to the timeout)."""
    if value == "off":
        return None
    seconds = parse_duration(value, where)
    if seconds > 300:
        raise RoutesError(f"{where}: must be at most 300 seconds (or 'off'), got {value!r}")
    return seconds


def _placeholder(value: object, where: str) -> object:
    """A placeholder body: a table of JSON values whose holes name ``retry_after``/``poll``."""
    table = expect_table(value, where)
    check_json(table, where)
    for hole in holes(table):
        if hole not in PLACEHOLDER_HOLES:
            raise RoutesError(
                f"{where}: '{{{{ {hole} }}}}' is not one of {', '.join(PLACEHOLDER_HOLES)}"
            )
    return table


def _level(value: object, where: str) -> Level:
    for level in LEVELS:
        if value == level:
            return level
    raise RoutesError(f"{where}: expected one of {', '.join(LEVELS)}, got {describe(value)}")


def _hints(value: object, where: str) -> Hints:
    for hints in _HINTS:
        if value == hints:
            return hints
    raise RoutesError(f"{where}: expected 'honour', 'cap' or 'ignore', got {describe(value)}")
