"""Zones from GeoJSON: the file that ships with the bundle, and the copy kept in KV.

A zones document is an RFC 7946 FeatureCollection; each Feature is one zone: its ``id`` (or
``properties.id``), ``properties.kind``, an optional ``priority``, active window (``starts_at``
and ``ends_at``, RFC 3339 with an offset), per-class ``ttl`` overrides and
``placeholder_after``, and a Polygon, a MultiPolygon or a Point with ``radius_m`` (a circle).
``docs/zones.md`` shows one.

Two readers, because the two sources fail differently. The bundled file is fixed at deploy
time, so :func:`load_zones` refuses it whole when the Worker loads, with one line naming the
file, the zone and the key. The KV copy changes while the Worker runs, and one bad pop-up must
not take the others down: :func:`parse_zones` keeps every good zone and reports each bad one
once, by id. Both refuse hostile input (nesting too deep, too many features, too many
positions in a zone) before it costs much. Pure: the caller reads the text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

import jsonbounds
from routesyntax import RoutesError, parse_duration
from zones import KINDS, Circle, Polygon, Position, Ring, Shape, Zone

__all__ = [
    "MAX_DEPTH",
    "MAX_FEATURES",
    "MAX_POSITIONS",
    "MAX_PRIORITY",
    "MAX_RADIUS_M",
    "ParsedZones",
    "ZoneError",
    "ZoneProblem",
    "load_zones",
    "parse_zones",
]

MAX_FEATURES = 50_000
"""The most features a document may hold."""
MAX_DEPTH = 64
"""The deepest arrays and objects may nest (GeoJSON needs 8): deeper JSON is refused unread,
as decoding it could exhaust the stack of a WebAssembly runtime before Python notices."""
MAX_POSITIONS = 100_000
"""The most positions one zone's geometry may hold."""
MAX_PRIORITY = 1000
"""Priorities run from ``-MAX_PRIORITY`` to ``MAX_PRIORITY``."""
MAX_RADIUS_M = 500_000.0
"""The largest circle: 500 km is a region, beyond that a radius is a mistake."""

_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_RESERVED = ("global",)  # the ladder's last rung
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)  # RFC 3339 §5.6 date-time, "T" and "Z" in either case (§5.6 NOTE); upper-cased first
# bypass never stores and origin always takes the origin's lifetime: no TTL to override.
_TTL_CLASSES = ("hot", "warm", "cold")
_SHOWN = 40  # characters of a string a message quotes


class ZoneError(ValueError):
    """A zones document or one of its zones is invalid; ``str()`` is one line:
    ``<source>: zone '<id>': key '<key>': <problem>`` (``feature <n>`` for a feature without a
    usable id, nothing for the document). ``zone_id`` names the zone when it is known."""

    def __init__(self, message: str, zone_id: str | None = None) -> None:
        super().__init__(message)
        self.zone_id = zone_id


@dataclass(frozen=True, slots=True)
class ZoneProblem:
    """A refusal that ``parse_zones`` went past: the zone it names (None for the document or
    a feature without a usable id) and the one-line message ``ZoneError`` would carry."""

    zone_id: str | None
    message: str


@dataclass(frozen=True, slots=True)
class ParsedZones:
    """The good zones of a document, in its order, and a problem per feature it skipped."""

    zones: tuple[Zone, ...]
    problems: tuple[ZoneProblem, ...]


def load_zones(text: str, source: str) -> tuple[Zone, ...]:
    """The zones of the GeoJSON ``text`` (named ``source`` in errors); ZoneError on the first
    problem."""
    parsed = parse_zones(text, source)
    if parsed.problems:
        first = parsed.problems[0]
        raise ZoneError(first.message, first.zone_id)
    return parsed.zones


def parse_zones(text: str, source: str) -> ParsedZones:
    """The zones of the GeoJSON ``text`` that are valid, and one problem per one that is not;
    a document that is no FeatureCollection gives no zones and one problem. Never raises."""
    try:
        features = _features(text, source)
    except ZoneError as exc:
        return ParsedZones((), (ZoneProblem(None, str(exc)),))
    zones: list[Zone] = []
    problems: list[ZoneProblem] = []
    seen: dict[str, int] = {}
    for number, feature in enumerate(features, 1):
        try:
            zones.append(_zone(feature, number, source, seen))
        except ZoneError as exc:
            problems.append(ZoneProblem(exc.zone_id, str(exc)))
    return ParsedZones(tuple(zones), tuple(problems))


