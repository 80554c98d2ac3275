"""How big is what could grow: ``GET /cdn-cgi/popcache/internals``.

A long ``popcache dev`` session (or a soak, ``python -m bench --only soak``) must not grow
without bound, and a leak shows first as one table that only gets longer. Each table is given
as ``{"size": n, "limit": cap}``, ``limit`` being the most it ever holds, or None for what is
bounded only by the traffic (in-flight work, cache entries until they expire). The emulator
reports its own tables; a worker may report its own through an optional module-level function
in its main module, :data:`HOOK`, returning ``{name: {"size": int, "limit": int | None}}``. The
emulator calls it and nothing else of the worker's, so any Worker runs unchanged; the Workers
runtime never calls it. The process's resident memory comes from ``/proc/self/status``
(``VmRSS``, ``VmHWM``), None where there is no such file; with it, the memory blocks Python's
allocator has handed out and not taken back (``sys.getallocatedblocks``). Resident memory
also holds what the allocators keep for reuse and can rarely give back (a block still in use
pins its whole arena), so after churn it can creep while the live objects stay flat: the
blocks tell a leak (they grow) from that (they do not).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["HOOK", "INTERNALS_ENDPOINT", "Table", "process_memory", "table", "worker_tables"]

INTERNALS_ENDPOINT = "/cdn-cgi/popcache/internals"
HOOK = "__popcache_internals__"
"""The optional function of a worker's main module that sizes its own tables."""

Table = dict[str, int | None]
"""``{"size": n, "limit": cap or None}``."""

_STATUS = Path("/proc/self/status")
_MEMORY_FIELDS = {"VmRSS": "rss_bytes", "VmHWM": "rss_peak_bytes"}


def table(size: int, limit: int | None = None) -> Table:
    return {"size": size, "limit": limit}


def process_memory(status: Path = _STATUS) -> dict[str, int | None]:
    """The process's resident memory now and at its peak, in bytes (None when unknown), and
    the blocks Python has allocated."""
    found: dict[str, int | None] = dict.fromkeys(_MEMORY_FIELDS.values())
    found["python_blocks"] = sys.getallocatedblocks()
    try:
        lines = status.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        name, _, value = line.partition(":")
        parts = value.split()
        if name in _MEMORY_FIELDS and len(parts) == 2 and parts[0].isdigit() and parts[1] == "kB":
            found[_MEMORY_FIELDS[name]] = int(parts[0]) * 1024
    return found


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def worker_tables(reported: object) -> dict[str, Table]:
    """The tables a worker's hook returned, checked; ValueError naming what is wrong."""
    if not isinstance(reported, Mapping):
        raise ValueError(f"{HOOK}() must return a dict, not {type(reported).__name__}")
    tables: dict[str, Table] = {}
    for name, entry in reported.items():
        if not (
            isinstance(name, str)
            and isinstance(entry, Mapping)
            and set(entry) == {"size", "limit"}
            and _count(entry["size"])
            and (entry["limit"] is None or _count(entry["limit"]))
        ):
            raise ValueError(
                f'{HOOK}(): {name!r} must map a name to {{"size": int, "limit": int | None}}'
            )
        tables[name] = table(entry["size"], entry["limit"])
    return tables
