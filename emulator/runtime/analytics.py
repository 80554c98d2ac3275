"""A Workers Analytics Engine dataset binding (``env.<binding>.writeDataPoint(point)``).

Contract (https://developers.cloudflare.com/analytics/analytics-engine/get-started/ and
/limits/): ``writeDataPoint`` takes ``blobs`` (strings, bytes or None), ``doubles`` (numbers)
and ``indexes`` (one string or bytes, the sampling key), each optional; it returns at once and
nothing is awaited. At most 20 blobs, 20 doubles and one index of at most 96 bytes, the blobs
of one point together at most 16 KB; a value of another type is a ``TypeError``, a limit
overrun an ``Error`` (``DataPointError`` here). A Python dict, or a JS object from ``to_js``,
is accepted. Points are kept in the emulator's ``DataPoints`` (with the time, the dataset and
the PoP), where production would keep them for its SQL API; a request point is also noted for
the log line of the request being served (:mod:`emulator.requestnote`).

Not emulated: the 250 points per invocation limit and sampling; the emulator keeps every point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..clock import Clock
from ..datapoints import DataPoint, DataPoints
from ..requestnote import note_point
from .jsproxy import JsObject

__all__ = ["MAX_BLOB_BYTES", "DataPointError", "WorkerDataset"]

MAX_VALUES = 20
MAX_INDEX_BYTES = 96
MAX_BLOB_BYTES = 16 * 1024


class DataPointError(Exception):
    """A JS ``Error`` thrown by ``writeDataPoint`` for a point over the limits."""


def _texts(values: Sequence[Any], what: str) -> tuple[str | None, ...]:
    """``values`` as strings or None; ArrayBuffers decoded, anything else a ``TypeError``.
    Checked by exact type first: a point of plain strings (every point a request writes)
    costs one pass, as the hit path writes one per request."""
    texts = tuple(values)
    for value in texts:
        if type(value) is not str:
            return tuple(_text(value, what) for value in texts)
    return texts


def _text(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    raise TypeError(f"{what} must be strings, ArrayBuffers or null, got {type(value).__name__}")


def _numbers(values: Sequence[Any]) -> tuple[float, ...]:
    """``values`` as floats, NaN and the infinities stored as 0 (as Analytics Engine keeps
    them); a value that is not a number is a ``TypeError``."""
    numbers = tuple(values)
    for number in numbers:
        if type(number) is not float or number - number != 0.0:  # not a finite float
            return tuple(_number(number) for number in numbers)
    return numbers


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"doubles must be numbers, got {type(value).__name__}")
    return float(value) if math.isfinite(value) else 0.0


def _list(point: Mapping[str, Any], name: str) -> Sequence[Any]:
    value = point.get(name)
    if value is None:
        return ()
    if type(value) is list or type(value) is tuple:
        return value
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
        if type(point) is dict or isinstance(point, Mapping):
            data = point
        elif isinstance(point, JsObject):
            data = point.to_py()
        elif point is not None:
            raise TypeError("writeDataPoint() takes an object with blobs, doubles and indexes")
        blobs = _texts(_list(data, "blobs"), "blobs")
        doubles = _numbers(_list(data, "doubles"))
        indexes = _texts(_list(data, "indexes"), "indexes")
        if len(blobs) > MAX_VALUES or len(doubles) > MAX_VALUES:
            raise DataPointError(f"a data point holds at most {MAX_VALUES} blobs and doubles")
        if len(indexes) > 1:
            raise DataPointError("a data point holds at most one index")
        if indexes and indexes[0] is not None and len(indexes[0].encode()) > MAX_INDEX_BYTES:
            raise DataPointError(f"an index is at most {MAX_INDEX_BYTES} bytes")
        # A character is at most 4 bytes in UTF-8: short blobs need no encoding to be sure.
        present = [blob for blob in blobs if blob]
        if sum(map(len, present)) * 4 > MAX_BLOB_BYTES and (
            sum(len(blob.encode()) for blob in present) > MAX_BLOB_BYTES
        ):
            raise DataPointError(f"the blobs of a data point are at most {MAX_BLOB_BYTES} bytes")
        kept = DataPoint(
            self._clock.now(),
            self._dataset,
            self._colo,
            blobs,
            doubles,
            indexes[0] if indexes else None,
        )
        self._store.add(kept)
        note_point(kept)
