"""``popcache zones``: check a zones file, and ask which zone a point resolves to, and why.

    popcache zones check FILE
    popcache zones which LAT LON [--zones FILE] [-c wrangler.toml] [--at RFC3339] [--cf JSON]
                                 [--persist-to DIR]
    popcache zones publish FILE [-c wrangler.toml] [--persist-to DIR]

They answer with the edge bundle's own code (``edge/zonecheck.py``, ``edge/zonefile.py``,
``edge/zoneindex.py``, ``edge/geoscope.py``), so ``which`` resolves a point exactly as the
Worker does; ``publish`` puts dynamic zones into ``popcache dev``'s KV store, as ``wrangler kv
key put`` does in production. The output and the exit codes are documented in docs/zones.md.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .edgemodules import reach_edge_modules
from .errors import ConfigError
from .textfile import read_text

if TYPE_CHECKING:
    from routes import Routes
    from zoneindex import ZoneIndex
    from zones import Zone

__all__ = ["DEFAULT_FILE", "add_zones_command", "render_which", "run_zones"]

DEFAULT_FILE = "zones.geojson"
"""The static zones file beside main when ``routes.toml`` names none (``[zones] file``)."""
_Parser = TypeVar("_Parser", bound=argparse.ArgumentParser)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def add_zones_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add ``zones check`` and ``zones which`` to the ``popcache`` subcommands."""
    zones = commands.add_parser("zones", help="check a GeoJSON zones file, or locate a point")
    actions = zones.add_subparsers(
        dest="zones_command", metavar="{check,which}", required=True, parser_class=type(zones)
    )
    check = actions.add_parser("check", help="validate a zones file and print a report")
    check.add_argument("file", metavar="FILE", type=Path)
    which = actions.add_parser("which", help="the zone a point resolves to, and why")
    which.add_argument("lat", metavar="LAT", help="latitude in degrees, -90 to 90")
    which.add_argument("lon", metavar="LON", help="longitude in degrees, -180 to 180")
    which.add_argument(
        "--zones",
        metavar="FILE",
        type=Path,
        help="GeoJSON zones file (default: the bundle's static zones, the [zones] file of "
        f"routes.toml beside main, else {DEFAULT_FILE} there)",
    )
    _config_option(which)
    which.add_argument("--at", metavar="RFC3339", help="when to resolve (default: now)")
    which.add_argument(
        "--persist-to",
        type=Path,
        help="also read the dynamic zones (KV) of popcache dev's state folder, e.g. "
        ".popcache/state",
    )
    which.add_argument(
        "--cf",
        metavar="JSON",
        help='request.cf fields for the ladder below the zones, e.g. \'{"country": "US", '
        '"regionCode": "CA", "city": "San Francisco"}\'',
    )
    publish = actions.add_parser(
        "publish", help="put dynamic zones into popcache dev's KV store (the [zones] KV key)"
    )
    publish.add_argument("file", metavar="FILE", type=Path)
    _config_option(publish)
    publish.add_argument(
        "--persist-to",
        type=Path,
        default=Path(".popcache/state"),
        help="popcache dev's state folder (default: %(default)s)",
    )


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        help="wrangler.toml naming the bundle (default: ./wrangler.toml, else popcache's own)",
    )


def run_zones(args: argparse.Namespace, default_config: Callable[[], Path]) -> int:
    """Run ``popcache zones ...``; ConfigError (exit 2) for unreadable files and bad values."""
    reach_edge_modules()
    if args.zones_command == "check":
        from zonecheck import check_zones

        report = check_zones(_read(args.file), str(args.file))
        for line in report.lines():
            print(line)
        return 0 if report.ok else 1
    if args.zones_command == "publish":
        return _publish(args.file, args.config or default_config(), args.persist_to)
    from zonefile import ZoneError, load_zones
    from zoneindex import ZoneIndex

    lat, lon = _coordinate(args.lat, "LAT", 90.0), _coordinate(args.lon, "LON", 180.0)
    now = _instant(args.at) if args.at is not None else float(int(datetime.now(UTC).timestamp()))
    cf = _cf(args.cf)
    config = args.config or default_config()
    routes = _bundle_routes(config)
    path = args.zones if args.zones is not None else _bundle_zones(config, routes)
    zones: tuple[Zone, ...] = ()
    if path is None:
        print("zones: none (the bundle's routes.toml turns static zones off)")
    elif args.zones is None and not path.exists():
        print(f"zones: none ({path} does not exist)")
    else:
        try:
            zones = load_zones(_read(path), str(path))
        except ZoneError as exc:
            problem = _without(str(exc), str(path))
            raise ConfigError(
                path, f"{problem} (popcache zones check lists every problem)"
            ) from None
        print(f"zones: {path} ({_count(zones)})")
    if args.persist_to is not None:
        zones += _dynamic_zones(config, routes, args.persist_to, {zone.id for zone in zones})
    index = ZoneIndex.build(zones)
    for line in [
        *render_which(index, lat, lon, now),
        *render_ladder(routes, index, lat, lon, cf, now),
    ]:
        print(line)
    return 0


