"""One isolate: a private instance of a Worker's modules, and the calls into its entrypoint.

On Cloudflare every isolate has its own module instances and memory. Here each isolate imports
the worker's modules (files under main's folder, which is where imports resolve from, as on
Cloudflare) through its own ``__import__``, so module-level state is never shared between PoPs,
and a reload is simply a new isolate. ``workers`` resolves to the emulator's SDK stand-in,
``js`` to this isolate's JS globals and ``pyodide.ffi``/``pyodide.http`` to stand-ins of what
worker code meets there (``JsException``, ``FetchResponse``); every other import is the host
Python's. Modules are real files executed normally, so pdb breakpoints and coverage work on
them.
"""

from __future__ import annotations

import builtins
import importlib.util
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from types import CoroutineType, ModuleType
from typing import Any

from .errors import PopcacheError
from .internals import HOOK
from .runtime import pyodide_ffi, pyodide_http, workers
from .runtime.http import JsRequest, JsResponse

__all__ = ["PYODIDE", "Isolate", "WorkerLoadError"]

# The runtime's ``pyodide`` package, as far as worker code meets it.
_pyodide = ModuleType("pyodide", "Stand-in for the parts of Pyodide worker code imports.")
_pyodide.ffi = pyodide_ffi  # type: ignore[attr-defined]
_pyodide.http = pyodide_http  # type: ignore[attr-defined]
PYODIDE: dict[str, ModuleType] = {
    "pyodide": _pyodide,
    "pyodide.ffi": pyodide_ffi,
    "pyodide.http": pyodide_http,
}


class WorkerLoadError(PopcacheError):
    """The worker cannot be loaded (no Default entrypoint, import error, ...)."""


