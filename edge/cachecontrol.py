"""The origin's and the client's cache directives, read the way a shared cache must read them.

Header values come from origins and clients we do not control, so every parser here is total:
bad input means "absent" (or, where RFC 9111 says so, "stale"), never an exception. Sections
followed: RFC 9111 §1.2.2 (delta-seconds), §4.2.1 (freshness lifetime), §5.1 (Age), §5.2
(Cache-Control), §5.3 (Expires), §5.4 (Pragma); RFC 9110 §5.6.7 (dates); RFC 9213 §2
(CDN-Cache-Control); RFC 5861 §3-4 (stale-while-revalidate, stale-if-error). No clock is read:
the caller passes ``now``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

from sfv import InnerList, SFVError, parse_dictionary

__all__ = [
    "MAX_DELTA_SECONDS",
    "RequestCaching",
    "ResponseCaching",
    "age_seconds",
    "delta_seconds",
    "parse_cache_control",
    "parse_http_date",
    "parse_targeted",
    "request_caching",
    "response_caching",
]

MAX_DELTA_SECONDS = 2**31  # RFC 9111 §1.2.2

# RFC 9111 §5.2: cache-directive = token [ "=" ( token / quoted-string ) ] (RFC 9110 §5.6.2, §5.6.4)
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QDTEXT = r"[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]"
_PAIR = r"\\[\t \x21-\x7e\x80-\xff]"
_DIRECTIVE = re.compile(rf'({_TOKEN})(?:=(?:({_TOKEN})|"((?:{_QDTEXT}|{_PAIR})*)"))?')
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """Cache-Control directives (RFC 9111 §5.2) by lower-cased name; ``None`` for no argument.

    A quoted-string argument is unescaped; the first of a repeated directive wins (RFC 9111
    §4.2.1); an element that is not ``token [ "=" ( token / quoted-string ) ]`` is skipped.
    """
    directives: dict[str, str | None] = {}
    for element in _elements(value or ""):
        match = _DIRECTIVE.fullmatch(element.strip(" \t"))
        if match is None:
            continue
        name, token, quoted = match.groups()
        argument = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else token
        directives.setdefault(name.lower(), argument)
    return directives


def _elements(value: str) -> list[str]:
    """``value`` split at the commas that are not inside a quoted-string (RFC 9110 §5.6.1)."""
    elements, start, quoted, escaped = [], 0, False, False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            escaped, quoted = char == "\\", char != '"'
        elif char == '"':
            quoted = True
        elif char == ",":
            elements.append(value[start:index])
            start = index + 1
    elements.append(value[start:])
    return elements


def parse_targeted(value: str | None) -> dict[str, str | None] | None:
    """A targeted field such as CDN-Cache-Control (RFC 9213 §2.1) as directives, or ``None``.

    ``None`` when the field is absent, empty, or not a valid sf-dictionary: then it is ignored
    as a whole (RFC 9213 §2.1). An Integer becomes its decimal string, ``True`` a bare
    directive, a Token or String its text; parameters are ignored, and a member of any other
    type (Decimal, Byte Sequence, ``False``, Inner List) is skipped as a value that violates the
    directive's inferred type (RFC 9213 §2.1). A valid field whose every member is skipped still
    counts as present.
    """
    if value is None:
        return None
    try:
        members = parse_dictionary(value)
    except SFVError:
        return None
    directives: dict[str, str | None] = {}
    for name, member in members.items():
        if isinstance(member, InnerList) or isinstance(member.value, bytes | float):
            continue
        if member.value is True:
            directives[name] = None
        elif member.value is not False:
            directives[name] = str(member.value)
    return directives if members else None


def delta_seconds(value: str | None) -> int | None:
    """A delta-seconds value (RFC 9111 §1.2.2): ASCII digits only, optionally surrounded by
    whitespace, capped at ``MAX_DELTA_SECONDS``; ``None`` when absent or invalid."""
    digits = (value or "").strip(" \t")
    if not (digits.isascii() and digits.isdigit()):
        return None
    # Capping by length first keeps clear of int()'s limit on very long digit strings.
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(MAX_DELTA_SECONDS)):
        return MAX_DELTA_SECONDS
    return min(int(significant), MAX_DELTA_SECONDS)


def parse_http_date(value: str | None) -> float | None:
    """An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, RFC 850 or asctime) as POSIX seconds.

    ``None`` when absent or invalid; a date without a zone (asctime) is UTC (RFC 9110 §5.6.7).
    Other RFC 5322 dates are accepted too, as RFC 9110 §5.6.7 encourages robust parsing.
    """
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def age_seconds(value: str | None) -> int:
    """The Age field (RFC 9111 §5.1) in seconds: the first valid value of a list, else 0."""
    for part in (value or "").split(","):
        age = delta_seconds(part)
        if age is not None:
            return age
    return 0


@dataclass(frozen=True, slots=True)
class ResponseCaching:
    """How a shared cache may store and serve one response (RFC 9111 §3, §4.2; RFC 9213)."""

    lifetime: float | None  # explicit freshness lifetime, seconds; None when none is given
    swr: float  # stale-while-revalidate seconds (RFC 5861 §3), 0 when absent or invalid
    sie: float  # stale-if-error seconds (RFC 5861 §4), 0 when absent or invalid
    no_store: bool  # RFC 9111 §5.2.2.5
    no_cache: bool  # unqualified or qualified: revalidate every time (RFC 9111 §5.2.2.4)
    private: bool  # unqualified or qualified (RFC 9111 §5.2.2.7)
    public: bool  # RFC 9111 §5.2.2.9
    must_revalidate: bool  # must-revalidate or proxy-revalidate (RFC 9111 §5.2.2.2, §5.2.2.8)
    s_maxage: bool  # s-maxage present, which lets a shared cache store with Authorization (§3.5)
    targeted: bool  # a valid CDN-Cache-Control decided (RFC 9213 §2.2)


def response_caching(
    *,
    cache_control: str | None,
    cdn_cache_control: str | None,
    expires: str | None,
    date: str | None,
    pragma: str | None,
    now: float,
) -> ResponseCaching:
    """The caching rules of a response from its header fields, for a shared (CDN) cache.

    A valid, non-empty CDN-Cache-Control alone decides, and Cache-Control, Expires and Pragma
    are ignored (RFC 9213 §2.2). Otherwise the lifetime is s-maxage, else max-age, else Expires
    minus Date (RFC 9111 §4.2.1), else ``None``. An invalid max-age or s-maxage (RFC 9111
    §4.2.1) or Expires (RFC 9111 §5.3) gives lifetime 0: stale. ``Pragma: no-cache`` counts
    only when ``cache_control`` is ``None`` (RFC 9111 §5.4).
    """
    targeted = parse_targeted(cdn_cache_control)
    directives = targeted if targeted is not None else parse_cache_control(cache_control)
    lifetime = _explicit_lifetime(directives)
    if lifetime is None and targeted is None and expires is not None:
        expiry = parse_http_date(expires)
        origin_date = parse_http_date(date)
        start = now if origin_date is None else origin_date
        lifetime = 0.0 if expiry is None else max(0.0, expiry - start)
    return ResponseCaching(
        lifetime=lifetime,
        swr=float(delta_seconds(directives.get("stale-while-revalidate")) or 0),
        sie=float(delta_seconds(directives.get("stale-if-error")) or 0),
        no_store="no-store" in directives,
        no_cache="no-cache" in directives
        or (targeted is None and _pragma_no_cache(cache_control, pragma)),
        private="private" in directives,
        public="public" in directives,
        must_revalidate="must-revalidate" in directives or "proxy-revalidate" in directives,
        s_maxage="s-maxage" in directives,
        targeted=targeted is not None,
    )


def _explicit_lifetime(directives: dict[str, str | None]) -> float | None:
    """s-maxage, else max-age (RFC 9111 §4.2.1); 0 for an invalid value, ``None`` for neither."""
    for name in ("s-maxage", "max-age"):
        if name in directives:
            seconds = delta_seconds(directives[name])
            return 0.0 if seconds is None else float(seconds)
    return None


def _pragma_no_cache(cache_control: str | None, pragma: str | None) -> bool:
    """``Pragma: no-cache`` counts only where there is no Cache-Control field (RFC 9111 §5.4,
    written for requests; a response's Pragma is read the same way for HTTP/1.0 origins)."""
    return cache_control is None and "no-cache" in parse_cache_control(pragma)


@dataclass(frozen=True, slots=True)
class RequestCaching:
    """What a client's request asks of caches (RFC 9111 §5.2.1)."""

    no_store: bool  # RFC 9111 §5.2.1.5
    no_cache: bool  # no-cache, max-age=0, or Pragma: no-cache without Cache-Control
    max_age: int | None  # RFC 9111 §5.2.1.1
    max_stale: int | None  # MAX_DELTA_SECONDS for a bare max-stale (RFC 9111 §5.2.1.2)
    min_fresh: int | None  # RFC 9111 §5.2.1.3
    only_if_cached: bool  # RFC 9111 §5.2.1.7


def request_caching(*, cache_control: str | None, pragma: str | None) -> RequestCaching:
    """The request's cache directives (RFC 9111 §5.2.1). ``max-age=0`` and Pragma no-cache
    without Cache-Control (RFC 9111 §5.4) count as no-cache; a bare max-stale accepts any
    staleness (``MAX_DELTA_SECONDS``, RFC 9111 §5.2.1.2); an invalid value is absent."""
    directives = parse_cache_control(cache_control)
    max_age = delta_seconds(directives.get("max-age"))
    max_stale = None
    if "max-stale" in directives:
        stale = directives["max-stale"]
        max_stale = MAX_DELTA_SECONDS if stale is None else delta_seconds(stale)
    return RequestCaching(
        no_store="no-store" in directives,
        no_cache="no-cache" in directives
        or max_age == 0
        or _pragma_no_cache(cache_control, pragma),
        max_age=max_age,
        max_stale=max_stale,
        min_fresh=delta_seconds(directives.get("min-fresh")),
        only_if_cached="only-if-cached" in directives,
    )
