"""Plain JS objects as Pyodide shows them to Python.

``request.cf`` and a scheduled controller are JS objects on the real runtime: Pyodide wraps
them in a ``JsProxy`` whose fields are attributes, a missing field raises ``AttributeError``,
and ``to_py()`` copies the object into a ``dict``. Results of bindings pass through the SDK's
``python_from_rpc``, which turns objects into ``JsDict`` (a dict whose keys are also attributes).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["JsDict", "JsObject"]


class JsObject:
    """A read-mostly view of a JS object: ``obj.colo``, ``obj.to_py()``."""

    __slots__ = ("_fields", "_shared")

    def __init__(self, fields: Mapping[str, Any], *, shared: bool = False) -> None:
        """``shared=True`` reads ``fields`` in place and copies it on the first write."""
        object.__setattr__(self, "_fields", fields if shared else dict(fields))
        object.__setattr__(self, "_shared", shared)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if self._shared:
            object.__setattr__(self, "_fields", dict(self._fields))
            object.__setattr__(self, "_shared", False)
        self._fields[name] = value

    def __dir__(self) -> list[str]:
        return sorted(self._fields)

    def __iter__(self) -> Iterator[str]:
        # Iterating a JsProxy of a plain object is a TypeError; so is this.
        raise TypeError("'JsProxy' object is not iterable")

    def __repr__(self) -> str:
        return "[object Object]"

    def to_py(self) -> dict[str, Any]:
        """A deep copy as a ``dict``, as ``JsProxy.to_py()`` gives."""
        return copy.deepcopy(self._fields)

    def as_object_map(self) -> Mapping[str, Any]:
        """The fields as a read-only mapping, as ``JsProxy.as_object_map()``."""
        return dict(self._fields)


class JsDict(dict[str, Any]):
    """A dict whose keys are also attributes, as the SDK's ``python_from_rpc`` returns."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value
