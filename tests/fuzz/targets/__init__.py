"""The fuzz targets, one module per parser family: each has ``SEEDS`` and ``fuzz_one``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from types import ModuleType

__all__ = ["NAMES", "load"]

NAMES = (
    "cache_headers",
    "conditional_headers",
    "urls",
    "json_documents",
    "batch_bodies",
    "event_bodies",
    "purge_bodies",
    "routes_config",
    "zones_config",
    "promotions_config",
    "emulator_headers",
    "purge_api_bodies",
    "edge_requests",
)


def load(name: str) -> ModuleType:
    """The target module ``name``, checked to have what the runner needs."""
    if name not in NAMES:
        raise KeyError(f"no fuzz target {name!r}; one of {', '.join(NAMES)}")
    module = importlib.import_module(f"{__name__}.{name}")
    seeds: Sequence[bytes] = module.SEEDS
    fuzz_one: Callable[[bytes], None] = module.fuzz_one
    assert seeds
    assert callable(fuzz_one)
    return module
