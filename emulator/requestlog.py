"""One log line per request the front door serves (``popcache dev --log-format json|pretty``).

The fields are the request data point's (docs/observability.md), read from the point the
worker wrote while serving it (:mod:`emulator.requestnote`), and the path, which no point
holds. A Worker that wrote none (any Worker, not only popcache's edge) still gets its line
from what the front door saw: the PoP, method, path, status, body bytes and duration; the
fields only a point knows are null. A JSON line is valid JSON whatever the path holds (every
character outside ASCII escaped); a pretty line shows control characters as escapes.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO

from .datapoints import DataPoint
from .printable import printable
from .requestscan import request_fields

__all__ = ["LOG_FORMATS", "REQUEST_LOG", "LineWriter", "Seen", "log_fields"]

REQUEST_LOG = logging.getLogger("popcache.requests")


class Seen(NamedTuple):
    """What the front door itself knows of a request it served."""

    pop: str
    method: str
    path: str
    status: int
    bytes: int
    duration_ms: float


def log_fields(at: float, point: DataPoint | None, seen: Seen) -> dict[str, Any]:
    """The fields of the line for a request served at ``at``, its point being ``point``."""
    fields = request_fields(point) if point is not None else None
    if fields is None:
        return {
            "time": at,
            "pop": seen.pop,
            "zone": None,
            "class": None,
            "cache": None,
            "method": seen.method,
            "path": seen.path,
            "status": seen.status,
            "origin_status": None,
            "origin_ms": None,
            "bytes": seen.bytes,
            "duration_ms": round(seen.duration_ms, 3),
            "backpressure": None,
        }
    return {
        "time": at,
        "pop": fields.pop or seen.pop,
        "zone": fields.zone,
        "class": fields.klass,
        "cache": fields.cache,
        "method": fields.method or seen.method,
        "path": seen.path,
        "status": int(fields.status),
        "origin_status": int(fields.origin_status),
        "origin_ms": fields.origin_ms,
        "bytes": int(fields.bytes),
        "duration_ms": fields.duration_ms,
        "backpressure": int(fields.backpressure),
    }


def json_line(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def pretty_line(fields: dict[str, Any]) -> str:
    """``12:00:00.000 SFO GET /path 200 hit class=product zone=z origin=200 12.0ms 512B
    15.0ms``, with ``backpressure=N`` when there is some; ``-`` for what is not known.

    Escaped once, as a whole line (``printable``): a field cannot hold a control character the
    line does not, and one check a line is what a request can afford."""
    at = fields["time"]
    origin = "-" if fields["origin_ms"] is None else f"{fields['origin_ms']:.1f}ms"
    line = (
        f"{_clock(int(at))}.{int(at % 1 * 1000):03d} {_shown(fields['pop'])} "
        f"{_shown(fields['method'])} {_shown(fields['path'])} {fields['status']} "
        f"{_shown(fields['cache'])} class={_shown(fields['class'])} "
        f"zone={_shown(fields['zone'])} origin={_shown(fields['origin_status'])} {origin} "
        f"{fields['bytes']}B {fields['duration_ms']:.1f}ms"
    )
    if fields["backpressure"]:
        line += f" backpressure={fields['backpressure']}"
    return printable(line)


def _shown(value: object) -> object:
    return "-" if value is None or value == "" else value


@functools.lru_cache(maxsize=2)
def _clock(second: int) -> str:
    """``HH:MM:SS`` (UTC) of a Unix second; the lines of one second share it."""
    return time.strftime("%H:%M:%S", time.gmtime(second))


class LineWriter:
    """Request lines straight to a stream, flushed at most every ``FLUSH_SECONDS``.

    ``popcache dev`` writes its request log here rather than through ``logging``: under load a
    log record and a flush per request cost a third of a cache hit. Inside a running loop the
    first line written schedules one flush shortly after, so a person watching still sees each
    line at once; outside a loop each line is flushed as it is written."""

    FLUSH_SECONDS = 0.05

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending = False

    def __call__(self, line: str) -> None:
        self._stream.write(line + "\n")
        if self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._stream.flush()
            return
        self._pending = True
        loop.call_later(self.FLUSH_SECONDS, self._flush)

    def _flush(self) -> None:
        self._pending = False
        self._stream.flush()


LOG_FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "pretty": pretty_line,
    "json": json_line,
}
"""``--log-format``'s choices, the first the default."""