def render_ladder(
    routes: Routes, index: ZoneIndex, lat: float, lon: float, cf: dict[str, object], now: float
) -> list[str]:
    """The lines saying which rung each class, and each rule with a scope of its own, takes:
    its zone id as the cache key, ``Edge-Geo-Zone`` and ``zone:<id>`` tag hold it."""
    from geoscope import geo_from_cf, ladder, pick

    geo = geo_from_cf({**cf, "latitude": lat, "longitude": lon})
    rungs = ladder(geo, index.locate(lat, lon, now))
    shown = ", ".join(f"{k} {v}" for k, v in cf.items()) or "none; give them with --cf"
    lines = [f"ladder (request.cf: {shown}):"]
    rows = [(f"class {policy.name}", policy) for policy in routes.classes]
    rows += [
        (f"rule {rule.name}", rule.policy)
        for rule in routes.rules
        if (rule.policy.scope, rule.policy.fallback)
        != (routes.policy(rule.policy.name).scope, routes.policy(rule.policy.name).fallback)
    ]
    width = max(len(label) for label, _ in rows)
    for label, policy in rows:
        rung = pick(rungs, policy.scope, policy.fallback)
        found = f"{rung.id} ({rung.level})" if rung else "none: forwarded unshared"
        levels = f"{policy.scope}..{policy.fallback}".ljust(15)
        lines.append(f"  {label.ljust(width)}  {levels}  {found}")
    return lines


def _publish(file: Path, config_path: Path, state: Path) -> int:
    """Validate ``file`` as the Worker will and store it under the ``[zones]`` KV key."""
    from zonefile import ZoneError, load_zones

    from .runtime.kv import KVStore

    text = _read(file)
    try:
        zones = load_zones(text, str(file))
    except ZoneError as exc:
        raise ConfigError(file, _without(str(exc), str(file))) from None
    settings = _bundle_routes(config_path).zones
    namespace = _zones_namespace(config_path, settings.kv_binding)
    store = KVStore(state / "kv.sqlite3")
    try:
        store.write(namespace, settings.kv_key.encode(), text.encode(), None, None)
    finally:
        store.close()
    print(
        f"published {_count(zones)} to KV {settings.kv_binding}/{settings.kv_key} in {state}; "
        f"running isolates pick them up within {settings.refresh:g} s"
    )
    return 0


def _dynamic_zones(
    config_path: Path, routes: Routes, state: Path, static: set[str]
) -> tuple[Zone, ...]:
    """The zones of the ``[zones]`` KV key in ``state``, as an isolate adopts them: bad
    features and ids of static zones left out, each said on a ``kv:`` line."""
    from zonefile import parse_zones

    from .runtime.kv import KVStore

    settings = routes.zones
    namespace = _zones_namespace(config_path, settings.kv_binding)
    source = f"KV {settings.kv_binding}/{settings.kv_key}"
    database = state / "kv.sqlite3"
    found = None
    if database.is_file():
        store = KVStore(database)
        try:
            found = store.read(namespace, settings.kv_key.encode(), datetime.now(UTC).timestamp())
        finally:
            store.close()
    if found is None:
        print(f"kv: none ({source} is not set in {state})")
        return ()
    parsed = parse_zones(found[0].decode("utf-8", "replace"), source)
    for problem in parsed.problems:
        print(f"kv: {problem.message}")
    zones = tuple(zone for zone in parsed.zones if zone.id not in static)
    for zone in parsed.zones:
        if zone.id in static:
            print(f"kv: {source}: zone {zone.id!r}: a static zone has this id; ignored")
    print(f"kv: {source} in {state} ({_count(zones)})")
    return zones


def _zones_namespace(config_path: Path, binding: str | None) -> str:
    """The id of the KV namespace bound as ``binding`` in ``config_path``."""
    from .wrangler import load_config

    for kv in load_config(config_path).kv_namespaces if binding is not None else ():
        if kv.binding == binding:
            return kv.id
    raise ConfigError(config_path, f"no [[kv_namespaces]] binding {binding!r} for dynamic zones")


