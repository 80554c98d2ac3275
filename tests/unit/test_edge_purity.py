"""edge/ imports nothing the Workers runtime lacks or that blocks it.

The Workers runtime is Pyodide (CPython on WebAssembly) inside a V8 isolate: no threads, no
processes, no sockets, no native libraries, and one event loop that everything shares. Some of
those modules still import there (Pyodide 314.0.7 even has ``_sqlite3``, ``_socket`` and
``_thread`` built in) and only fail, or block the isolate, when used; so the rules below are
checked on the source, with ``ast``, over every ``edge/*.py``: imports at any depth
(``import x.y``, ``from x import y``, ``__import__("x")``, ``importlib.import_module("x")`` with
literal names) and references to banned callables such as ``time.sleep``, however imported or
aliased. Each rule is one test; the checker itself is proved to catch each rule on small
sources.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

EDGE = Path(__file__).resolve().parents[2] / "edge"

# The runtime's own modules, besides the standard library: the SDK (vendored by `popcache build`
# from edge-requirements.txt) and the JavaScript global scope.
RUNTIME_MODULES = frozenset({"workers", "js"})
# Top-level standard-library modules of the runtime's Python (3.14) that the interpreter running
# these tests may not list in sys.stdlib_module_names.
STDLIB_SINCE_3_12 = frozenset({"annotationlib", "compression"})


@dataclass(frozen=True)
class Rule:
    name: str
    why: str
    modules: frozenset[str] = frozenset()  # banned with every submodule
    names: frozenset[str] = frozenset()  # banned qualified references, e.g. time.sleep


RULES = {
    rule.name: rule
    for rule in (
        Rule(
            "threads",
            "Pyodide has no threads: the modules import but cannot start one",
            frozenset({"threading", "_thread", "concurrent.futures"}),
            frozenset({"asyncio.to_thread"}),
        ),
        Rule(
            "processes",
            "a Worker cannot start processes (no fork, no exec in WebAssembly)",
            frozenset({"subprocess", "multiprocessing", "asyncio.subprocess", "_posixsubprocess"}),
            frozenset(
                {
                    "asyncio.create_subprocess_exec",
                    "asyncio.create_subprocess_shell",
                    "os.system",
                    "os.popen",
                    "os.fork",
                }
            ),
        ),
        Rule(
            "sockets",
            "a Worker has no sockets; it reaches the network only through fetch",
            frozenset({"socket", "_socket", "ssl", "_ssl", "select", "selectors"}),
            frozenset(
                {
                    "asyncio.open_connection",
                    "asyncio.start_server",
                    "asyncio.open_unix_connection",
                    "asyncio.start_unix_server",
                }
            ),
        ),
        Rule(
            "http_clients",
            "HTTP goes through the runtime's fetch (workers.fetch, in entry.py); these clients "
            "block on sockets or are not in the bundle",
            frozenset({"urllib.request", "http.client", "aiohttp", "httpx", "requests"}),
        ),
        Rule(
            "sqlite",
            "SQLite would live in the isolate's in-memory filesystem: one copy per isolate, "
            "gone on eviction, invisible to every other PoP (state belongs in the Cache API)",
            frozenset({"sqlite3", "_sqlite3"}),
        ),
        Rule(
            "ctypes",
            "there are no native libraries to load in WebAssembly",
            frozenset({"ctypes", "_ctypes"}),
        ),
        Rule(
            "missing_stdlib",
            "not in the Workers runtime's standard library (excluded by Cloudflare, or gone "
            "by Python 3.14)",
            frozenset(
                {
                    # https://developers.cloudflare.com/workers/languages/python/stdlib/
                    "curses",
                    "dbm",
                    "ensurepip",
                    "fcntl",
                    "grp",
                    "idlelib",
                    "lib2to3",
                    "msvcrt",
                    "pwd",
                    "resource",
                    "syslog",
                    "termios",
                    "tkinter",
                    "turtle",
                    "turtledemo",
                    "venv",
                    "winreg",
                    "winsound",
                    "pty",
                    "tty",
                    # removed in 3.12 and 3.13 (PEP 594, PEP 632)
                    "asynchat",
                    "asyncore",
                    "distutils",
                    "imp",
                    "smtpd",
                    "aifc",
                    "audioop",
                    "cgi",
                    "cgitb",
                    "chunk",
                    "crypt",
                    "imghdr",
                    "mailcap",
                    "msilib",
                    "nis",
                    "nntplib",
                    "ossaudiodev",
                    "pipes",
                    "sndhdr",
                    "spwd",
                    "sunau",
                    "telnetlib",
                    "uu",
                    "xdrlib",
                }
            ),
        ),
        Rule(
            "time_sleep",
            "time.sleep blocks the isolate (and the Workers clock stands still while code "
            "runs); await asyncio.sleep instead",
            names=frozenset({"time.sleep"}),
        ),
    )
}
THIRD_PARTY = "third_party"
THIRD_PARTY_WHY = (
    "only the standard library, edge/'s own modules and the runtime's workers and js are in "
    "the bundle"
)


@dataclass(frozen=True)
class Violation:
    rule: str
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        why = THIRD_PARTY_WHY if self.rule == THIRD_PARTY else RULES[self.rule].why
        return f"{self.file}:{self.line}: {self.what}: {why}"


def _within(name: str, banned: frozenset[str]) -> bool:
    return any(name == entry or name.startswith(entry + ".") for entry in banned)


def _imports(tree: ast.AST) -> Iterator[tuple[int, str, str | None, str | None]]:
    """(line, module, imported name or None, bound alias or None) of every import, any depth.

    ``import a.b`` binds ``a`` to module ``a``; ``import a.b as c`` binds ``c`` to ``a.b``;
    ``from a import b as c`` binds ``c`` to ``a.b``.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None, alias.asname
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.lineno, node.module, alias.name, alias.asname or alias.name