def _features(text: str, source: str) -> list[object]:
    try:
        document = jsonbounds.load(text, limit=MAX_DEPTH)
    except jsonbounds.TooDeep as exc:
        raise ZoneError(f"{source}: {exc}") from None
    except ValueError as exc:
        raise ZoneError(f"{source}: not JSON: {_one_line(exc)}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, dict) else document
        raise ZoneError(f"{source}: expected a GeoJSON FeatureCollection, got {_show(kind)}")
    features = document.get("features")
    if not isinstance(features, list):
        raise ZoneError(f"{source}: key 'features': expected an array, got {_show(features)}")
    if len(features) > MAX_FEATURES:
        raise ZoneError(
            f"{source}: key 'features': {len(features)} features, more than the "
            f"{MAX_FEATURES} allowed"
        )
    return features


def _zone(feature: object, number: int, source: str, seen: dict[str, int]) -> Zone:
    where = f"{source}: feature {number}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        kind = feature.get("type") if isinstance(feature, dict) else feature
        raise ZoneError(f"{where}: expected a GeoJSON Feature, got {_show(kind)}")
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    elif not isinstance(properties, dict):
        raise ZoneError(f"{where}: key 'properties': expected an object, got {_show(properties)}")
    zone_id = _zone_id(feature.get("id"), properties.get("id"), where)
    where = f"{source}: zone '{zone_id}'"
    if zone_id in seen:
        raise ZoneError(
            f"{where}: key 'id': duplicate id (feature {seen[zone_id]} has it too)", zone_id
        )
    seen[zone_id] = number
    try:
        return _fields(zone_id, feature, properties, where)
    except (ZoneError, RoutesError) as exc:
        raise ZoneError(str(exc), zone_id) from None


def _zone_id(outer: object, inner: object, where: str) -> str:
    if outer is not None and inner is not None and outer != inner:
        raise ZoneError(
            f"{where}: key 'id': the Feature's id {_show(outer)} and properties.id "
            f"{_show(inner)} differ"
        )
    value = outer if outer is not None else inner
    if value is None:
        raise ZoneError(f"{where}: key 'id': missing (the Feature's id or properties.id)")
    if not isinstance(value, str) or _ID.fullmatch(value) is None:
        raise ZoneError(
            f"{where}: key 'id': expected a string of [a-z0-9][a-z0-9._-]{{0,63}}, "
            f"got {_show(value)}"
        )
    if value in _RESERVED:
        raise ZoneError(f"{where}: key 'id': {value!r} is reserved for the ladder's last rung")
    return value


def _fields(zone_id: str, feature: dict[str, object], props: dict[str, object], where: str) -> Zone:
    kind = props.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ZoneError(f"{_key(where, 'kind')}: expected one of {_list(KINDS)}, got {_show(kind)}")
    priority = props.get("priority", 0)
    if type(priority) is not int or abs(priority) > MAX_PRIORITY:
        raise ZoneError(
            f"{_key(where, 'priority')}: expected an integer from {-MAX_PRIORITY} to "
            f"{MAX_PRIORITY}, got {_show(priority)}"
        )
    starts_at = _instant(props.get("starts_at"), _key(where, "starts_at"))
    ends_at = _instant(props.get("ends_at"), _key(where, "ends_at"))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ZoneError(f"{_key(where, 'ends_at')}: must be later than starts_at")
    placeholder = props.get("placeholder_after")
    return Zone(
        id=zone_id,
        kind=KINDS[KINDS.index(kind)],
        shape=_shape(feature.get("geometry"), props.get("radius_m"), where),
        priority=priority,
        starts_at=starts_at,
        ends_at=ends_at,
        ttl=_ttl(props.get("ttl"), where),
        placeholder_after=(
            None
            if placeholder is None
            else parse_duration(placeholder, _key(where, "placeholder_after"))
        ),
    )


def _key(where: str, name: str) -> str:
    """The prefix of a message about ``properties.<name>``, named as the file's author wrote
    it (``id`` and ``geometry`` are the Feature's own members)."""
    return f"{where}: key '{name}'"


def _instant(value: object, where: str) -> float | None:
    """Epoch seconds of an RFC 3339 date-time with an offset."""
    if value is None:
        return None
    text = value.upper() if isinstance(value, str) else ""
    if _INSTANT.fullmatch(text) is None:
        raise ZoneError(
            f"{where}: expected an RFC 3339 date-time with an offset such as "
            f"'2026-05-01T09:00:00Z', got {_show(value)}"
        )
    try:
        return datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError) as exc:
        raise ZoneError(f"{where}: {_show(value)} is no valid date-time: {exc}") from None


