"""``python -X importtime`` for Pyodide, where the flag cannot be set: run inside Pyodide.

Standard library only, so that importing it before the measured import changes nothing the
bundle would import (the SDK included). ``timed_import(name)`` imports ``name`` with
``builtins.__import__`` wrapped and returns the total seconds and one row per import statement
that loaded modules: the module it names (resolved when relative), the seconds it took
including what it imported in turn, its self time (without the nested import statements), as
``-X importtime`` reports cumulative and self times, and its depth (1: a statement of ``name``
itself). The wrapper costs a little on each
import statement, so the rows are for ranking, the total of an unwrapped import for the figure.
"""

import builtins
import importlib
import importlib.util
import sys
import time


def timed_import(name):
    original = builtins.__import__
    nested = [0.0]
    rows = []

    def timing_import(module, globals=None, locals=None, fromlist=(), level=0):
        if level:
            package = (globals or {}).get("__package__") or ""
            target = importlib.util.resolve_name("." * level + module, package)
        else:
            target = module
        if target in sys.modules:
            return original(module, globals, locals, fromlist, level)
        before = len(sys.modules)
        depth = len(nested)
        nested.append(0.0)
        start = time.perf_counter()
        try:
            return original(module, globals, locals, fromlist, level)
        finally:
            elapsed = time.perf_counter() - start
            inner = nested.pop()
            nested[-1] += elapsed
            if len(sys.modules) > before:
                rows.append((target, elapsed, elapsed - inner, depth))

    before = set(sys.modules)
    builtins.__import__ = timing_import
    start = time.perf_counter()
    try:
        importlib.import_module(name)
    finally:
        builtins.__import__ = original
    total = time.perf_counter() - start
    return {
        "total": total,
        "modules": len(set(sys.modules) - before),
        "rows": [list(row) for row in rows],
    }
