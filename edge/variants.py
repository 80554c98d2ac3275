"""Which request a stored response answers when it carries ``Vary`` (RFC 9110 §12.5.5).

A response may vary only on an allowlist of request fields; the request's values of those
fields are normalised (raw ``Accept-Encoding`` and ``Accept-Language`` strings are too varied
to key a cache on) and hashed into the variant slot of the cache key.

Pure and standard-library only: it runs in the Python Worker (Pyodide).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator

__all__ = [
    "VARIANTS_FIELD",
    "marker",
    "normalize_accept_encoding",
    "normalize_accept_language",
    "read_marker",
    "variant_id",
    "vary_fields",
]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 §5.6.2
_LANGUAGE_RANGE = re.compile(r"\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")  # RFC 4647 §2.1
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")  # RFC 9110 §12.4.2
_CODINGS = ("br", "gzip", "zstd")
# The field of a base entry that stands for its variants: "<generation> <field>,<field>".
VARIANTS_FIELD = "popcache-variants"


def marker(generation: str, fields: tuple[str, ...]) -> str:
    """The ``Popcache-Variants`` value for variants of ``fields`` under ``generation``."""
    return f"{generation} {','.join(fields)}"


def read_marker(value: str | None) -> tuple[str, tuple[str, ...]] | None:
    """(generation, fields) of a ``Popcache-Variants`` value; None when absent or damaged."""
    generation, _, names = (value or "").partition(" ")
    fields = tuple(name for name in names.split(",") if name)
    return (generation, fields) if generation and fields else None


def vary_fields(vary: str | None, allowlist: frozenset[str]) -> tuple[str, ...] | None:
    """The sorted lower-case field names a ``Vary`` value lists (RFC 9110 §12.5.5).

    None when the response is not storable by field values: ``*``, or a name outside
    ``allowlist``. An empty tuple when there is no ``Vary`` or it names nothing.
    """
    names = {name.strip(" \t").lower() for name in (vary or "").split(",")} - {""}
    if "*" in names or not names <= {name.lower() for name in allowlist}:
        return None
    return tuple(sorted(names))


def variant_id(
    fields: tuple[str, ...], header: Callable[[str], str | None], generation: str
) -> str:
    """A short stable id for the request's values of ``fields`` (lower-case, as from vary_fields).

    ``generation`` plus the first 16 hex digits of a SHA-256 over the normalised values: an
    absent field differs from an empty one, and equivalent values share an id.
    """
    values = [_field_value(name, header(name)) for name in fields]
    digest = hashlib.sha256(json.dumps([fields, values]).encode()).hexdigest()[:16]
    return f"{generation}.{digest}"


def _field_value(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if name == "accept-encoding":
        return normalize_accept_encoding(value)
    if name == "accept-language":
        return normalize_accept_language(value)
    return re.sub(r"[ \t]+", " ", value.strip(" \t"))


def normalize_accept_encoding(value: str | None) -> str:
    """The codings among br, gzip and zstd that ``value`` accepts, sorted: e.g. "br,gzip".

    Raw ``Accept-Encoding`` values are too varied to key a cache on (RFC 9110 §12.5.3). ``*``
    stands for every coding not listed; a weight of 0 refuses; malformed elements are skipped.
    """
    weights = dict(_weighted(value, _TOKEN))
    default = weights.get("*", 0.0)
    return ",".join(coding for coding in _CODINGS if weights.get(coding, default) > 0)


def normalize_accept_language(value: str | None) -> str:
    """The most preferred language range of ``value``, lower-case: e.g. "en-us" (or "*").

    Highest weight wins, the first listed among equals (RFC 9110 §12.5.4, RFC 4647 §2.1); ""
    when there is none with a weight above 0.
    """
    best, best_weight = "", 0.0
    for language, weight in _weighted(value, _LANGUAGE_RANGE):
        if weight > best_weight:
            best, best_weight = language, weight
    return best


def _weighted(value: str | None, item: re.Pattern[str]) -> Iterator[tuple[str, float]]:
    """Lower-case ``(item, weight)`` for each well-formed element of a list (RFC 9110 §12.4.2)."""
    for element in (value or "").split(","):
        name, semicolon, weight = (part.strip(" \t") for part in element.partition(";"))
        key, _, q = weight.partition("=")
        if item.fullmatch(name) and (
            not semicolon or (key.lower() == "q" and _QVALUE.fullmatch(q))
        ):
            yield name.lower(), float(q) if semicolon else 1.0
