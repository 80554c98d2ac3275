"""The part of ``pyodide.ffi`` worker code meets: how a JavaScript error reaches Python.

On the real runtime an error thrown by a JS API (the Cache API's ``TypeError``s, for one) is
raised in Python as ``pyodide.ffi.JsException``: not a Python ``TypeError``, so ``except
TypeError`` does not catch it; its ``name`` is the JS error's name and ``str()`` reads
``"TypeError: <message>"``. The emulator's JS stand-ins raise this class where the runtime's
JS would throw, and worker code imports it as ``from pyodide.ffi import JsException``.
"""

from __future__ import annotations

__all__ = ["JsException"]


class JsException(Exception):
    """A JavaScript error, as Pyodide hands it to Python."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
