"""Which request data point a worker wrote for the request the front door is serving.

The front door logs one line per request with the fields of its data point, but the point is
written deep inside the worker's ``fetch``, by any Worker, through its Analytics Engine binding.
So the front door opens a ``Note`` around the worker's invocation (``noting``), held in a
context variable that the invocation and the ``waitUntil`` tasks it starts inherit, and the
binding notes each request point it keeps there (``note_point``); the front door reads the
latest when the response is ready. Outside ``noting`` (a cron, a queue batch) nothing is noted.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from .datapoints import DataPoint
from .requestscan import REQUEST

__all__ = ["Note", "note_point", "noting"]


class Note:
    """The latest request point written while serving one request, if any; a context manager
    that is the note of what runs within it (a class, not a generator: one per request)."""

    __slots__ = ("_token", "point")

    def __init__(self) -> None:
        self.point: DataPoint | None = None
        self._token: Token[Note | None] | None = None

    def __enter__(self) -> Note:
        self._token = _current.set(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._token is not None:
            _current.reset(self._token)


_current: ContextVar[Note | None] = ContextVar("popcache_request_note", default=None)


def noting() -> Note:
    """Note the request points written within (and by the tasks started within)."""
    return Note()


def note_point(point: DataPoint) -> None:
    """Note ``point`` for the request being served, if it is a request point."""
    note = _current.get()
    if note is not None and point.blobs[:1] == (REQUEST,):
        note.point = point
