"""The ``env`` a Worker receives: vars, secrets and bindings from its ``wrangler.toml``.

As on the real runtime, a missing name raises ``AttributeError``; a string var is a ``str``, a
TOML table var is a JS object (attributes, ``to_py()``), and each KV binding is a namespace over
the emulator's one KV store, shared by every PoP (KV is global on Cloudflare); so is each queue
producer binding over the emulator's one queue store, and each Analytics Engine dataset over
its one store of data points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .clock import Clock
from .datapoints import DataPoints
from .queuestore import QueueStore
from .runtime.analytics import WorkerDataset
from .runtime.jsproxy import JsObject
from .runtime.kv import KVNamespace, KVStore
from .runtime.queues import WorkerQueue
from .runtime.version_metadata import version_metadata
from .wrangler import WorkerConfig

__all__ = ["Env", "build_env"]


class Env:
    """Attribute access to the bindings; read-only to the worker."""

    def __init__(self, bindings: Mapping[str, Any]) -> None:
        self.__dict__.update(bindings)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"Env({', '.join(sorted(self.__dict__))})"


def _var(value: Any) -> Any:
    if isinstance(value, dict):
        return JsObject({key: _var(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_var(item) for item in value]
    return value


def build_env(
    config: WorkerConfig,
    kv: KVStore,
    clock: Clock,
    overrides: Mapping[str, str] | None = None,
    version: JsObject | None = None,
    queues: QueueStore | None = None,
    datapoints: DataPoints | None = None,
    colo: str = "",
) -> Env:
    """The env of one isolate (on PoP ``colo``); ``version`` is the ``[version_metadata]``
    binding's value, ``queues`` where producer bindings store messages and ``datapoints`` where
    Analytics Engine datasets keep theirs (private in-memory stores if None)."""
    bindings: dict[str, Any] = {name: _var(value) for name, value in config.vars.items()}
    bindings.update(config.secrets)
    bindings.update(overrides or {})
    if config.version_metadata is not None:
        bindings[config.version_metadata] = (
            version if version is not None else version_metadata(config.root, clock.now())
        )
    for namespace in config.kv_namespaces:
        bindings[namespace.binding] = KVNamespace(kv, namespace.id, clock)
    for dataset in config.datasets:
        datapoints = datapoints if datapoints is not None else DataPoints()
        bindings[dataset.binding] = WorkerDataset(datapoints, dataset.dataset, clock, colo)
    if config.queue_producers and queues is None:
        queues = QueueStore()
    # workerd's default message format: JSON with this flag, structured clone (v8) without.
    default_type = "json" if "queues_json_messages" in config.compatibility_flags else "v8"
    for producer in config.queue_producers:
        assert queues is not None
        bindings[producer.binding] = WorkerQueue(
            queues,
            producer.queue,
            clock,
            delivery_delay=producer.delivery_delay,
            default_content_type=default_type,
        )
    return Env(bindings)
