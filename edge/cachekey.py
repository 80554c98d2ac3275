"""Cache keys for storefront responses: equivalent URLs share one, and none carries private data.

The Workers Cache API keys entries by absolute URL, so a key is a URL built from the normalised
request URL plus every slot that must split the cache: the request's scheme, the deploy version,
the content class, a scope (a zone id once geofencing lands) and a variant for ``Vary``
(``variants.variant_id``).

Normalisation is RFC 3986 §6.2.2 (case, percent-encoding, dot segments by §5.2.4) and §6.2.3
(default port, empty path), after the WHATWG URL Standard's basic URL parser (§4.4) strips
leading and trailing C0 controls and spaces and removes tabs and newlines. Tracking parameters
are dropped and coordinates become a geohash cell (or, alone, two decimals), so a key never holds
a raw location; userinfo is dropped, and cookies, ``Authorization`` and addresses are no input.

Pure and standard-library only: it runs in the Python Worker (Pyodide).
"""

from __future__ import annotations

import functools
import math
import re
import string
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = [
    "DEFAULT_COORDINATE_PARAMS",
    "DEFAULT_TRACKING_PARAMS",
    "InvalidURL",
    "KeyPolicy",
    "NormalizedURL",
    "cache_key",
    "geohash",
    "normalize",
]

DEFAULT_TRACKING_PARAMS: tuple[str, ...] = (
    *("utm_*", "gclid", "fbclid", "msclkid", "dclid", "gbraid", "wbraid", "yclid"),
    *("mc_eid", "_hsenc", "_hsmi"),
)
DEFAULT_COORDINATE_PARAMS: tuple[str, ...] = ("lat", "lon", "lng", "latitude", "longitude")

_LATITUDE = frozenset({"lat", "latitude"})
_LONGITUDE = frozenset({"lon", "lng", "longitude"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")  # RFC 3986 §2.3
# An escape, or a character that must be escaped: outside pchar and "/" (RFC 3986 §3.3), or "?"
# too (§3.4). A "%" that starts no escape is one of them.
_PATH_ESCAPES = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]")
_QUERY_ESCAPES = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")
_LABEL = r"[a-z0-9\-_~!$&'()*+,;=]+"  # RFC 3986 §3.2.2 reg-name, lower-cased, between dots
_REG_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]+")  # RFC 3986 §3.2.2 IPv6address; no zone id, no IPvFuture
_PORT = re.compile(r"0*([0-9]{1,5})")
_SURROGATE = re.compile("[\ud800-\udfff]")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_GEOHASH = "0123456789bcdefghjkmnpqrstuvwxyz"


class InvalidURL(ValueError):
    """The URL cannot key the cache. The message names the problem, never the URL's content."""


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    """Which query parameters are tracking or coordinates, and how coarse a geocell is.

    Names match case-insensitively; a tracking name ending in ``*`` matches as a prefix. Of the
    coordinate names, ``lat``/``latitude`` are latitudes and ``lon``/``lng``/``longitude``
    longitudes; any other is only ever rounded.
    """

    tracking_params: tuple[str, ...] = DEFAULT_TRACKING_PARAMS
    coordinate_params: tuple[str, ...] = DEFAULT_COORDINATE_PARAMS
    geocell_precision: int = 6  # geohash characters: 6 is a cell of ~1.2 km x 0.6 km

    def __post_init__(self) -> None:
        for name in self.tracking_params:
            assert re.fullmatch(r"[^*]+\*?", name), f"tracking param {name!r}: a name, or prefix*"
        for name in self.coordinate_params:
            assert re.fullmatch(r"[^*]+", name), f"coordinate param {name!r}: a plain name"
        assert 1 <= self.geocell_precision <= 12, "geocell_precision: geohash length, 1 to 12"


@dataclass(frozen=True, slots=True)
class NormalizedURL:
    """A request URL as the cache sees it."""

    url: str  # absolute, normalised, tracking and coordinate params removed, no fragment
    host: str  # lower-case host[:port] as in url
    path: str  # normalised path: what routing matches on
    geocell: str | None  # geohash of the request's coordinates, when it carried some


