"""The Python half of the harness's entrypoint calls, run inside Pyodide (never by CPython).

workerd's ``python-entrypoint-helper.ts`` imports the main module, finds its entrypoint classes
with a small Python module (``src/pyodide/internal/introspection.py``) and calls every
entrypoint method through that module's ``wrapper_func``. This is the same contract, written
for the harness:

- ``entrypoint_class(module)``: the ``Default`` class among the module's public (or
  ``__all__``) names that subclass ``workers.WorkerEntrypoint``; a ``TypeError`` otherwise.
- ``call_method(relaxed, instance, name, *args)``: convert each JS argument with the SDK's
  ``python_from_rpc`` (a JS ``Request`` becomes a ``workers.Request``), call the method --
  through ``pyodide.code.relaxed_call`` when relaxed (``fetch``: extra arguments dropped) --
  await its result if it is awaitable, and hand back ``python_to_rpc(result)`` (a
  ``workers.Response`` becomes its JS ``Response``).
- ``forget_bundle(root)``: drop the bundle's modules from ``sys.modules`` so that the next
  import is a fresh isolate's.
"""

import importlib
import sys
from inspect import isawaitable, isclass

from pyodide.code import relaxed_call
from workers import WorkerEntrypoint, python_from_rpc, python_to_rpc


def entrypoint_class(module, name="Default"):
    keys = getattr(module, "__all__", None) or [k for k in dir(module) if not k.startswith("_")]
    for key in keys:
        value = getattr(module, key, None)
        if (
            isclass(value)
            and issubclass(value, WorkerEntrypoint)
            and value is not WorkerEntrypoint
            and value.__name__ == name
        ):
            return value
    raise TypeError(f"There is no '{name}' class defined in the Python Worker's main module")


async def call_method(relaxed, instance, name, *args):
    method = getattr(instance, name, None)
    if not callable(method):
        raise TypeError(f"Method {name} does not exist")
    py_args = [python_from_rpc(arg) for arg in args]
    result = relaxed_call(method, *py_args) if relaxed else method(*py_args)
    if isawaitable(result):
        result = await result
    return python_to_rpc(result)


def forget_bundle(root):
    prefix = root.rstrip("/") + "/"
    doomed = [
        name
        for name, module in sys.modules.items()
        if (getattr(module, "__file__", None) or "").startswith(prefix)
        and "/python_modules/" not in module.__file__
    ]
    for name in doomed:
        del sys.modules[name]
    importlib.invalidate_caches()
    return len(doomed)
