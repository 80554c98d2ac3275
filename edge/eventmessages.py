"""The bodies of the messages on the events queue, written and read by the edge alone.

Two kinds travel: an accepted ``event`` (from ``POST /_edge/events``), and a ``purge`` already
planned (a later phase of a cascade, or the groups an origin's ``Cache-Group-Invalidation``
named). Each carries ``accepted``, when the edge took the request in, so the consumer can
record how long the invalidation took. A body that is not one of these is refused as a whole:
the consumer sends it on to the dead-letter queue rather than guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from events import Event, EventError, event_from_json, event_to_json
from invalidation import Mode

__all__ = [
    "EventMessage",
    "MessageError",
    "PurgeMessage",
    "event_message",
    "purge_message",
    "read_message",
]


class MessageError(ValueError):
    """A queue message the edge did not write."""


@dataclass(frozen=True, slots=True)
class EventMessage:
    event: Event
    accepted: float


@dataclass(frozen=True, slots=True)
class PurgeMessage:
    mode: Mode
    tags: tuple[str, ...]
    accepted: float
    source: str  # "cascade" or "groups": which invalidation it belongs to


def event_message(event: Event, accepted: float) -> dict[str, object]:
    return {"kind": "event", "event": event_to_json(event), "accepted": accepted}


def purge_message(
    mode: Mode, tags: tuple[str, ...], accepted: float, source: str
) -> dict[str, object]:
    return {
        "kind": "purge",
        "mode": mode,
        "tags": list(tags),
        "accepted": accepted,
        "source": source,
    }


def read_message(body: object) -> EventMessage | PurgeMessage:
    """The message ``body`` holds; MessageError for anything else."""
    if not isinstance(body, dict):
        raise MessageError("a message body must be an object")
    accepted = body.get("accepted")
    if isinstance(accepted, bool) or not isinstance(accepted, int | float):
        raise MessageError("accepted must be a number")
    if not math.isfinite(accepted):
        raise MessageError("accepted must be finite")
    kind = body.get("kind")
    if kind == "event":
        try:
            return EventMessage(event_from_json(body.get("event")), float(accepted))
        except EventError as exc:
            raise MessageError(f"event: {exc.detail}") from None
    if kind == "purge":
        mode, tags, source = body.get("mode"), body.get("tags"), body.get("source")
        if mode not in ("hard", "soft"):
            raise MessageError("mode must be hard or soft")
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
            raise MessageError("tags must be a non-empty list of strings")
        if not isinstance(source, str):
            raise MessageError("source must be a string")
        return PurgeMessage(
            "hard" if mode == "hard" else "soft", tuple(tags), float(accepted), source
        )
    raise MessageError(f"unknown message kind {kind!r}")