class ModuleLoader:
    """Imports the worker's own modules privately; defers everything else to Python."""

    def __init__(self, root: Path, injected: Mapping[str, ModuleType]) -> None:
        self._root = root
        self._injected = dict(injected)
        self._modules: dict[str, ModuleType] = {}
        self._found: dict[str, tuple[Path, bool] | None] = {}
        self.builtins = dict(vars(builtins))
        self.builtins["__import__"] = self._import

    def _find(self, name: str) -> tuple[Path, bool] | None:
        if name not in self._found:
            base = self._root.joinpath(*name.split("."))
            if (base / "__init__.py").is_file():
                self._found[name] = (base / "__init__.py", True)
            elif base.with_suffix(".py").is_file():
                self._found[name] = (base.with_suffix(".py"), False)
            else:
                self._found[name] = None
        return self._found[name]

    def _is_worker_module(self, name: str) -> bool:
        return name in self._modules or self._find(name) is not None

    def load(self, name: str) -> ModuleType:
        """The worker module ``name`` (dotted), importing its parents first."""
        if name in self._modules:
            return self._modules[name]
        parent, _, leaf = name.rpartition(".")
        parent_module = self.load(parent) if parent else None
        found = self._find(name)
        if found is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        path, is_package = found
        spec = importlib.util.spec_from_file_location(
            name, path, submodule_search_locations=[str(path.parent)] if is_package else None
        )
        assert spec is not None, f"cannot load {path}"
        assert spec.loader is not None, f"cannot load {path}"
        module = importlib.util.module_from_spec(spec)
        module.__dict__["__builtins__"] = self.builtins
        self._modules[name] = module
        # While its body runs, the module is in sys.modules as on the real runtime: dataclasses
        # and typing look a class's module up there. Afterwards it stays private to the isolate.
        previous = sys.modules.get(name)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del self._modules[name]
            raise
        finally:
            if previous is None:
                del sys.modules[name]
            else:
                sys.modules[name] = previous
        if parent_module is not None:
            setattr(parent_module, leaf, module)
        return module

    def _import(
        self,
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level:
            package = (globals or {}).get("__package__") or ""
            name = (
                importlib.util.resolve_name("." * level + name, package)
                if name
                else (importlib.util.resolve_name("." * level, package) if level > 1 else package)
            )
        top = name.partition(".")[0]
        if top in self._injected:
            module = self._injected.get(name)
            if module is None:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return module if fromlist else self._injected[top]
        if not self._is_worker_module(top):
            return builtins.__import__(name, globals, locals, fromlist or (), 0)
        module = self.load(name)
        if not fromlist:
            return self._modules[top]
        for item in fromlist:
            if item != "*" and not hasattr(module, item) and self._find(f"{name}.{item}"):
                self.load(f"{name}.{item}")
        return module


def _positional_arity(function: Any) -> int | None:
    """How many positional arguments a handler takes, ``None`` for ``*args``."""
    parameters = inspect.signature(function).parameters.values()
    if any(parameter.kind is inspect.Parameter.VAR_POSITIONAL for parameter in parameters):
        return None
    return sum(
        parameter.kind
        in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for parameter in parameters
    )


class Isolate:
    """A loaded Worker: its main module and its ``Default`` entrypoint class."""

    def __init__(self, main: Path, js_module: ModuleType, env: Any) -> None:
        loader = ModuleLoader(main.parent, {"workers": workers, "js": js_module, **PYODIDE})
        try:
            module = loader.load(main.stem)
        except SyntaxError as exc:
            raise WorkerLoadError(f"{exc.filename}:{exc.lineno}: {exc.msg}") from exc
        except Exception as exc:
            raise WorkerLoadError(
                f"{main}: importing the worker raised {type(exc).__name__}: {exc}"
            ) from exc
        entrypoint = getattr(module, "Default", None)
        if not (isinstance(entrypoint, type) and issubclass(entrypoint, workers.WorkerEntrypoint)):
            raise WorkerLoadError(
                f"{main}: no Default entrypoint (define `class Default(WorkerEntrypoint)`)"
            )
        self.env = env
        self.entrypoint: type[workers.WorkerEntrypoint] = entrypoint
        hook = getattr(module, HOOK, None)
        self._internals = hook if callable(hook) else None
        fetch = getattr(entrypoint, "fetch", None)
        # `self` included: the runtime passes (request, env, ctx) and drops what fetch won't take.
        arity = _positional_arity(fetch) if callable(fetch) else 0
        self._fetch_arguments = 3 if arity is None else max(0, arity - 1)
        self._handles_fetch = callable(fetch)

    async def fetch(self, request: JsRequest, ctx: Any) -> JsResponse:
        if not self._handles_fetch:
            raise TypeError("Handler does not export a fetch() function.")
        instance = self.entrypoint(ctx, self.env)
        if self._fetch_arguments == 1:  # the usual `fetch(self, request)`, without slicing
            result = instance.fetch(workers.Request(request))  # type: ignore[attr-defined]
        else:
            # A class entrypoint got env and ctx in its constructor; workerd calls its handlers
            # with undefined for both (getHandlerFromEntrypointClass), which Python sees as None.
            arguments = (workers.Request(request), None, None)[: self._fetch_arguments]
            result = instance.fetch(*arguments)  # type: ignore[attr-defined]
        if type(result) is CoroutineType or inspect.isawaitable(result):
            result = await result
        if isinstance(result, workers.FetchResponse):
            return result.js_response
        if isinstance(result, JsResponse):
            return result
        raise TypeError(
            f"Incorrect type for Promise: the Promise did not resolve to 'Response' "
            f"(fetch returned {type(result).__name__})"
        )

    def internals(self) -> object:
        """What the main module's optional sizing hook returns (:mod:`emulator.internals`);
        None when it has none."""
        return None if self._internals is None else self._internals()

    async def dispatch(self, handler: str, event: Any, ctx: Any) -> None:
        """Call an event handler (``scheduled``, ``queue``) as the runtime calls a class
        entrypoint's: ``handler(event, None, None)``, the bindings and context being
        ``self.env`` and ``self.ctx``."""
        if not callable(getattr(self.entrypoint, handler, None)):
            raise TypeError(f"Handler does not export a {handler}() function.")
        result = getattr(self.entrypoint(ctx, self.env), handler)(event, None, None)
        if inspect.isawaitable(result):
            await result
