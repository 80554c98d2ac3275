"""The Fetch standard's ``Headers`` (https://fetch.spec.whatwg.org/#headers-class).

Names are case-insensitive and stored lower-cased; ``get`` joins repeated values with ", "
except ``Set-Cookie`` (read with ``getSetCookie``); iteration yields ``(name, value)`` pairs
sorted by name, as JS iteration does. Pyodide iterates a JS ``Headers`` the same way, which is
what the SDK relies on when it copies headers into an ``http.client.HTTPMessage``.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Union

__all__ = ["HeadersInit", "JsHeaders"]

_by_name = operator.itemgetter(0)

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")

HeadersInit = Union["JsHeaders", Mapping[str, str], Iterable[tuple[str, str]]]


@functools.lru_cache(maxsize=1024)
def _name(name: str) -> str:
    if not _TOKEN.match(name):
        raise TypeError(f"Invalid header name: {name!r}")
    return name.lower()


@functools.lru_cache(maxsize=4096)
def _value(value: str) -> str:
    value = str(value).strip(" \t\r\n")
    if "\n" in value or "\r" in value or "\0" in value:
        raise TypeError("Invalid header value.")
    return value


class JsHeaders:
    """A mutable, case-insensitive multimap of header fields."""

    # ``fields``: every field as (lower-cased name, value) in arrival order, repeats kept. Read it
    # directly on hot paths; change it only through the methods.
    __slots__ = ("fields",)

    def __init__(self, init: HeadersInit | None = None) -> None:
        self.fields: list[tuple[str, str]] = []
        if init is None:
            return
        if isinstance(init, JsHeaders):
            self.fields = list(init.fields)
            return
        pairs = init.items() if isinstance(init, dict | Mapping) else init
        items = self.fields
        for name, value in pairs:  # a loop, not a comprehension: one frame fewer, hot path
            items.append((_name(name), _value(value)))

    @classmethod
    def trusted(cls, items: list[tuple[str, str]]) -> JsHeaders:
        """Headers a parser already validated and lower-cased: taken as they are (hot path)."""
        headers = cls()
        headers.fields = items
        return headers

    def append(self, name: str, value: str) -> None:
        self.fields.append((_name(name), _value(value)))

    def set(self, name: str, value: str) -> None:
        key = _name(name)
        for item_name, _ in self.fields:
            if item_name == key:
                self.fields = [item for item in self.fields if item[0] != key]
                break
        self.fields.append((key, _value(value)))

    def delete(self, name: str) -> None:
        key = _name(name)
        self.fields = [item for item in self.fields if item[0] != key]

    def get(self, name: str) -> str | None:
        key = name.lower()
        values = [value for item_name, value in self.fields if item_name == key]
        return ", ".join(values) if values else None

    def has(self, name: str) -> bool:
        key = name.lower()
        for item_name, _ in self.fields:  # noqa: SIM110 - any() and a generator cost more here
            if item_name == key:
                return True
        return False

    def getSetCookie(self) -> list[str]:
        return [value for name, value in self.fields if name == "set-cookie"]

    def entries(self) -> Iterator[tuple[str, str]]:
        # Sorted by name (stable, so repeats keep their order), repeats combined with ", "
        # except Set-Cookie: the Fetch standard's "sort and combine". Built as a list: this
        # runs for every header read of every request.
        combined: list[tuple[str, str]] = []
        for name, value in sorted(self.fields, key=_by_name):
            if combined and combined[-1][0] == name and name != "set-cookie":
                combined[-1] = (name, f"{combined[-1][1]}, {value}")
            else:
                combined.append((name, value))
        return iter(combined)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self.entries()

    def raw(self) -> list[tuple[str, str]]:
        """Every field in arrival order, repeats kept: what goes on the wire."""
        return list(self.fields)

    def __repr__(self) -> str:
        return f"Headers({dict(self.entries())!r})"
