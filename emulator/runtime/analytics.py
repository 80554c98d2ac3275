"""A Workers Analytics Engine dataset binding (``env.<binding>.writeDataPoint(point)``).

Contract (https://developers.cloudflare.com/analytics/analytics-engine/get-started/ and
/limits/): ``writeDataPoint`` takes ``blobs`` (strings, bytes or None), ``doubles`` (numbers)
and ``indexes`` (one string or bytes, the sampling key), each optional; it returns at once and
nothing is awaited. At most 20 blobs, 20 doubles and one index of at most 96 bytes, the blobs
of one point together at most 16 KB; a value of another type is a ``TypeError``, a limit
overrun an ``Error`` (``DataPointError`` here). A Python dict, or a JS object from ``to_js``,
is accepted. Points are kept in the emulator's ``DataPoints`` (with the time, the dataset and
the PoP), where production would keep them for its SQL API.

Not emulated: the 250 points per invocation limit and sampling; the emulator keeps every point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..clock import Clock
from ..datapoints import DataPoint, DataPoints
from .jsproxy import JsObject

__all__ = ["MAX_BLOB_BYTES", "DataPointError", "WorkerDataset"]

MAX_VALUES = 20
MAX_INDEX_BYTES = 96
MAX_BLOB_BYTES = 16 * 1024


class DataPointError(Exception):
    """A JS ``Error`` thrown by ``writeDataPoint`` for a point over the limits."""


def _text(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    raise TypeError(f"{what} must be strings, ArrayBuffers or null, got {type(value).__name__}")


def _list(point: Mapping[str, Any], name: str) -> Sequence[Any]:
    value = point.get(name)
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be an array")
    return value


class WorkerDataset:
    """``env.<binding>`` of an ``[[analytics_engine_datasets]]`` entry, on one PoP."""

    def __init__(self, store: DataPoints, dataset: str, clock: Clock, colo: str = "") -> None:
        self._store = store
        self._dataset = dataset
        self._clock = clock
        self._colo = colo

    def __repr__(self) -> str:
        return f"WorkerDataset({self._dataset!r})"

    def writeDataPoint(self, point: Mapping[str, Any] | JsObject | None = None) -> None:
        data: Mapping[str, Any] = {}
        if isinstance(point, JsObject):
            data = point.to_py()
        elif isinstance(point, Mapping):
            data = point
        elif point is not None:
            raise TypeError("writeDataPoint() takes an object with blobs, doubles and indexes")
        blobs = tuple(_text(blob, "blobs") for blob in _list(data, "blobs"))
        doubles = tuple(_list(data, "doubles"))
        indexes = tuple(_text(index, "indexes") for index in _list(data, "indexes"))
        for number in doubles:
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise TypeError(f"doubles must be numbers, got {type(number).__name__}")
        if len(blobs) > MAX_VALUES or len(doubles) > MAX_VALUES:
            raise DataPointError(f"a data point holds at most {MAX_VALUES} blobs and doubles")
        if len(indexes) > 1:
            raise DataPointError("a data point holds at most one index")
        if indexes and indexes[0] is not None and len(indexes[0].encode()) > MAX_INDEX_BYTES:
            raise DataPointError(f"an index is at most {MAX_INDEX_BYTES} bytes")
        if sum(len((blob or "").encode()) for blob in blobs) > MAX_BLOB_BYTES:
            raise DataPointError(f"the blobs of a data point are at most {MAX_BLOB_BYTES} bytes")
        self._store.add(
            DataPoint(
                self._clock.now(),
                self._dataset,
                self._colo,
                blobs,
                tuple(float(number) if math.isfinite(number) else 0.0 for number in doubles),
                indexes[0] if indexes else None,
            )
        )
