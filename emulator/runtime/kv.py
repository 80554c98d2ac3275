"""The KV namespace binding (``env.MY_KV``), as the Workers runtime shows it to Python.

Contract (https://developers.cloudflare.com/kv/api/ and /kv/platform/limits/); every method is
``async``; options come as a dict positional argument or as keywords (the SDK turns keywords into
a trailing JS options object); results are what the SDK's ``python_from_rpc`` gives: JS objects
become ``JsDict``, a JS ``Map`` a ``dict``, null ``None``.

- ``get(key, type_or_options)`` (/kv/api/read-key-value-pairs/): the value or ``None``. ``type``
  is ``"text"`` (default, ``str``), ``"json"``, ``"arrayBuffer"`` (``bytes``) or ``"stream"``
  (``ReadableStream``). ``cacheTtl`` must be at least 30 and is otherwise ignored (one location).
  A list of 1..100 keys is a bulk read: ``dict`` of key to value (``None`` if missing), type
  ``"text"`` or ``"json"`` only, values totalling at most 25 MiB.
- ``getWithMetadata(key, type_or_options)``: ``JsDict(value, metadata, cacheStatus=None)``; a
  list of keys gives ``dict`` of key to ``JsDict(value, metadata)``, ``None`` if missing.
- ``put(key, value, options)`` (/kv/api/write-key-value-pairs/): value is ``str``, bytes-like or
  a ``ReadableStream``, at most 25 MiB. ``expirationTtl`` (seconds, at least 60) wins over
  ``expiration`` (seconds since the epoch, at least 60 s ahead); ``metadata`` is any JSON value
  at most 1024 bytes serialized. Committed before it returns.
- ``list(options)`` (/kv/api/list-keys/): ``JsDict(keys, list_complete, cursor, cacheStatus)``;
  keys in UTF-8 byte order, each ``JsDict(name, expiration?, metadata?)``; ``limit`` at most 1000
  (below 1 means 1000, as workerd does not send it); ``cursor`` only when incomplete.
- ``delete(key)`` (/kv/api/delete-key-value-pairs/): removes the key; missing keys are fine.

Keys are 1..512 UTF-8 bytes and not ``.`` or ``..``. Expired keys are invisible and purged lazily.

Errors carry production's text: workerd (``src/workerd/api/kv.c++``) checks the key itself and
throws a JS ``TypeError`` (here ``TypeError``), or for a long key a JS ``Error``; everything else
is an HTTP error from the KV service, which workerd throws as ``Error("KV <OP> failed: <status>
<text>")`` with Miniflare's texts (``packages/miniflare/src/workers/kv/``). A JS ``Error`` is
``KVError`` here. Our own texts: wrong Python types (``TypeError``) and a cursor that is not
ours (``KVError``, 400). A non-JSON value read as ``"json"`` raises ``json.JSONDecodeError``
(JS: ``SyntaxError``).

Storage: ``KVStore`` keeps every namespace in one SQLite table (keys as UTF-8 BLOBs, so SQLite's
byte order is KV's order); each write is committed before the call returns.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clock import Clock
from .http import ReadableStream, body_bytes
from .jsproxy import JsDict

__all__ = ["DEFAULT_LIMITS", "KVError", "KVLimits", "KVNamespace", "KVStore"]

PUT_TYPE_ERROR = (
    "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
)
UNKNOWN_TYPE = (
    'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
)
_TYPES = ("text", "json", "arrayBuffer", "stream")


class KVError(Exception):
    """A JS ``Error`` thrown by the KV binding: ``KV <OP> failed: <status> <text>``."""

    def __init__(self, op: str, status: int, text: str) -> None:
        super().__init__(f"KV {op} failed: {status} {text}")
        self.status = status


@dataclass(frozen=True)
class KVLimits:
    """Production's limits (Miniflare ``KVLimits``, ``MAX_BULK_GET_KEYS``)."""

    min_cache_ttl: int = 30
    min_expiration_ttl: int = 60
    max_list_keys: int = 1000
    max_key_size: int = 512
    max_value_size: int = 25 * 1024 * 1024
    max_metadata_size: int = 1024
    max_bulk_size: int = 25 * 1024 * 1024
    max_bulk_keys: int = 100


