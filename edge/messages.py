"""The proxy core's own request and response: plain data, no runtime types.

The entry adapter converts the runtime's objects into these once on the way in and back once on
the way out (STYLE: adapters translate once), so every policy module and the proxy loop run
the same under CPython tests, the emulator and Pyodide. Bodies are bytes: storefront API
responses are small, and the Cache API stores whole bodies anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["EdgeRequest", "EdgeResponse", "Fields"]


class Fields:
    """Header fields in order, names compared without case (RFC 9110 §5.1).

    Names are stored lower-cased, as the Fetch standard's ``Headers`` shows them.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = [(name.lower(), value) for name, value in items]

    @classmethod
    def lowered(cls, items: Iterable[tuple[str, str]]) -> Fields:
        """Fields whose names are lower-case already, as a Fetch ``Headers`` yields them."""
        fields = cls()
        fields._items = [(name, value) for name, value in items]
        return fields

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"Fields({self._items!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fields) and self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def get(self, name: str) -> str | None:
        """The field's value, repeated lines combined with ", " (RFC 9110 §5.3)."""
        found = None
        for key, value in self._items:
            if key == name:
                found = value if found is None else f"{found}, {value}"
        return found

    def has(self, name: str) -> bool:
        for key, _ in self._items:  # noqa: SIM110 - a plain loop is the fastest here
            if key == name:
                return True
        return False

    def set(self, name: str, value: str) -> None:
        """Replace every line of ``name`` with one."""
        if self.has(name):
            self._items = [item for item in self._items if item[0] != name]
        self._items.append((name, value))

    def add(self, name: str, value: str) -> None:
        self._items.append((name, value))

    def delete(self, *names: str) -> None:
        self._items = [item for item in self._items if item[0] not in names]

    def without(self, names: frozenset[str]) -> Fields:
        """A copy without the fields in ``names`` (lower-case)."""
        copy = Fields()
        copy._items = [item for item in self._items if item[0] not in names]
        return copy

    def copy(self) -> Fields:
        copy = Fields()
        copy._items = list(self._items)
        return copy


@dataclass(slots=True)
class EdgeRequest:
    """A request as the proxy sees it; ``client_ip`` is the runtime's ``CF-Connecting-IP``."""

    method: str
    url: str
    headers: Fields
    body: bytes | None = None
    client_ip: str | None = None


@dataclass(slots=True)
class EdgeResponse:
    status: int
    headers: Fields = field(default_factory=Fields)
    body: bytes = b""
