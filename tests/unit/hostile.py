"""Helpers of the hostile-input tests (``test_*hostile_*.py``): they assert the same things of
every parser, that it stays total and quick, so they share one way of saying it.

Plain Python, as edgeharness.py: the edge's hostile tests also run inside Pyodide
(tests/pyodide/runner.mjs), which imports this module from tests/unit like any test's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

__all__ = ["encoded", "outcome", "quickly"]


def outcome(error: type[Exception], call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What ``call`` returned, or the ``error`` it raised; any other exception propagates."""
    try:
        return call(*args, **kwargs)
    except error as raised:
        return raised


def quickly(call: Callable[..., Any], *args: Any, budget: float = 1.0, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``, asserting that it took less than ``budget`` seconds."""
    start = time.perf_counter()
    result = call(*args, **kwargs)
    assert time.perf_counter() - start < budget, f"{call.__name__} took too long"
    return result


def encoded(document: object) -> bytes:
    """``document`` as JSON bytes, lone surrogates and NaN included (a hostile client's JSON)."""
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")