DEFAULT_LIMITS = KVLimits()


# Pure helpers and validators; each raises with production's text.


def _utf8(s: str) -> bytes:
    """UTF-8 of a JS string: lone surrogates become U+FFFD, as V8 does."""
    try:
        return s.encode()
    except UnicodeEncodeError:
        return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode()


def _int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"KV option {name} must be a finite number, got {value!r}")
    return int(value)


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text, object_hook=JsDict)


def _options(options: object, positional: str | None, **kwargs: object) -> dict[str, Any]:
    """One options dict from ``"json"``, ``{"type": "json"}`` and/or keywords."""
    opts: dict[str, Any] = {}
    if isinstance(options, str) and positional is not None:
        opts[positional] = options
    elif isinstance(options, Mapping):
        opts.update(options)
    elif options is not None:
        raise TypeError(f"KV options must be a dict, got {type(options).__name__}")
    opts.update({k: v for k, v in kwargs.items() if v is not None})
    return opts


def _check_key(op: str, key: object, lim: KVLimits) -> bytes:
    """The key's UTF-8 bytes. workerd checks single keys; the service checks bulk ones."""
    if not isinstance(key, str):
        raise TypeError(f"KV key must be a string, got {type(key).__name__}")
    if op == "GET_BULK" and key in ("", ".", ".."):
        bad = f'Illegal key name "{key}". Please use a different name.'
        raise KVError(op, 400, bad if key else "Key names must not be empty")
    if key in ("", ".", ".."):
        raise TypeError(
            f'"{key}" is not allowed as a key name.' if key else "Key name cannot be empty."
        )
    return _check_key_length(op, _utf8(key), lim)


def _check_key_length(op: str, raw: bytes, lim: KVLimits) -> bytes:
    if len(raw) > lim.max_key_size:
        text = "UTF-8 encoded length of {} exceeds key length limit of {}."
        raise KVError(op, 414, text.format(len(raw), lim.max_key_size))
    return raw


def _check_cache_ttl(op: str, ttl: object, lim: KVLimits) -> None:
    if ttl is not None and (ttl := _int("cacheTtl", ttl)) < lim.min_cache_ttl:
        text = f"Invalid cache_ttl of {ttl}. Cache TTL must be at least {lim.min_cache_ttl}."
        raise KVError(op, 400, text)


def _check_expiration(opts: Mapping[str, Any], now: int, lim: KVLimits) -> int | None:
    """Absolute expiry in seconds: ``expirationTtl`` wins over ``expiration``."""
    least = lim.min_expiration_ttl
    if (ttl := opts.get("expirationTtl")) is not None:
        if (ttl := _int("expirationTtl", ttl)) < least:
            text = f"Expiration TTL must be at least {least}."
            text = "Please specify integer greater than 0." if ttl <= 0 else text
            raise KVError("PUT", 400, f"Invalid expiration_ttl of {ttl}. {text}")
        return now + ttl
    if (at := opts.get("expiration")) is None:
        return None
    if (at := _int("expiration", at)) < now + least:
        text = f"Expiration times must be at least {least} seconds in the future."
        if at <= now:
            text = (
                "Please specify integer greater than the current number of seconds since the"
                " UNIX epoch."
            )
        raise KVError("PUT", 400, f"Invalid expiration of {at}. {text}")
    return at


def _check_metadata(metadata: object, lim: KVLimits) -> str | None:
    """``JSON.stringify(metadata)``: compact, lone surrogates as ``\\uXXXX`` escapes."""
    if metadata is None:
        return None
    dumped = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    encoded = dumped.encode("utf-8", "backslashreplace")
    if len(encoded) > lim.max_metadata_size:
        text = f"Metadata length of {len(encoded)} exceeds limit of {lim.max_metadata_size}."
        raise KVError("PUT", 413, text)
    return encoded.decode()


def _check_list_limit(limit: object, lim: KVLimits) -> int:
    """workerd sends ``limit`` only when above 0; the service caps it."""
    if (count := _int("limit", limit or 0)) > lim.max_list_keys:
        text = f"Please specify an integer less than {lim.max_list_keys}."
        raise KVError("GET", 400, f"Invalid key_count_limit of {count}. {text}")
    return count if count > 0 else lim.max_list_keys


