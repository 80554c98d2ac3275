"""JSON in and out within the runtime's means: bounded nesting in, always-encodable bytes out.

Decoding deeply nested JSON recurses: CPython raises RecursionError, but under Pyodide the
WebAssembly stack can run out first and take the isolate down. So text from outside (a batch
body, a zones document, an origin's response) is measured before it is decoded: the brackets
outside strings, counted in linear time by regular expressions. And JSON may hold a lone
surrogate (``"\\ud800"``), which has no UTF-8 form: encoding falls back to ASCII escapes then.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable

__all__ = ["MAX_NESTING", "TooDeep", "dump", "load", "load_document", "nesting"]

MAX_NESTING = 64
"""How deep arrays and objects may nest in JSON the edge decodes."""

# A JSON string, escapes and all, or an unterminated one to the end: every '"' starts a match,
# so scanning never restarts inside a string (which would be quadratic on '"\"\"\"...').
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
_BRACKET = re.compile(r"[][{}]")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeep(ValueError):
    """JSON nesting deeper than allowed, refused before decoding."""


def nesting(text: str) -> int:
    """How deep the arrays and objects of the JSON ``text`` nest (at most; nothing checked)."""
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return max(itertools.accumulate(map(_NESTING.__getitem__, brackets)), default=0)


def load(
    text: str | bytes,
    *,
    limit: int = MAX_NESTING,
    object_pairs_hook: Callable[[list[tuple[str, object]]], object] | None = None,
) -> object:
    """The JSON value of ``text``; ValueError for invalid JSON (``NaN`` and ``Infinity``
    included), for text that is not UTF-8, or for nesting deeper than ``limit``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if text.count("[") + text.count("{") > limit:  # else it cannot nest deeper: no scan
        depth = nesting(text)
        if depth > limit:
            raise TooDeep(f"arrays and objects nest {depth} deep, more than the {limit} allowed")
    decoder = _DECODER
    if object_pairs_hook is not None:
        decoder = json.JSONDecoder(parse_constant=_no_constant, object_pairs_hook=object_pairs_hook)
    try:
        value: object = decoder.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    return value


def load_document(body: bytes) -> object:
    """A request body's JSON value as ``load`` reads it, also refusing an object that names a
    member twice (RFC 8259 leaves it to the reader; ``json`` would keep the last silently, so
    a checked value could be shadowed). ValueError says why, in a phrase."""

    def unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
        found: dict[str, object] = {}
        for key, value in pairs:
            if key in found:
                raise ValueError(f"member {key!r} appears twice")
            found[key] = value
        return found

    try:
        return load(body, object_pairs_hook=unique)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None


def dump(value: object) -> bytes:
    """``value`` as compact UTF-8 JSON; with ASCII escapes if a string has a lone surrogate."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode()


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)
