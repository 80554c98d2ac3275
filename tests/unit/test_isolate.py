"""Isolates import the worker's modules privately and call its entrypoint as the runtime does."""

import textwrap
from pathlib import Path

import pytest

from emulator.clock import FakeClock
from emulator.isolate import Isolate, WorkerLoadError
from emulator.runtime.cache import CacheStorage
from emulator.runtime.context import BackgroundTasks, ExecutionContext
from emulator.runtime.http import JsRequest
from emulator.runtime.jsmodule import make_js_module


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root / "main.py"


def isolate(main: Path, env: object = None) -> Isolate:
    return Isolate(main, make_js_module(CacheStorage(FakeClock()), FakeClock()), env)


def ctx() -> ExecutionContext:
    return ExecutionContext(BackgroundTasks())


HANDLER = """
    from workers import Response, WorkerEntrypoint
    import state

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            state.count += 1
            return Response(str(state.count))
"""


async def test_module_state_is_private_to_each_isolate(tmp_path):
    main = write(tmp_path, {"main.py": HANDLER, "state.py": "count = 0\n"})
    first, second = isolate(main), isolate(main)
    for _ in range(2):
        await first.fetch(JsRequest("http://x/"), ctx())
    response = await second.fetch(JsRequest("http://x/"), ctx())
    assert await response.text() == "1"


async def test_packages_and_relative_imports_resolve_from_mains_folder(tmp_path):
    main = write(
        tmp_path,
        {
            "main.py": """
            from workers import Response, WorkerEntrypoint
            from policy.keys import key

            class Default(WorkerEntrypoint):
                def fetch(self, request):
                    return Response(key())
        """,
            "policy/__init__.py": "",
            "policy/keys.py": "from .names import NAME\n\ndef key():\n    return NAME\n",
            "policy/names.py": "NAME = 'relative'\n",
        },
    )
    response = await isolate(main).fetch(JsRequest("http://x/"), ctx())
    assert await response.text() == "relative"


async def test_a_class_entrypoints_fetch_gets_none_for_env_and_ctx_as_on_workerd(tmp_path):
    main = write(
        tmp_path,
        {
            "main.py": """
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request, env, ctx):
                return Response(f"{env} {ctx} {self.env}")
    """
        },
    )
    response = await isolate(main, env="the-env").fetch(JsRequest("http://x/"), ctx())
    assert await response.text() == "None None the-env"


async def test_event_handlers_get_none_for_env_and_ctx_as_on_workerd(tmp_path):
    main = write(
        tmp_path,
        {
            "main.py": """
        from workers import WorkerEntrypoint
        SEEN = []

        class Default(WorkerEntrypoint):
            async def scheduled(self, controller, env, ctx):
                SEEN.append((controller, env, ctx, self.env))
    """
        },
    )
    loaded = isolate(main, env="the-env")
    await loaded.dispatch("scheduled", "controller", ctx())
    seen = loaded.entrypoint.scheduled.__globals__["SEEN"]
    assert seen == [("controller", None, None, "the-env")]


async def test_a_scheduled_handler_must_take_env_and_ctx_as_the_runtime_passes_them(tmp_path):
    main = write(
        tmp_path,
        {
            "main.py": """
        from workers import WorkerEntrypoint
        SEEN = []

        class Default(WorkerEntrypoint):
            async def scheduled(self, controller):
                SEEN.append(controller)
    """
        },
    )
    with pytest.raises(TypeError):
        await isolate(main).dispatch("scheduled", object(), ctx())


async def test_js_caches_is_the_isolates_own_storage(tmp_path):
    main = write(
        tmp_path,
        {
            "main.py": """
        from js import caches
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(type(caches).__name__)
    """
        },
    )
    response = await isolate(main).fetch(JsRequest("http://x/"), ctx())
    assert await response.text() == "CacheStorage"


async def test_a_fetch_returning_no_response_is_a_type_error(tmp_path):
    main = write(
        tmp_path,
        {
            "main.py": """
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return "not a response"
    """
        },
    )
    with pytest.raises(TypeError, match="did not resolve to 'Response'"):
        await isolate(main).fetch(JsRequest("http://x/"), ctx())


def test_a_worker_without_default_cannot_load(tmp_path):
    main = write(tmp_path, {"main.py": "x = 1\n"})
    with pytest.raises(WorkerLoadError, match="no Default entrypoint"):
        isolate(main)


def test_a_syntax_error_names_the_file_and_line(tmp_path):
    main = write(tmp_path, {"main.py": "def broken(:\n"})
    with pytest.raises(WorkerLoadError, match=r"main\.py:1"):
        isolate(main)


def test_an_import_error_names_the_module(tmp_path):
    main = write(tmp_path, {"main.py": "import not_a_module_anywhere\n"})
    with pytest.raises(WorkerLoadError, match="not_a_module_anywhere"):
        isolate(main)


def test_a_slotted_dataclass_with_postponed_annotations_loads(tmp_path):
    main = write(
        tmp_path,
        {
            "main.py": """
                from workers import Response, WorkerEntrypoint
                from shapes import Point

                class Default(WorkerEntrypoint):
                    async def fetch(self, request):
                        return Response(repr(Point(1, 2)))
            """,
            "shapes.py": """
                from __future__ import annotations
                from dataclasses import dataclass
                from typing import ClassVar

                @dataclass(frozen=True, slots=True)
                class Point:
                    x: int
                    y: int
                    unit: ClassVar[str] = "m"
            """,
        },
    )
    assert isolate(main).entrypoint.__name__ == "Default"


def test_worker_modules_leave_sys_modules_once_imported(tmp_path):
    import sys

    isolate(write(tmp_path, {"main.py": HANDLER, "state.py": "count = 0\n"}))
    assert "state" not in sys.modules


async def test_worker_code_catches_js_errors_as_pyodide_ffi_js_exception(tmp_path):
    main = write(
        tmp_path,
        {
            "main.py": """
        from js import caches
        from pyodide.ffi import JsException
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                try:
                    await caches.default.put("not a url", Response("x").js_object)
                except JsException as exc:
                    return Response(exc.name)
                return Response("no error")
    """
        },
    )
    response = await isolate(main).fetch(JsRequest("http://x/"), ctx())
    assert await response.text() == "TypeError"