def _cursor(after: bytes) -> str:
    return base64.urlsafe_b64encode(after).rstrip(b"=").decode()


def _after(cursor: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise KVError("GET", 400, f"Invalid cursor {cursor!r}") from None


class KVStore:
    """Every namespace in one SQLite database; a file (``path``) or in memory (``None``)."""

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if path is None else str(path)
        self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (namespace TEXT NOT NULL, name BLOB NOT NULL,"
            " value BLOB NOT NULL, expiration INTEGER, metadata TEXT,"
            " PRIMARY KEY (namespace, name))"
        )

    def read(self, ns: str, name: bytes, now: float) -> tuple[bytes, str | None] | None:
        """Value and metadata JSON of a live key; an expired one is deleted."""
        with self._lock:
            row = self._db.execute(
                "SELECT value, expiration, metadata FROM kv WHERE namespace = ? AND name = ?",
                (ns, name),
            ).fetchone()
            if row is None:
                return None
            if row[1] is not None and row[1] <= now:
                self._db.execute("DELETE FROM kv WHERE namespace = ? AND name = ?", (ns, name))
                return None
            return row[0], row[2]

    def write(
        self, ns: str, name: bytes, value: bytes, expiration: int | None, metadata: str | None
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?, ?)",
                (ns, name, value, expiration, metadata),
            )

    def remove(self, ns: str, name: bytes) -> None:
        with self._lock:
            self._db.execute("DELETE FROM kv WHERE namespace = ? AND name = ?", (ns, name))

    def scan(
        self, ns: str, prefix: bytes, after: bytes, limit: int, now: float
    ) -> list[tuple[bytes, int | None, str | None]]:
        """Up to ``limit`` live keys starting with ``prefix`` and after ``after``, byte order."""
        with self._lock:
            self._db.execute("DELETE FROM kv WHERE namespace = ? AND expiration <= ?", (ns, now))
            cur = self._db.execute(
                "SELECT name, expiration, metadata FROM kv WHERE namespace = ? AND name > ?"
                " AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
                (ns, after, len(prefix), prefix, limit),
            )
            return list(cur)

    def close(self) -> None:
        self._db.close()