def _ttl(value: object, where: str) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ZoneError(
            f"{_key(where, 'ttl')}: expected an object of class name to duration, "
            f"got {_show(value)}"
        )
    for name in value:
        if name not in _TTL_CLASSES:
            why = {
                "bypass": "never stored, so it has no TTL",
                "origin": "always given the origin's own lifetime",
            }.get(name, "not a class with a TTL")
            raise ZoneError(
                f"{_key(where, 'ttl')}: {_show(name)} is {why} (expected {_list(_TTL_CLASSES)})"
            )
    return tuple(
        (name, parse_duration(value[name], _key(where, f"ttl.{name}")))
        for name in _TTL_CLASSES
        if name in value
    )


# Geometry


def _shape(geometry: object, radius: object, where: str) -> Shape:
    key = f"{where}: key 'geometry'"
    if not isinstance(geometry, dict):
        raise ZoneError(f"{key}: expected a GeoJSON geometry object, got {_show(geometry)}")
    kind = geometry.get("type")
    if radius is not None and kind != "Point":
        raise ZoneError(f"{_key(where, 'radius_m')}: only a Point has a radius, not {_show(kind)}")
    coordinates = geometry.get("coordinates")
    reader = _Reader(key)
    if kind == "Point":
        if radius is None:
            raise ZoneError(f"{_key(where, 'radius_m')}: missing (a Point zone is a circle)")
        return Circle(reader.position(coordinates, "coordinates"), _radius(radius, where))
    if kind == "Polygon":
        return (reader.polygon(coordinates, ""),)
    if kind == "MultiPolygon":
        polygons = reader.array(coordinates, "coordinates", "polygon")
        return tuple(reader.polygon(item, f"polygon {i} ") for i, item in enumerate(polygons, 1))
    raise ZoneError(
        f"{key}: expected type Polygon, MultiPolygon or Point (with radius_m), got {_show(kind)}"
    )


def _radius(value: object, where: str) -> float:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not 0 < value <= MAX_RADIUS_M
    ):
        raise ZoneError(
            f"{_key(where, 'radius_m')}: expected metres, more than 0 and at most "
            f"{MAX_RADIUS_M:.0f}, got {_show(value)}"
        )
    return float(value)


class _Reader:
    """Reads one zone's coordinates, counting positions against ``MAX_POSITIONS``."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.count = 0

    def array(self, value: object, place: str, what: str) -> list[object]:
        if not isinstance(value, list) or not value:
            raise ZoneError(
                f"{self.where}: {place}: expected a non-empty array of {what}s, got {_show(value)}"
            )
        return value

    def polygon(self, value: object, place: str) -> Polygon:
        rings = self.array(value, f"{place}coordinates".strip(), "ring")
        return Polygon(
            tuple(self.ring(item, f"{place}ring {i}") for i, item in enumerate(rings, 1))
        )

    def ring(self, value: object, place: str) -> Ring:
        items = self.array(value, place, "position")
        if self.count + len(items) > MAX_POSITIONS:
            raise ZoneError(f"{self.where}: more than {MAX_POSITIONS} positions")
        ring = tuple(
            self.position(item, f"{place} position {i}") for i, item in enumerate(items, 1)
        )
        if len(ring) < 4:
            raise ZoneError(
                f"{self.where}: {place}: {len(ring)} positions, a ring needs at least 4 "
                "(the last repeating the first)"
            )
        if ring[0] != ring[-1]:
            raise ZoneError(
                f"{self.where}: {place}: unclosed ring (its last position must repeat its first)"
            )
        return ring

    def position(self, value: object, place: str) -> Position:
        self.count += 1
        if not isinstance(value, list) or len(value) < 2:
            raise ZoneError(
                f"{self.where}: {place}: expected [longitude, latitude], got {_show(value)}"
            )
        return (
            self.degrees(value[0], "longitude", 180, place),
            self.degrees(value[1], "latitude", 90, place),
        )

    def degrees(self, value: object, name: str, limit: int, place: str) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ZoneError(f"{self.where}: {place}: {name} must be a number, got {_show(value)}")
        if not -limit <= value <= limit:  # NaN fails too
            raise ZoneError(
                f"{self.where}: {place}: {name} {_show(value)} is outside [-{limit}, {limit}]"
            )
        return float(value)


# Messages


def _show(value: object) -> str:
    """How a message shows a JSON value: short, and on one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and not -(10**15) < value < 10**15:
        return "a very large integer"
    if isinstance(value, int | float):
        return repr(value) if math.isfinite(value) else "a non-finite number"
    if isinstance(value, str):
        return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")
    return "an array" if isinstance(value, list) else "an object"


def _list(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
