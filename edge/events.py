"""Inventory events as ``POST /_edge/events`` receives them, checked whole before any is queued.

The body is a JSON array of events: ``{"event_id", "type", "sku", "store_id", "ts",
"zone_id"?, "qty"?}``. A body is accepted or refused as a whole, so a store's system that gets
a 400 can resend the same body once it is fixed without half of it having been applied. The
sku, store and zone become cache tags (``invalidation``), so they are held to a small alphabet
that no tag dialect can misread; a timestamp may be unix seconds or RFC 3339 with an explicit
offset, and is kept as unix seconds. Whatever the bytes, the only exception is ``EventError``,
naming the field at fault (``events[3].sku``, or ``body``).

Accepted events travel on to the queue as ``event_to_json`` objects, and ``event_from_json``
reads them back, refusing anything that function could not have written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jsonbounds

__all__ = [
    "EVENT_TYPES",
    "Event",
    "EventError",
    "event_from_json",
    "event_to_json",
    "parse_events",
]

EVENT_TYPES = ("inventory.changed", "price.changed", "restock", "product.updated")

_MEMBERS = ("event_id", "type", "sku", "store_id", "zone_id", "qty", "ts")
_REQUIRED = ("event_id", "type", "sku", "store_id", "ts")
_EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")  # sku, store_id, zone_id: they become cache tags
_MAX_QTY = 1_000_000_000
_MAX_TS = 253_402_300_799.0  # 9999-12-31T23:59:59Z, the last second RFC 3339 can write
# RFC 3339 §5.6 date-time, offset required; "T" and "Z" in either case (§5.6, note).
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)


@dataclass(frozen=True, slots=True)
class Event:
    """One inventory event; ``ts`` is unix seconds, whatever form it came in."""

    event_id: str
    type: str
    """One of ``EVENT_TYPES``."""
    sku: str
    store_id: str
    ts: float
    zone_id: str | None = None
    qty: int | None = None


class EventError(ValueError):
    """A body (or queue message) refused: ``field`` is ``events[i].<member>``, ``events[i]``,
    ``body`` or ``message``; ``detail`` says what is wrong with it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def parse_events(body: bytes, max_events: int) -> list[Event]:
    """The events of a JSON array ``body`` of 1 to ``max_events`` of them; EventError for
    anything else, naming the first field at fault."""
    document = _json(body)
    if not isinstance(document, list):
        raise EventError("body", "must be a JSON array of events")
    if not document:
        raise EventError("body", "must hold at least one event")
    if len(document) > max_events:
        raise EventError(
            "body", f"holds {len(document)} events, more than the {max_events} allowed"
        )
    events: list[Event] = []
    seen: set[str] = set()
    for index, item in enumerate(document):
        event = _event(item, f"events[{index}]", text_time=True)
        if event.event_id in seen:
            raise EventError(
                f"events[{index}].event_id", f"{event.event_id!r} appears earlier in the body"
            )
        seen.add(event.event_id)
        events.append(event)
    return events


def event_to_json(event: Event) -> dict[str, object]:
    """``event`` as a queue message body: the optional members only when present."""
    data: dict[str, object] = {
        "event_id": event.event_id,
        "type": event.type,
        "sku": event.sku,
        "store_id": event.store_id,
        "ts": event.ts,
    }
    if event.zone_id is not None:
        data["zone_id"] = event.zone_id
    if event.qty is not None:
        data["qty"] = event.qty
    return data


def event_from_json(data: object) -> Event:
    """The event ``event_to_json`` wrote as ``data``; EventError (field ``message``) for
    anything it could not have written."""
    try:
        return _event(data, "message", text_time=False)
    except EventError as exc:
        raise EventError("message", f"not an event: {exc}") from None


def _json(body: bytes) -> object:
    try:
        return jsonbounds.load_document(body)
    except ValueError as exc:  # TooDeep included
        raise EventError("body", f"not valid JSON: {exc}") from None


def _event(item: object, where: str, *, text_time: bool) -> Event:
    """One event object; ``text_time`` allows an RFC 3339 ``ts`` (bodies, not messages)."""
    if not isinstance(item, dict):
        raise EventError(where, "must be a JSON object")
    for key in item:
        if key not in _MEMBERS:
            raise EventError(f"{where}.{key}", f"unknown member (expected {', '.join(_MEMBERS)})")
    for key in _REQUIRED:
        if key not in item:
            raise EventError(f"{where}.{key}", "is required")
    return Event(
        event_id=_text(item, "event_id", where, _EVENT_ID, "1 to 128 of A-Z a-z 0-9 . _ : -"),
        type=_type(item["type"], f"{where}.type"),
        sku=_text(item, "sku", where, _NAME, "1 to 64 of A-Z a-z 0-9 . _ -"),
        store_id=_text(item, "store_id", where, _NAME, "1 to 64 of A-Z a-z 0-9 . _ -"),
        ts=_time(item["ts"], f"{where}.ts", text_time),
        zone_id=(
            _text(item, "zone_id", where, _NAME, "1 to 64 of A-Z a-z 0-9 . _ -")
            if "zone_id" in item
            else None
        ),
        qty=_qty(item["qty"], f"{where}.qty") if "qty" in item else None,
    )


def _text(
    item: Mapping[str, object], key: str, where: str, pattern: re.Pattern[str], alphabet: str
) -> str:
    value = item[key]
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise EventError(f"{where}.{key}", f"must be a string of {alphabet} characters")
    return value


def _type(value: object, where: str) -> str:
    if not isinstance(value, str) or value not in EVENT_TYPES:
        raise EventError(where, f"must be one of {', '.join(EVENT_TYPES)}")
    return value


def _qty(value: object, where: str) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_QTY:
        raise EventError(where, f"must be an integer from 0 to {_MAX_QTY}")
    return value


def _time(value: object, where: str, text_time: bool) -> float:
    if type(value) is int or type(value) is float:
        # Compared, not converted: float() of a huge int overflows. NaN and inf fail too.
        if not 0 <= value <= _MAX_TS:
            raise EventError(where, f"must be unix seconds from 0 to {_MAX_TS:.0f}")
        return float(value)
    if text_time and isinstance(value, str):
        seconds = _rfc3339(value)
        if seconds is not None and 0 <= seconds <= _MAX_TS:
            return seconds
        raise EventError(
            where,
            "must be an RFC 3339 time with an offset, such as 2026-11-26T10:00:00Z, from 1970 on",
        )
    expected = "unix seconds or an RFC 3339 time with an offset" if text_time else "unix seconds"
    raise EventError(where, f"must be {expected}")


def _rfc3339(text: str) -> float | None:
    """Unix seconds of an RFC 3339 date-time with an offset; ``None`` if it is not one.

    A leap second (``:60``, RFC 3339 §5.7) is read as the second after ``:59``."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    fraction, zulu, sign, offset_hour, offset_minute = match.group(7, 8, 9, 10, 11)
    if hour > 23 or minute > 59 or second > 60:
        return None
    if zulu is None and (int(offset_hour) > 23 or int(offset_minute) > 59):
        return None
    offset = timedelta()
    if zulu is None:
        offset = timedelta(hours=int(offset_hour), minutes=int(offset_minute))
        offset = -offset if sign == "-" else offset
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone(offset))
    except ValueError:  # no such day, or year 0
        return None
    return moment.timestamp() + (second - min(second, 59)) + float(fraction or 0.0)