class KVNamespace:
    """One KV namespace: ``get``/``getWithMetadata``/``put``/``list``/``delete``."""

    def __init__(
        self, store: KVStore, namespace_id: str, clock: Clock, *, limits: KVLimits = DEFAULT_LIMITS
    ) -> None:
        self._store, self._ns, self._clock, self._limits = store, namespace_id, clock, limits

    def _one(self, key: str, opts: Mapping[str, Any]) -> tuple[Any, Any]:
        raw = _check_key("GET", key, self._limits)
        if (kind := opts.get("type") or "text") not in _TYPES:
            raise TypeError(UNKNOWN_TYPE)
        _check_cache_ttl("GET", opts.get("cacheTtl"), self._limits)
        if (row := self._store.read(self._ns, raw, self._clock.now())) is None:
            return None, None
        if kind in ("text", "json"):
            text = row[0].decode(errors="replace")
            return (_json(text) if kind == "json" else text), _json(row[1])
        return (ReadableStream(row[0]) if kind == "stream" else row[0]), _json(row[1])

    def _bulk(self, keys: object, opts: Mapping[str, Any], meta: bool) -> dict[str, Any]:
        # Miniflare's POST /bulk/get: the service validates, so errors are KV GET_BULK ones.
        if not isinstance(keys, list | tuple):
            raise TypeError(f"KV key must be a string or a list, got {type(keys).__name__}")
        if (kind := opts.get("type") or "text") not in ("text", "json"):
            raise KVError("GET_BULK", 400, f'"{kind}" is not a valid type. Use "json" or "text"')
        if len(keys) > (most := self._limits.max_bulk_keys) or not keys:
            text = f"You can request a maximum of {most} keys"
            raise KVError("GET_BULK", 400, text if keys else "You must request a minimum of 1 key")
        result: dict[str, Any] = {}
        total = 0
        for key in keys:
            raw = _check_key("GET_BULK", key, self._limits)
            _check_cache_ttl("GET_BULK", opts.get("cacheTtl"), self._limits)
            if (row := self._store.read(self._ns, raw, self._clock.now())) is None:
                result[key] = None
                continue
            total += len(row[0])
            value: Any = row[0].decode(errors="replace")
            try:
                value = _json(value) if kind == "json" else value
            except ValueError:
                text = "At least one of the requested keys corresponds to a non-json value"
                raise KVError("GET_BULK", 400, text) from None
            result[key] = JsDict(value=value, metadata=_json(row[1])) if meta else value
        if total > (size := self._limits.max_bulk_size):
            text = f"Total size of request exceeds the limit of {size // 1024 // 1024}MB"
            raise KVError("GET_BULK", 413, text)
        return result

    async def get(
        self,
        key: str | Sequence[str],
        options: str | Mapping[str, Any] | None = None,
        *,
        type: str | None = None,
        cacheTtl: int | None = None,
    ) -> Any:
        """The value of ``key`` (``None`` if missing), or a dict for a list of keys."""
        opts = _options(options, "type", type=type, cacheTtl=cacheTtl)
        if isinstance(key, str):
            return self._one(key, opts)[0]
        return self._bulk(key, opts, meta=False)

    async def getWithMetadata(
        self,
        key: str | Sequence[str],
        options: str | Mapping[str, Any] | None = None,
        *,
        type: str | None = None,
        cacheTtl: int | None = None,
    ) -> Any:
        """``JsDict(value, metadata, cacheStatus)``, or a dict of them for a list of keys."""
        opts = _options(options, "type", type=type, cacheTtl=cacheTtl)
        if isinstance(key, str):
            value, metadata = self._one(key, opts)
            return JsDict(value=value, metadata=metadata, cacheStatus=None)
        return self._bulk(key, opts, meta=True)

    async def put(
        self,
        key: str,
        value: str | bytes | bytearray | memoryview | ReadableStream,
        options: Mapping[str, Any] | None = None,
        *,
        expiration: int | None = None,
        expirationTtl: int | None = None,
        metadata: Any = None,
    ) -> None:
        """Store ``value`` under ``key``; validated fully before anything is written."""
        raw, lim = _check_key("PUT", key, self._limits), self._limits
        if not isinstance(value, str | bytes | bytearray | memoryview | ReadableStream):
            raise TypeError(PUT_TYPE_ERROR)
        opts = _options(options, None, expiration=expiration, expirationTtl=expirationTtl)
        expires = _check_expiration(opts, math.floor(self._clock.now()), lim)
        meta = _check_metadata(opts.get("metadata", metadata), lim)
        data = _utf8(value) if isinstance(value, str) else body_bytes(value) or b""
        if len(data) > lim.max_value_size:
            text = f"Value length of {len(data)} exceeds limit of {lim.max_value_size}."
            raise KVError("PUT", 413, text)
        self._store.write(self._ns, raw, data, expires, meta)

    async def list(
        self,
        options: Mapping[str, Any] | None = None,
        *,
        prefix: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> JsDict:
        """One page of keys in UTF-8 byte order; pass ``cursor`` back for the next."""
        opts = _options(options, None, prefix=prefix, limit=limit, cursor=cursor)
        count = _check_list_limit(opts.get("limit"), self._limits)
        start = _check_key_length("GET", _utf8(str(opts.get("prefix") or "")), self._limits)
        after = _after(opts["cursor"]) if opts.get("cursor") else b""
        rows = self._store.scan(self._ns, start, after, count + 1, self._clock.now())
        keys = []
        for name, expires, meta in rows[:count]:
            entry = JsDict(name=name.decode())
            if expires is not None:
                entry.expiration = expires
            if meta is not None:
                entry.metadata = _json(meta)
            keys.append(entry)
        result = JsDict(keys=keys, list_complete=len(rows) <= count)
        if len(rows) > count:
            result.cursor = _cursor(rows[count - 1][0])
        result.cacheStatus = None
        return result

    async def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key succeeds."""
        self._store.remove(self._ns, _check_key("DELETE", key, self._limits))
