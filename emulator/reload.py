"""Reload on change: a polling watcher over the worker's folder (no native watcher needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["snapshot", "watch"]

WATCHED_SUFFIXES = frozenset({".py", ".toml", ".json"})
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "python_modules", ".venv", ".git"})


def snapshot(roots: Iterable[Path]) -> dict[Path, float]:
    """Modification times of the watched files under ``roots`` (files or folders)."""
    times: dict[Path, float] = {}
    for root in roots:
        if root.is_file():
            times[root] = root.stat().st_mtime
            continue
        for path in root.rglob("*"):
            if any(
                part in SKIPPED_DIRS or part.startswith(".")
                for part in path.relative_to(root).parts[:-1]
            ):
                continue
            if path.suffix in WATCHED_SUFFIXES and path.is_file():
                times[path] = path.stat().st_mtime
    return times


async def watch(
    roots: Callable[[], list[Path]],
    on_change: Callable[[], None],
    before: dict[Path, float],
    interval: float = 0.5,
) -> None:
    """Call ``on_change`` whenever a watched file differs from ``before`` (taken by the caller
    before it announced readiness, so no change slips in between)."""
    while True:
        await asyncio.sleep(interval)
        after = await asyncio.to_thread(snapshot, roots())
        if after != before:
            before = after
            on_change()