def normalize(url: str, policy: KeyPolicy = KeyPolicy()) -> NormalizedURL:
    """Normalise an absolute http(s) URL so that equivalent ones compare equal.

    Scheme and host lower-cased (the host IDNA-encoded), userinfo, default port and fragment
    dropped, dot segments removed, escapes normalised; query params sorted by name, tracking
    ones dropped, a latitude and longitude turned into ``geocell``, a lone coordinate rounded.
    Raises InvalidURL for anything else, or for an invalid host or port.
    """
    url = url.strip(_C0_OR_SPACE).translate(_TAB_OR_NEWLINE).partition("#")[0]
    if _SURROGATE.search(url):
        raise InvalidURL("not valid Unicode")
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in _DEFAULT_PORTS:
        raise InvalidURL("not an absolute http(s) URL")
    rest, _, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    # RFC 3986 §3.2.1: userinfo is dropped (credentials never reach a key).
    host = _host(authority.rpartition("@")[2], _DEFAULT_PORTS[scheme])
    path = _remove_dot_segments(_PATH_ESCAPES.sub(_escape, slash + path))
    query, geocell = _query(query, policy)
    return NormalizedURL(
        f"{scheme}://{host}{path}{'?' if query else ''}{query}", host, path, geocell
    )


def _host(authority: str, default_port: int) -> str:
    """``host[:port]`` normalised (RFC 3986 §3.2.2-3), without the scheme's default port."""
    if authority.startswith("["):
        literal, bracket, port = authority[1:].partition("]")
        if not bracket or not _IPV6.fullmatch(literal) or port[:1] not in ("", ":"):
            raise InvalidURL("invalid host")
        try:
            host = f"[{_ipv6(literal)}]"
        except ValueError as exc:
            raise InvalidURL("invalid host") from exc
        port = port[1:]
    else:
        name, _, port = authority.partition(":")
        try:  # RFC 3490 ToASCII for internationalised names
            host = unquote(name, errors="strict").lower().encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidURL("invalid host") from exc
        if not _REG_NAME.fullmatch(host):
            raise InvalidURL("invalid host")
    if port:
        digits = _PORT.fullmatch(port)
        if not digits or int(digits[1]) > 65535:
            raise InvalidURL("invalid port")
        if int(digits[1]) != default_port:
            host += f":{int(digits[1])}"
    return host


def _escape(match: re.Match[str]) -> str:
    """RFC 3986 §6.2.2.1-2: escapes upper-cased, unreserved ones decoded, others UTF-8 escaped."""
    text = match[0]
    if len(text) == 3:
        char = chr(int(text[1:], 16))
        return char if char in _UNRESERVED else text.upper()
    return "".join(f"%{byte:02X}" for byte in text.encode())


def _ipv6(literal: str) -> str:
    """The WHATWG serialization of an IPv6 literal: all hex pieces, IPv4-mapped ones too.
    Python 3.13 and later write ``::ffff:1.2.3.4`` for those, so a key must not trust
    ``compressed`` to be stable. ValueError when it is not an address."""
    import ipaddress  # IP-literal hosts are rare: kept off the Worker's start-up

    address = ipaddress.IPv6Address(literal)
    if address.ipv4_mapped is None:
        return address.compressed
    mapped = int(address) & 0xFFFFFFFF
    return f"::ffff:{mapped >> 16:x}:{mapped & 0xFFFF:x}"


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute (or empty) path; the empty path becomes "/"."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            kept = kept[:-1]
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/" + "/".join(kept)