def _bindings(tree: ast.AST) -> dict[str, str]:
    """Local name -> the qualified name it stands for, from the file's imports."""
    bound: dict[str, str] = {}
    for _, module, name, alias in _imports(tree):
        if name is None:
            if alias is None:
                bound[module.split(".")[0]] = module.split(".")[0]
            else:
                bound[alias] = module
        elif name != "*" and alias is not None:
            bound[alias] = f"{module}.{name}"
    return bound


def _qualified(node: ast.expr, bound: dict[str, str]) -> str | None:
    """``a.b.c`` with ``a`` resolved through the imports, or None when it is no such chain."""
    if isinstance(node, ast.Name):
        return bound.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _qualified(node.value, bound)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _dynamic_imports(tree: ast.AST, bound: dict[str, str]) -> Iterator[tuple[int, str]]:
    """(line, module) of ``__import__("x")`` and ``importlib.import_module("x")`` calls."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        is_builtin = isinstance(node.func, ast.Name) and node.func.id == "__import__"
        is_importlib = _qualified(node.func, bound) == "importlib.import_module"
        if (is_builtin or is_importlib) and not first.value.startswith("."):
            yield node.lineno, first.value


def check(source: str, file: str, first_party: frozenset[str] = frozenset()) -> list[Violation]:
    """Every violation of every rule in one module's source."""
    tree = ast.parse(source, filename=file)
    bound = _bindings(tree)
    modules: list[tuple[int, str]] = []
    for line, module, name, _ in _imports(tree):
        modules.append((line, module))
        if name is not None and name != "*":
            modules.append((line, f"{module}.{name}"))  # `from a import b` may import a.b
    modules.extend(_dynamic_imports(tree, bound))
    found: list[Violation] = []
    seen: set[tuple[str, int, str]] = set()

    def add(rule: str, line: int, what: str) -> None:
        if (rule, line, what) not in seen:
            seen.add((rule, line, what))
            found.append(Violation(rule, file, line, what))

    known = sys.stdlib_module_names | STDLIB_SINCE_3_12 | RUNTIME_MODULES | first_party
    for line, module in modules:
        for rule in RULES.values():
            if _within(module, rule.modules) or module in rule.names:
                add(rule.name, line, f"imports {module}")
        if module.split(".")[0] not in known:
            add(THIRD_PARTY, line, f"imports {module}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = _qualified(node, bound)
            for rule in RULES.values():
                if name is not None and name in rule.names:
                    add(rule.name, node.lineno, f"uses {name}")
    return sorted(found, key=lambda violation: (violation.file, violation.line))


@functools.cache
def edge_violations() -> list[Violation]:
    files = sorted(EDGE.glob("*.py"))
    first_party = frozenset(path.stem for path in files)
    found: list[Violation] = []
    for path in files:
        found += check(path.read_text(encoding="utf-8"), f"edge/{path.name}", first_party)
    return found


def assert_clean(rule: str) -> None:
    found = [str(violation) for violation in edge_violations() if violation.rule == rule]
    if found:
        pytest.fail("\n".join(found), pytrace=False)


def test_the_checker_reads_every_edge_module():
    stems = {path.stem for path in EDGE.glob("*.py")}
    assert {"entry", "proxy", "routes"} <= stems


# One test per rule, over every edge/*.py.


def test_edge_starts_no_threads():
    assert_clean("threads")


def test_edge_starts_no_processes():
    assert_clean("processes")


def test_edge_opens_no_sockets():
    assert_clean("sockets")


def test_edge_uses_no_http_client_but_fetch():
    assert_clean("http_clients")


def test_edge_uses_no_sqlite():
    assert_clean("sqlite")


def test_edge_uses_no_ctypes():
    assert_clean("ctypes")


def test_edge_imports_no_stdlib_module_the_runtime_lacks():
    assert_clean("missing_stdlib")


def test_edge_imports_no_third_party_package_but_workers_and_js():
    assert_clean(THIRD_PARTY)


def test_edge_never_calls_time_sleep():
    assert_clean("time_sleep")


# The checker catches each rule, in each way a module can be imported or a callable reached.

CAUGHT = [
    ("threads", "import threading"),
    ("threads", "import _thread"),
    ("threads", "import concurrent.futures"),
    ("threads", "from concurrent import futures"),
    ("threads", "from concurrent.futures import ThreadPoolExecutor"),
    ("threads", "import asyncio\nasyncio.to_thread(print)"),
    ("processes", "import subprocess"),
    ("processes", "import multiprocessing.pool"),
    ("processes", "from asyncio import subprocess"),
    ("processes", "import asyncio.subprocess"),
    ("processes", "import asyncio as aio\naio.create_subprocess_exec('ls')"),
    ("processes", "from asyncio import create_subprocess_shell"),
    ("processes", "import os\nos.system('ls')"),
    ("sockets", "import socket"),
    ("sockets", "import ssl"),
    ("sockets", "import select"),
    ("sockets", "from selectors import DefaultSelector"),
    ("sockets", "import asyncio\nasyncio.open_connection('h', 1)"),
    ("http_clients", "import urllib.request"),
    ("http_clients", "from urllib import request"),
    ("http_clients", "from urllib.request import urlopen"),
    ("http_clients", "import http.client"),
    ("http_clients", "from http import client"),
    ("http_clients", "import aiohttp"),
    ("http_clients", "import httpx"),
    ("http_clients", "import requests.adapters"),
    ("sqlite", "import sqlite3"),
    ("sqlite", "import _sqlite3"),
    ("ctypes", "import ctypes.util"),
    ("ctypes", "from ctypes import CDLL"),
    ("missing_stdlib", "import fcntl"),
    ("missing_stdlib", "import cgi"),
    ("missing_stdlib", "from distutils import util"),
    ("third_party", "import attrs"),
    ("third_party", "from pydantic import BaseModel"),
    ("third_party", "import pyodide.ffi"),
    ("time_sleep", "import time\ntime.sleep(1)"),
    ("time_sleep", "import time as clock\nclock.sleep(1)"),
    ("time_sleep", "from time import sleep"),
    ("time_sleep", "from time import sleep as nap\nnap(1)"),
    # at any depth, and dynamic imports with literal names
    ("threads", "def f():\n    import threading"),
    ("threads", "class C:\n    def m(self):\n        from threading import Lock"),
    ("threads", "try:\n    import threading\nexcept ImportError:\n    pass"),
    ("sockets", "s = __import__('socket')"),
    ("sockets", "import importlib\nm = importlib.import_module('socket')"),
    ("sockets", "import importlib as il\nm = il.import_module('ssl')"),
    ("sockets", "from importlib import import_module\nm = import_module('selectors')"),
    ("third_party", "mod = __import__('numpy')"),
]


@pytest.mark.parametrize(("rule", "source"), CAUGHT)
def test_the_checker_catches(rule, source):
    source = "from __future__ import annotations\n\n" + source + "\n"
    found = [v for v in check(source, "edge/sample.py") if v.rule == rule]
    assert found, f"{rule} missed in {source!r}"
    last = len(source.splitlines())
    assert all(3 <= v.line <= last for v in found), found
    assert str(found[0]).startswith(f"edge/sample.py:{found[0].line}: ")


def test_a_failure_names_file_line_module_and_reason():
    source = "import json\n\n\ndef f():\n    import threading\n"
    (violation,) = check(source, "edge/flight.py")
    assert str(violation) == (
        "edge/flight.py:5: imports threading: "
        "Pyodide has no threads: the modules import but cannot start one"
    )


@pytest.mark.parametrize("rule", sorted([*RULES, THIRD_PARTY]))
def test_every_rule_has_a_case_that_fails(rule):
    assert any(case == rule for case, _ in CAUGHT)


ALLOWED = [
    "import asyncio\nawait_it = asyncio.sleep(1)",
    "import asyncio\nasyncio.wait_for",
    "from http import HTTPStatus",
    "from urllib.parse import urlsplit",
    "import email.utils",
    "import time\ntime.monotonic()",
    "from datetime import UTC",
    "import tomllib",
    "from workers import Response, WorkerEntrypoint, fetch",
    "from js import Date, caches",
    "from proxy import Proxy",
    "import threadingx_is_first_party",
    "from . import sibling",
    "name = 'socket'\nm = __import__(name)",
    "from typing import TYPE_CHECKING",
    "import selectors_first_party",
]


@pytest.mark.parametrize("source", ALLOWED)
def test_the_checker_allows(source):
    first_party = frozenset({"proxy", "threadingx_is_first_party", "selectors_first_party"})
    assert check(source + "\n", "edge/sample.py", first_party) == []
