"""The Python half of runner.mjs: runs pytest inside Pyodide and reports what it ran.

Three parts for the Pyodide run (under CPython only count_tests.py imports this module, for
is_coroutine_test):

- a network guard: Pyodide's socket emulation "connects" without a network, so any socket
  use in a unit test raises NetworkUseInUnitTests (not an OSError, so no ``except OSError``
  in the code under test can swallow it) and is counted; the runner fails on any count.
- RunSyncPlugin, which stands in for pytest-asyncio in asyncio_mode=auto. pytest-asyncio
  cannot start its runner inside Pyodide's always-running WebLoop, so coroutine tests,
  coroutine/async-generator fixtures and async @given tests run through
  ``pyodide.ffi.run_sync`` (JSPI). It counts the coroutine tests it drove to their end.
- a Hypothesis profile with fewer examples (20, no deadline, no database): Pyodide is slower.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any

import pytest

MAX_EXAMPLES = 20


def is_coroutine_test(item: pytest.Item) -> bool:
    """A test whose body is a coroutine: ``async def``, or ``async def`` under @given.

    The CPython side (count_tests.py) uses the same rule to count what Pyodide must drive.
    """
    func = getattr(item, "obj", None)
    if inspect.iscoroutinefunction(func):
        return True
    handle = getattr(func, "hypothesis", None)
    return inspect.iscoroutinefunction(getattr(handle, "inner_test", None))


class NetworkUseInUnitTests(RuntimeError):
    """A unit test reached for the network; under Pyodide that would "succeed" silently."""


class NetworkGuard:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    def refuse(self, what: str) -> NetworkUseInUnitTests:
        self.attempts.append(what)
        return NetworkUseInUnitTests(
            f"{what}: edge/ unit tests must not use the network "
            "(Pyodide's socket emulation would fake a connection)"
        )

    def install(self) -> None:
        guard = self

        def no_socket(self: socket.socket, *args: Any, **kwargs: Any) -> None:
            raise guard.refuse("socket.socket()")

        def no_connection(*args: Any, **kwargs: Any) -> socket.socket:
            raise guard.refuse(f"socket.create_connection{args[:1]}")

        def no_lookup(*args: Any, **kwargs: Any) -> Any:
            raise guard.refuse(f"socket.getaddrinfo{args[:2]}")

        socket.socket.__init__ = no_socket  # type: ignore[method-assign]
        socket.create_connection = no_connection
        socket.getaddrinfo = no_lookup


class RunSyncPlugin:
    def __init__(self, max_examples: int) -> None:
        self.max_examples = max_examples
        self.async_tests: set[str] = set()
        self.driven: set[str] = set()
        self.hypothesis_tests = 0
        self.collected = 0
        self.outcomes = {
            "passed": 0,
            "failed": 0,
            "errors": 0,
            "skipped": 0,
            "xfailed": 0,
            "xpassed": 0,
        }
        self.passed_async: set[str] = set()

    # Configuration -----------------------------------------------------------------------

    def pytest_addoption(self, parser: pytest.Parser) -> None:
        # The repo's pytest config names pytest-asyncio's options; this plugin replaces it.
        parser.addini("asyncio_mode", "pytest-asyncio's mode; only 'auto' is supported here")
        parser.addini("asyncio_default_fixture_loop_scope", "ignored: Pyodide has one loop")
        parser.addini("asyncio_default_test_loop_scope", "ignored: Pyodide has one loop")

    def pytest_configure(self, config: pytest.Config) -> None:
        from hypothesis import settings
        from pyodide.ffi import can_run_sync

        mode = config.getini("asyncio_mode") or "strict"
        if mode != "auto":
            raise pytest.UsageError(
                f"asyncio_mode={mode!r}: the Pyodide runner drives every coroutine test "
                "(asyncio_mode='auto') and nothing else"
            )
        if not can_run_sync():
            raise pytest.UsageError(
                "pyodide.ffi.can_run_sync() is False: Node needs JSPI "
                "(--experimental-wasm-stack-switching on Node 20, --experimental-wasm-jspi on 22)"
            )
        config.addinivalue_line("markers", "asyncio: a coroutine test (pytest-asyncio's mark)")
        settings.register_profile(
            "pyodide", max_examples=self.max_examples, deadline=None, database=None
        )
        settings.load_profile("pyodide")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        from hypothesis import settings

        for item in items:
            func = getattr(item, "obj", None)
            if getattr(func, "is_hypothesis_test", False):
                # An explicit @settings(max_examples=...) outranks the profile: cap it too.
                # Hypothesis reads this attribute each time the test runs (pinned version).
                current = func._hypothesis_internal_use_settings  # type: ignore[union-attr]
                func._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
                    current,
                    max_examples=min(current.max_examples, self.max_examples),
                    deadline=None,
                    database=None,
                )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self.async_tests = {item.nodeid for item in session.items if is_coroutine_test(item)}
        self.hypothesis_tests = sum(
            bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))
            for item in session.items
        )

    # Driving coroutines ------------------------------------------------------------------

    def drive(self, nodeid: str | None, awaitable: Awaitable[Any]) -> Any:
        from pyodide.ffi import run_sync

        try:
            return run_sync(awaitable)
        finally:
            # Counted only once the coroutine has run to its end (returned or raised).
            if (
                nodeid is not None
                and inspect.iscoroutine(awaitable)
                and inspect.getcoroutinestate(awaitable) == inspect.CORO_CLOSED
            ):
                self.driven.add(nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        if not is_coroutine_test(pyfuncitem):
            return None
        nodeid = pyfuncitem.nodeid
        func = pyfuncitem.obj
        kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        if inspect.iscoroutinefunction(func):
            self.drive(nodeid, func(**kwargs))
            return True
        handle = func.hypothesis
        inner = handle.inner_test

        @functools.wraps(inner)
        def synchronous(*args: Any, **kw: Any) -> None:
            self.drive(nodeid, inner(*args, **kw))

        handle.inner_test = synchronous
        try:
            func(**kwargs)
        finally:
            handle.inner_test = inner
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        func = fixturedef.func
        if not (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)):
            return (yield)
        fixturedef.func = self.synchronous_fixture(func)  # type: ignore[misc]
        try:
            return (yield)
        finally:
            fixturedef.func = func  # type: ignore[misc]

    def synchronous_fixture(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            def call(*args: Any, **kwargs: Any) -> Any:
                return self.drive(None, func(*args, **kwargs))

            return call

        @functools.wraps(func)
        def generate(*args: Any, **kwargs: Any) -> Generator[Any, None, None]:
            steps = func(*args, **kwargs)
            yield self.drive(None, _step(steps))
            try:
                self.drive(None, _step(steps))
            except StopAsyncIteration:
                return
            raise RuntimeError(f"async fixture {func.__name__} yielded more than once")

        return generate

    # Counting ----------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            if hasattr(report, "wasxfail"):
                self.outcomes["xfailed" if report.skipped else "xpassed"] += 1
            elif report.passed:
                self.outcomes["passed"] += 1
                if report.nodeid in self.async_tests:
                    self.passed_async.add(report.nodeid)
            else:
                self.outcomes["failed" if report.failed else "skipped"] += 1
        elif report.failed:
            self.outcomes["errors"] += 1
        elif report.skipped and report.when == "setup":
            self.outcomes["skipped"] += 1

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.outcomes["errors"] += 1


def _step(steps: Any) -> Coroutine[Any, Any, Any]:
    async def step() -> Any:
        return await anext(steps)

    return step()


def run_pytest(args: list[str], max_examples: int) -> dict[str, Any]:
    plugin = RunSyncPlugin(max_examples)
    exit_code = int(pytest.main(args, plugins=[plugin]))
    sys.stdout.flush()
    sys.stderr.flush()
    return {
        **plugin.outcomes,
        "collected": plugin.collected,
        "async_tests": len(plugin.async_tests),
        "async_driven": len(plugin.driven),
        "async_passed_undriven": sorted(plugin.passed_async - plugin.driven),
        "hypothesis_tests": plugin.hypothesis_tests,
        "pytest_exit_code": exit_code,
    }


GUARD = NetworkGuard()
SELFTEST = "tests/pyodide/selftest_run_sync.py"


def main(config_json: str) -> str:
    """Run pytest as runner.mjs asks; return the one-line JSON summary.

    First the plugin's self-test (async fixtures, async @given, the network guard: what
    edge/'s tests do not exercise today), then edge/'s unit tests, which the summary counts.
    """
    config = json.loads(config_json)
    os.chdir(config["repo"])
    sys.dont_write_bytecode = True  # leave no Pyodide .pyc files in the mounted repo
    GUARD.install()
    max_examples = config["max_examples"]
    selftest = run_pytest(["-q", "--no-header", SELFTEST], max_examples)
    summary = run_pytest([*config["pytest_args"], *config["files"]], max_examples)
    summary["max_examples"] = max_examples
    summary["network_attempts"] = GUARD.attempts
    summary["python"] = sys.version.split()[0]
    summary["selftest"] = {
        key: selftest[key]
        for key in ("passed", "failed", "errors", "collected", "async_driven", "pytest_exit_code")
    }
    return json.dumps(summary)
