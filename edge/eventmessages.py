"""The bodies of the messages on the events queue, written and read by the edge alone.

Three kinds travel: an accepted ``event`` (from ``POST /_edge/events``), a ``purge`` already
planned (a later phase of a cascade, or the groups an origin's ``Cache-Group-Invalidation``
named), and a ``warm``: one path of a promotion to fetch as a shopper of its city would, sent
by the cron with the delay that keeps the warming within the promotion's budget, and that
budget for the consumer to keep too (a warm message without one is not limited). Each
carries ``accepted``, when the edge took the request in (for a warm, when it is due), so the
consumer can record how long an invalidation took. A body that is not one of these is refused
as a whole: the consumer sends it on to the dead-letter queue rather than guess.
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
    "WarmMessage",
    "event_message",
    "purge_message",
    "read_message",
    "warm_message",
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


@dataclass(frozen=True, slots=True)
class WarmMessage:
    path: str
    tag: str
    city: str | None
    accepted: float  # when it was due
    promotion: str
    at: tuple[float, float] | None = None  # where the shopper it warms for stands
    budget: int | None = None  # the promotion's fetches a minute; None: not limited


def warm_message(
    path: str,
    tag: str,
    city: str | None,
    due: float,
    promotion: str,
    at: tuple[float, float] | None = None,
    budget: int | None = None,
) -> dict[str, object]:
    return {
        "kind": "warm",
        "path": path,
        "tag": tag,
        "city": city,
        "accepted": due,
        "promotion": promotion,
        "at": list(at) if at is not None else None,
        "budget": budget,
    }


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


def _point(value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(n, int | float) and not isinstance(n, bool) for n in value)
    ):
        return float(value[0]), float(value[1])
    raise MessageError("at must be [latitude, longitude] or null")


def _budget(value: object) -> int | None:
    """A warm message's budget; one written before messages carried it has none."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return value
    raise MessageError("budget must be a whole number from 1, or null")


def read_message(body: object) -> EventMessage | PurgeMessage | WarmMessage:
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
    if kind == "warm":
        path, tag, city, promotion = (body.get(k) for k in ("path", "tag", "city", "promotion"))
        if not isinstance(path, str) or not path.startswith("/"):
            raise MessageError("path must be a path")
        if not isinstance(tag, str) or not isinstance(promotion, str):
            raise MessageError("tag and promotion must be strings")
        if city is not None and not isinstance(city, str):
            raise MessageError("city must be a string or null")
        return WarmMessage(
            path,
            tag,
            city,
            float(accepted),
            promotion,
            _point(body.get("at")),
            _budget(body.get("budget")),
        )
    raise MessageError(f"unknown message kind {kind!r}")
