"""The ``[version_metadata]`` binding: which version of the Worker is running.

Contract (https://developers.cloudflare.com/workers/runtime-apis/bindings/version-metadata/):
``env.<BINDING>`` has ``id`` (the version's UUID), ``tag`` (the version tag, empty when none was
given) and ``timestamp`` (when the version was created, ISO 8601). Code keys caches by ``id`` so
that a new deploy never serves what an old one stored.

Here a "version" is the content of the Worker's folder: the id is derived from a hash of every
file under main's folder (hidden folders, ``__pycache__`` and ``node_modules`` skipped), so it
is stable across restarts and changes when a reload brings new code, as a new deploy does.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

from .jsproxy import JsObject

__all__ = ["bundle_id", "version_metadata"]

_SKIPPED = frozenset({"__pycache__", "node_modules"})


def bundle_id(root: Path) -> str:
    """A UUID (version 4 layout) derived from the paths and bytes of the files under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(
            part.startswith(".") or part in _SKIPPED for part in relative.parts
        ):
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return str(uuid.UUID(bytes=digest.digest()[:16], version=4))


def version_metadata(root: Path, created: float) -> JsObject:
    """The binding's value for the Worker under ``root``, loaded at ``created`` (POSIX s)."""
    timestamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return JsObject(
        {"id": bundle_id(root), "tag": "", "timestamp": timestamp.replace("+00:00", "Z")}
    )
