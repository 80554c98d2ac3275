"""The value syntax of ``routes.toml``: durations, path patterns, names, and its error.

Split from ``routes`` so each stays small: these parsers know values, not rules or classes.
Each takes ``where``, the ``<source>: <place>: key '<key>'`` prefix of its error, so a mistake
is reported as one line that names the file, the rule and the key.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping

__all__ = [
    "MAX_DURATION",
    "RoutesError",
    "check_json",
    "check_keys",
    "compile_pattern",
    "describe",
    "expect_string",
    "expect_table",
    "parse_cache_control",
    "parse_duration",
    "parse_header_names",
    "parse_integer",
    "parse_methods",
    "parse_param_prefixes",
    "parse_params",
    "parse_precision",
    "parse_timeout",
    "parse_toml",
]

MAX_DURATION = 365 * 86400.0
"""The longest duration the file may give: one year, in seconds."""

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)")
_PARAMETER = re.compile(r":[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 tchar
_PARAM = re.compile(r"(?:(?![*&=#])[!-~])+")  # printable ASCII, no space, no * & = #
_PARAM_PREFIX = re.compile(r"(?:(?![*&=#])[!-~])+\*?")
_ARTICLES = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    list: "an array",
    dict: "a table",
}


class RoutesError(ValueError):
    """``routes.toml`` is invalid; ``str()`` is one line: ``<source>: <where>: <problem>``."""


def describe(value: object) -> str:
    """How an error message shows ``value``: a string quoted, anything else by its type."""
    if isinstance(value, str):
        return repr(value)
    return _ARTICLES.get(type(value), f"a {type(value).__name__}")


def parse_toml(text: str, source: str) -> dict[str, object]:
    """The TOML document in ``text``; a syntax error names its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.fullmatch(r"(.*) \(at (?:line (\d+), column \d+|end of document)\)", str(exc))
        problem = found[1] if found else str(exc)
        line = found[2] if found and found[2] else len(text.splitlines()) or 1
        raise RoutesError(f"{source}: line {line}: {problem}") from exc


