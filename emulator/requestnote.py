"""Which request data point a worker wrote for the request the front door is serving.

The front door logs one line per request with the fields of its data point, but the point is
written deep inside the worker's ``fetch``, by any Worker, through its Analytics Engine binding.
So the front door opens a ``Note`` around the worker's invocation (``noting``), held in a
context variable that the invocation and the ``waitUntil`` tasks it starts inherit, and the
binding notes each request point it keeps there (``note_point``); the front door reads the
latest when the response is ready. Outside ``noting`` (a cron, a queue batch) nothing is noted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from .datapoints import DataPoint
from .requestscan import REQUEST

__all__ = ["Note", "note_point", "noting"]


class Note:
    """The latest request point written while serving one request, if any."""

    __slots__ = ("point",)

    def __init__(self) -> None:
        self.point: DataPoint | None = None


_current: ContextVar[Note | None] = ContextVar("popcache_request_note", default=None)


@contextlib.contextmanager
def noting() -> Iterator[Note]:
    """Note the request points written within (and by the tasks started within)."""
    note = Note()
    token = _current.set(note)
    try:
        yield note
    finally:
        _current.reset(token)


def note_point(point: DataPoint) -> None:
    """Note ``point`` for the request being served, if it is a request point."""
    note = _current.get()
    if note is not None and point.blobs[:1] == (REQUEST,):
        note.point = point
