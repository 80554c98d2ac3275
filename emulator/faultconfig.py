"""The fault schema, read from a TOML file, a JSON body or a ``--fault`` option.

One validator serves the three, so a fault means the same wherever it is written, and a
mistake names the key the same way: ``fault[1].status`` in a file or a JSON body, ``status``
in an option. Callers turn :class:`FaultSpecError` into their own error: a one-line
:class:`ConfigError` (exit 2) for files and options, a 400 problem for the endpoint.

A fault is a table of these keys (docs/emulator.md, "Fault injection"):

    path         required  routes.toml pattern (``/api/**``, ``/api/prices/*``) on the URL path
    pops         optional  colo codes of the topology; default every PoP
    kind         optional  latency | status | refuse | reset; default status if ``status`` is
                           given, else latency
    latency_ms   optional  integer 0..60000, added before the request goes out
    jitter_ms    optional  integer 0..60000, plus a uniform 0..jitter_ms
    status       kind status: 429, 500, 502, 503 or 504
    retry_after  optional  integer seconds 0..86400, with status 429 (default 1) or 503
    rate         optional  number 0..1, the chance the fault fires (default 1)
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from .edgemodules import reach_edge_modules
from .errors import ConfigError
from .faults import KINDS, Fault
from .tomlfile import read_toml

__all__ = [
    "FaultSpecError",
    "compile_pattern",
    "load_faults",
    "parse_fault",
    "parse_fault_option",
    "parse_faults",
]

KEYS = ("path", "pops", "kind", "latency_ms", "jitter_ms", "status", "retry_after", "rate")
STATUSES = (429, 500, 502, 503, 504)
RETRY_AFTER_STATUSES = (429, 503)  # RFC 9110 §10.2.3, RFC 6585 §4
DEFAULT_RETRY_AFTER = 1
MAX_DELAY_MS = 60_000
MAX_RETRY_AFTER = 86_400
_INT_KEYS = frozenset({"latency_ms", "jitter_ms", "status", "retry_after"})
_COLO = re.compile(r"[A-Za-z0-9]{3,4}")
_INTEGER = re.compile(r"[+-]?[0-9]+")

_Namer = Callable[[str], str]  # a key to the name errors show ("fault[1].status")


class FaultSpecError(ValueError):
    """A fault is invalid: ``key`` names where (``fault[1].status``), ``problem`` says why."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The regular expression that fully matches the paths ``pattern`` covers: the edge's own
    ``routes.toml`` path syntax (docs/routes.md), so a fault and a rule read a pattern alike;
    ValueError says what is wrong."""
    reach_edge_modules()
    from routesyntax import RoutesError
    from routesyntax import compile_pattern as routes_pattern

    try:
        return routes_pattern(pattern, "path")
    except RoutesError as exc:
        raise ValueError(str(exc).removeprefix("path: ")) from None


def parse_faults(document: object, colos: Collection[str]) -> tuple[Fault, ...]:
    """The faults of a document ``{"fault": [table, ...]}`` (a TOML file or a JSON body)."""
    if not isinstance(document, Mapping):
        raise FaultSpecError("body", 'must be an object: {"fault": [...]}')
    for key in document:
        if key != "fault":
            raise FaultSpecError(str(key), "unknown key (expected [[fault]] tables)")
    tables = document.get("fault", [])
    if not isinstance(tables, list):
        raise FaultSpecError("fault", "must be an array of tables ([[fault]])")
    return tuple(parse_fault(table, colos, f"fault[{i}]") for i, table in enumerate(tables))


def load_faults(path: Path, colos: Collection[str]) -> tuple[Fault, ...]:
    """The faults of a TOML file; any problem is a ConfigError naming the file and key."""
    document = read_toml(path)
    try:
        return parse_faults(document, colos)
    except FaultSpecError as exc:
        raise ConfigError(path, exc.problem, exc.key) from None


def parse_fault_option(text: str, colos: Collection[str]) -> Fault:
    """One ``--fault`` option: ``key=value`` pairs separated by commas, the keys of a
    ``[[fault]]`` table, ``pops`` joined with ``+`` (``path=/api/**,status=503,pops=SFO+LHR``).
    Any problem is a ConfigError naming the option and key."""
    try:
        return parse_fault(_option_table(text), colos)
    except FaultSpecError as exc:
        raise ConfigError(f"--fault {text!r}", exc.problem, exc.key) from None


def _option_table(text: str) -> dict[str, object]:
    table: dict[str, object] = {}
    for item in text.split(","):
        key, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not key:
            raise FaultSpecError(
                key or "fault",
                "expected key=value pairs separated by commas, such as path=/api/**,status=503",
            )
        if key in table:
            raise FaultSpecError(key, "is given twice")
        table[key] = _option_value(key, value)
    return table


def _option_value(key: str, value: str) -> object:
    """The option's text as the type the key takes, when it reads as one; the validator
    refuses what does not."""
    if key == "pops":
        return value.split("+")
    if key in _INT_KEYS and _INTEGER.fullmatch(value):
        return int(value)
    if key == "rate":
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_fault(table: object, colos: Collection[str], where: str = "") -> Fault:
    """One fault from a table (TOML) or object (JSON); ``where`` prefixes the keys named in
    errors (``fault[1]``)."""

    def name(key: str) -> str:
        return f"{where}.{key}" if where else key

    if not isinstance(table, Mapping):
        raise FaultSpecError(where or "fault", "must be a table")
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected {', '.join(KEYS)}"
            raise FaultSpecError(name(str(key)), f"unknown key ({hint})")
    path = table.get("path")
    if not isinstance(path, str) or not path:
        raise FaultSpecError(name("path"), "is required: a path pattern such as /api/**")
    try:
        pattern = compile_pattern(path)
    except ValueError as exc:
        raise FaultSpecError(name("path"), str(exc)) from None
    kind = table.get("kind", "status" if "status" in table else "latency")
    if kind not in KINDS:
        raise FaultSpecError(name("kind"), f"must be one of {', '.join(KINDS)}")
    latency_ms = _integer(table, "latency_ms", name, MAX_DELAY_MS)
    jitter_ms = _integer(table, "jitter_ms", name, MAX_DELAY_MS)
    if kind == "latency" and not latency_ms and not jitter_ms:
        raise FaultSpecError(
            name("latency_ms"),
            "a fault needs latency_ms (or jitter_ms) above 0, a status, or a kind",
        )
    status = _status(table, kind, name)
    return Fault(
        path=path,
        pattern=pattern,
        kind=str(kind),
        pops=_pops(table, colos, name),
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        status=status,
        retry_after=_retry_after(table, status, name),
        rate=_rate(table, name),
    )


def _integer(table: Mapping[str, object], key: str, name: _Namer, high: int) -> int:
    value = table.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise FaultSpecError(name(key), f"must be an integer from 0 to {high}, got {value!r}")
    return value


def _status(table: Mapping[str, object], kind: object, name: _Namer) -> int | None:
    if kind != "status":
        if "status" in table:
            raise FaultSpecError(name("status"), f"goes with kind 'status', not {kind!r}")
        return None
    value = table.get("status")
    if value is None:
        raise FaultSpecError(name("status"), "is required for kind 'status'")
    if isinstance(value, bool) or not isinstance(value, int) or value not in STATUSES:
        allowed = ", ".join(map(str, STATUSES))
        raise FaultSpecError(name("status"), f"must be one of {allowed}, got {value!r}")
    return value


def _retry_after(table: Mapping[str, object], status: int | None, name: _Namer) -> int | None:
    if "retry_after" not in table:
        return DEFAULT_RETRY_AFTER if status == 429 else None
    if status not in RETRY_AFTER_STATUSES:
        raise FaultSpecError(name("retry_after"), "goes with status 429 or 503")
    return _integer(table, "retry_after", name, MAX_RETRY_AFTER)


def _rate(table: Mapping[str, object], name: _Namer) -> float:
    value = table.get("rate", 1.0)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise FaultSpecError(name("rate"), f"must be a number from 0 to 1, got {value!r}")
    return float(value)


def _pops(
    table: Mapping[str, object], colos: Collection[str], name: _Namer
) -> tuple[str, ...] | None:
    value = table.get("pops")
    if value is None:  # absent, or JSON null: every PoP
        return None
    if not isinstance(value, list) or not value:
        raise FaultSpecError(
            name("pops"), "must be a non-empty list of colo codes (leave it out for every PoP)"
        )
    known = {colo.upper() for colo in colos}
    pops: list[str] = []
    for entry in value:
        colo = entry.upper() if isinstance(entry, str) and _COLO.fullmatch(entry) else None
        if colo is None or colo not in known:
            raise FaultSpecError(
                name("pops"), f"unknown PoP {entry!r} (the topology has {', '.join(colos)})"
            )
        if colo in pops:
            raise FaultSpecError(name("pops"), f"lists {colo} twice")
        pops.append(colo)
    return tuple(pops)