def check_keys(table: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None:
    """Refuse the first key of ``table`` not in ``allowed``, suggesting the closest one."""
    for key in table:
        if key not in allowed:
            import difflib  # only a broken file needs it: kept off the Worker's start-up

            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected {', '.join(allowed)}"
            raise RoutesError(f"{where}: unknown key {key!r} ({hint})")


def check_json(value: object, where: str) -> None:
    """Refuse what a JSON document cannot hold: TOML's dates and times, ``nan`` and ``inf``."""
    if isinstance(value, dict):
        for item in value.values():
            check_json(item, where)
    elif isinstance(value, list):
        for item in value:
            check_json(item, where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise RoutesError(f"{where}: {value} is not a JSON number")
    elif not isinstance(value, str | int | float):
        raise RoutesError(f"{where}: {value} is a TOML {type(value).__name__}, not a JSON value")


def expect_table(value: object, where: str) -> dict[str, object]:
    """``value`` if it is a table."""
    if not isinstance(value, dict):
        raise RoutesError(f"{where}: expected a table, got {describe(value)}")
    return value


def expect_string(value: object, where: str) -> str:
    """``value`` if it is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise RoutesError(f"{where}: expected a non-empty string, got {describe(value)}")
    return value


def parse_duration(value: object, where: str) -> float:
    """Seconds from a number or a ``"<number><unit>"`` string (ms, s, m, h, d, w).

    Nothing negative, NaN, infinite or above a year; booleans are not numbers.
    """
    if isinstance(value, str):
        found = _DURATION.fullmatch(value)
        if found is None:
            raise RoutesError(
                f"{where}: expected a number and a unit (ms, s, m, h, d, w) such as '30s', "
                f"got {value!r}"
            )
        seconds: float = float(found[1]) * _UNITS[found[2]]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise RoutesError(f"{where}: must be a finite number of seconds, got {value}")
        if value < 0:
            raise RoutesError(f"{where}: must not be negative, got {value}")
        seconds = value
    else:
        raise RoutesError(
            f"{where}: expected a duration such as '30s' or a number of seconds, "
            f"got {describe(value)}"
        )
    if seconds > MAX_DURATION:
        raise RoutesError(f"{where}: must be at most a year (365d), got {value!r}")
    return float(seconds)


def compile_pattern(pattern: str, where: str) -> re.Pattern[str]:
    """The regular expression that fully matches the request paths ``pattern`` covers.

    Segments are separated by ``/``; ``*`` in a segment matches any run of characters but
    ``/``; ``:name`` as a whole segment matches one non-empty segment; a last segment ``**``
    matches zero or more segments; everything else is literal and case-sensitive.
    """
    if not pattern.startswith("/"):
        raise RoutesError(f"{where}: must start with '/', got {pattern!r}")
    for char in pattern:
        if char in "?#":
            raise RoutesError(f"{where}: must not contain {char!r}: patterns match the path only")
        if not "!" <= char <= "~":
            raise RoutesError(
                f"{where}: must be printable ASCII without spaces (percent-encode the rest), "
                f"got {char!r}"
            )
    segments = pattern[1:].split("/")
    regex = []
    for position, segment in enumerate(segments, 1):
        if segment == "**" and position == len(segments):
            regex.append("(?:/.*)?")
        elif "**" in segment:
            raise RoutesError(f"{where}: '**' is allowed only as the whole last segment")
        elif segment.startswith(":"):
            if _PARAMETER.fullmatch(segment) is None:
                raise RoutesError(
                    f"{where}: {segment!r} is not a parameter: ':' must start a name of "
                    "letters, digits and '_'"
                )
            regex.append("/[^/]+")
        else:
            regex.append("/" + "[^/]*".join(re.escape(part) for part in segment.split("*")))
    return re.compile("".join(regex), re.DOTALL)


def parse_methods(value: object, where: str) -> frozenset[str]:
    """Upper-cased RFC 9110 method tokens; ``["*"]`` (alone) is any method."""
    methods = frozenset(name.upper() for name in _strings(value, where, _TOKEN, "method name"))
    if not methods:
        raise RoutesError(f"{where}: must list at least one method ('*' for any)")
    if "*" in methods and len(methods) > 1:
        raise RoutesError(f"{where}: '*' (any method) must be the only entry")
    return methods


def parse_header_names(value: object, where: str) -> frozenset[str]:
    """Lower-cased header field names; ``*`` is refused (``Vary: *`` is never reused)."""
    names = frozenset(name.lower() for name in _strings(value, where, _TOKEN, "header name"))
    if "*" in names:
        raise RoutesError(
            f"{where}: '*' cannot be allowed: a response with Vary: * is never reused"
        )
    return names


def parse_params(value: object, where: str) -> tuple[str, ...]:
    """Query parameter names: printable ASCII without spaces, ``*``, ``&``, ``=`` or ``#``."""
    return _strings(value, where, _PARAM, "query parameter name")


def parse_param_prefixes(value: object, where: str) -> tuple[str, ...]:
    """Query parameter names, each of which may end in ``*`` to cover every name it starts."""
    return _strings(value, where, _PARAM_PREFIX, "query parameter name or prefix")


def parse_integer(value: object, where: str, low: int, high: int) -> int:
    """An integer from ``low`` to ``high``; not a bool, nor a float such as ``2.0`` (TOML and
    JSON tell integers apart, so a float is a mistake worth naming)."""
    if type(value) is not int or not low <= value <= high:
        got = value if type(value) is int else describe(value)
        raise RoutesError(f"{where}: expected an integer from {low} to {high}, got {got}")
    return value


def parse_precision(value: object, where: str) -> int:
    """A geocell precision: an integer from 1 to 12."""
    return parse_integer(value, where, 1, 12)


def parse_cache_control(value: object, where: str) -> str | None:
    """A Cache-Control value for browsers, or None for ``"origin"`` (pass the origin's own)."""
    header = expect_string(value, where)
    if not all(" " <= char <= "~" for char in header):
        raise RoutesError(f"{where}: must be a Cache-Control value of printable ASCII on one line")
    return None if header == "origin" else header


def parse_timeout(value: object, where: str) -> float:
    """An origin timeout: a duration more than 0 and at most 300 seconds."""
    seconds = parse_duration(value, where)
    if not 0 < seconds <= 300:
        raise RoutesError(f"{where}: must be more than 0 and at most 300 seconds, got {value!r}")
    return seconds


def _strings(value: object, where: str, syntax: re.Pattern[str], what: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise RoutesError(f"{where}: expected an array of strings, got {describe(value)}")
    for item in value:
        if not isinstance(item, str):
            raise RoutesError(
                f"{where}: expected an array of strings, found {describe(item)} in it"
            )
        if syntax.fullmatch(item) is None:
            raise RoutesError(f"{where}: invalid {what} {item!r}")
    return tuple(value)