def _query(query: str, policy: KeyPolicy) -> tuple[str, str | None]:
    """The normalised query (RFC 3986 §3.4) and the geohash of its coordinates, if any."""
    params: list[tuple[str, str | None]] = []
    for part in filter(None, query.split("&")):
        name, equals, value = part.partition("=")
        name = _QUERY_ESCAPES.sub(_escape, name)
        if not _is_tracking(unquote(name).lower(), policy.tracking_params):
            params.append((name, _QUERY_ESCAPES.sub(_escape, value) if equals else None))
    # Sorted before coordinates pair up, so which pair does not hang on the request's order; the
    # sort is stable, so repeated names keep theirs (a=2&a=1 is not a=1&a=2).
    params.sort(key=lambda param: param[0])
    names = [unquote(name).lower() for name, _ in params]
    coordinate_names = {name.lower() for name in policy.coordinate_params}
    numbers = {
        i: number
        for i, (_, value) in enumerate(params)
        if names[i] in coordinate_names and (number := _number(value)) is not None
    }
    lat = _first(numbers, names, _LATITUDE, 90.0)
    lon = _first(numbers, names, _LONGITUDE, 180.0)
    geocell = None
    if lat is not None and lon is not None:
        geocell = geohash(lat, lon, policy.geocell_precision)
        params = [param for i, param in enumerate(params) if i not in numbers]
    else:
        params = [
            (n, f"{numbers[i]:.2f}" if i in numbers else v) for i, (n, v) in enumerate(params)
        ]
    return "&".join(name if value is None else f"{name}={value}" for name, value in params), geocell


def _is_tracking(name: str, patterns: tuple[str, ...]) -> bool:
    return any(
        name.startswith(pattern[:-1].lower()) if pattern.endswith("*") else name == pattern.lower()
        for pattern in patterns
    )


def _number(value: str | None) -> float | None:
    """``value`` as a finite decimal number, or None when it is not one."""
    if value is None or not _NUMBER.fullmatch(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _first(
    numbers: dict[int, float], names: list[str], kind: frozenset[str], limit: float
) -> float | None:
    """The first number named as ``kind`` whose two-decimal rounding is in range, clamped to it.

    Rounding first keeps normalisation idempotent: a lone value is kept rounded, and that
    rounded value must not become a coordinate the next time round.
    """
    for i, number in numbers.items():
        if names[i] in kind and abs(round(number, 2)) <= limit:
            return max(-limit, min(number, limit))
    return None


def cache_key(
    url: NormalizedURL, *, version: str, content_class: str, scope: str, variant: str = ""
) -> str:
    """The Cache API key for ``url``: an internal absolute URL, split by every slot.

    Format (``~`` alone where the variant is empty or there is no geocell)::

        https://{host}/~popcache/{scheme}/{version}/{content_class}/{scope}/~{variant}/~{geocell}
            {path}[?{query}]

    The slots are percent-encoded (RFC 3986 §2.1), so none can add a "/" or "?", and there are
    always six of them, so no path can pass for one. A slot that is "." or ".." would be removed
    as a dot segment (RFC 3986 §5.2.4) when the key is parsed, so it raises ValueError.
    """
    scheme, query = url.url.partition(":")[0], url.url.partition("?")[2]
    encoded = _slots(version, content_class, scope, variant)
    return (
        f"https://{url.host}/~popcache/{scheme}/{encoded}"
        f"/~{url.geocell or ''}{url.path}{'?' if query else ''}{query}"
    )


@functools.lru_cache(maxsize=1024)
def _slots(version: str, content_class: str, scope: str, variant: str) -> str:
    """The encoded slots; a PoP sees few combinations, so they are encoded once each."""
    slots = (version, content_class, scope)
    if any(slot in (".", "..") for slot in slots):
        raise ValueError("cache key slots cannot be '.' or '..': URL parsers remove them")
    return "/".join(quote(slot, safe="") for slot in slots) + f"/~{quote(variant, safe='')}"


def geohash(lat: float, lon: float, precision: int) -> str:
    """The base32 geohash of ``precision`` characters for a point in degrees.

    Bits alternate longitude first; each halves its range, 1 for the upper half ``[mid, high]``.
    Raises ValueError for a point off the globe or a precision below 1.
    """
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or precision < 1:
        raise ValueError("geohash needs lat in [-90, 90], lon in [-180, 180] and precision >= 1")
    ranges, point = ([-180.0, 180.0], [-90.0, 90.0]), (lon, lat)
    chars, code = [], 0
    for bit in range(5 * precision):
        low_high, coordinate = ranges[bit % 2], point[bit % 2]
        mid = (low_high[0] + low_high[1]) / 2
        upper = coordinate >= mid
        low_high[0 if upper else 1] = mid
        code = code * 2 + upper
        if bit % 5 == 4:
            chars.append(_GEOHASH[code])
            code = 0
    return "".join(chars)