def _count(zones: tuple[Zone, ...]) -> str:
    return f"{len(zones)} zone{'s' if len(zones) != 1 else ''}"


def render_which(index: ZoneIndex, lat: float, lon: float, now: float) -> list[str]:
    """The lines of ``zones which`` after its ``zones:`` line: the point, the zone it resolves
    to per level, and every zone containing it with the reason it was or was not chosen."""
    located = index.locate(lat, lon, now)
    chosen = {"zone": located.zone, "city": located.city}
    lines = [f"point: lat {lat:.5f}, lon {lon:.5f} at {_format_instant(now)}"]
    for level, zone in chosen.items():
        lines.append(f"{level}: {f'{zone.id} ({_describe(zone)})' if zone else 'none'}")
    # Best-ranked first within each level, the levels in the order above.
    containing = sorted(index.containing(lat, lon), key=lambda zone: zone.level == "city")
    if not containing:
        return [*lines, "why: no zone contains the point"]
    rows = [
        (zone.id, zone.kind, f"priority {zone.priority}", _window(zone), _reason(zone, chosen, now))
        for zone in containing
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines.append("why:")
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  " + "  ".join([*cells, row[4]]))
    return lines


def _format_instant(seconds: float) -> str:
    """``seconds`` since the epoch as RFC 3339 UTC: ``2026-05-01T12:00:00Z`` (a fraction only
    when there is one)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _reason(zone: Zone, chosen: dict[str, Zone | None], now: float) -> str:
    winner = chosen[zone.level]
    if winner is not None and winner.id == zone.id:
        return "chosen"
    if zone.starts_at is not None and now < zone.starts_at:
        return f"not active until {_format_instant(zone.starts_at)}"
    if zone.ends_at is not None and now >= zone.ends_at:
        return f"ended at {_format_instant(zone.ends_at)}"
    return f"outranked by {winner.id}" if winner is not None else "not chosen"


def _describe(zone: Zone) -> str:
    return f"{zone.kind}, priority {zone.priority}, {_window(zone)}"


def _window(zone: Zone) -> str:
    parts = []
    if zone.starts_at is not None:
        parts.append(f"from {_format_instant(zone.starts_at)}")
    if zone.ends_at is not None:
        parts.append(f"until {_format_instant(zone.ends_at)}")
    return " ".join(parts) or "always"


def _bundle_zones(config_path: Path, routes: Routes) -> Path | None:
    """The static zones file of the bundle ``config_path`` names: ``[zones] file`` of its
    ``routes.toml`` (``zones.geojson`` by default) beside main; None when it is turned off."""
    from .wrangler import load_config

    name = routes.zones.file
    return None if name is None else load_config(config_path).root / name


def _bundle_routes(config_path: Path) -> Routes:
    """The ``routes.toml`` beside the bundle's main, or the defaults when it has none."""
    from routes import RoutesError, load_routes

    from .wrangler import load_config

    routes_file = load_config(config_path).root / "routes.toml"
    text = _read(routes_file) if routes_file.is_file() else ""
    try:
        return load_routes(text, str(routes_file))
    except RoutesError as exc:
        raise ConfigError(routes_file, _without(str(exc), str(routes_file))) from None


def _cf(text: str | None) -> dict[str, object]:
    if text is None:
        return {}
    try:
        fields = json.loads(text)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise ConfigError("--cf", f"expected a JSON object of request.cf fields, got {text!r}")
    return fields


def _read(path: Path) -> str:
    return read_text(path, "a GeoJSON file")


def _coordinate(text: str, name: str, limit: float) -> float:
    what = "latitude" if name == "LAT" else "longitude"
    value = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ConfigError(name, f"expected a {what} from {-limit:g} to {limit:g}, got {text!r}")
    return value


def _instant(text: str) -> float:
    if _RFC3339.fullmatch(text) is None:
        raise ConfigError(
            "--at", f"expected an RFC 3339 time such as 2026-05-01T12:00:00Z, got {text!r}"
        )
    try:
        return datetime.fromisoformat(text.upper()).timestamp()
    except ValueError as exc:
        raise ConfigError("--at", f"{text!r} is not a valid time: {exc}") from None


def _without(message: str, prefix: str) -> str:
    return message.removeprefix(f"{prefix}: ")
