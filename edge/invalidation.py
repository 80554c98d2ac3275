"""From inventory events to the fewest purge API calls, now and later.

Each event type has phases (``eventconfig``): after so many seconds, purge these tags, hard
(gone: the next request goes to the origin) or soft (stale: served while one request
revalidates). A tag is a template such as ``sku:{sku}@{store}``, filled in from the event.

Purges are rate-limited per account (``purgebucket``), so a batch of events is planned into as
few calls as the tags allow: the tags of one moment are de-duplicated, compared without case
as Cloudflare compares them, a soft purge of a tag already purged hard at that moment is
dropped (the hard one does more), and what is left goes in calls of at most ``tags_per_call``
tags: ``ceil(distinct tags / tags_per_call)`` calls per mode, never more. Phases with a delay
become ``Later`` entries, sent back to the queue with that delay and coalesced the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from events import Event
from tags import MAX_TAG_BYTES

__all__ = [
    "Later",
    "Mode",
    "Phase",
    "Plan",
    "Purge",
    "check_template",
    "coalesce",
    "expand",
    "plan",
]

Mode = Literal["hard", "soft"]

_PLACEHOLDERS = ("sku", "store", "zone")
# The longest value a placeholder takes: events hold sku, store and zone to 64 characters.
_MAX_VALUE = 64
# A placeholder, or a brace that starts or ends none.
_PIECE = re.compile(r"\{([^{}]*)\}|[{}]")
# What a tag cannot hold (as ``tags`` drops it): commas, whitespace, control characters, lone
# surrogates.
_UNUSABLE = re.compile(r"[,\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Phase:
    """``after`` seconds after the event, purge ``tags`` (templates) with ``mode``."""

    after: int
    mode: Mode
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Purge:
    """One purge API call's worth of tags."""

    mode: Mode
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Later:
    """A purge to send back to the queue with ``delaySeconds=after``."""

    after: int
    mode: Mode
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The calls to make now, hard first, and the purges to make later, soonest first."""

    now: tuple[Purge, ...]
    later: tuple[Later, ...]


def check_template(template: str) -> str | None:
    """``None`` if ``template`` is a usable tag template; else why not, in one line."""
    if not template:
        return "a tag template cannot be empty"
    literal_bytes, placeholders = 0, 0
    start = 0
    for match in _PIECE.finditer(template):
        literal_bytes += len(template[start : match.start()].encode("utf-8", "replace"))
        start = match.end()
        name = match.group(1)
        if name is None:
            return f"unbalanced {match.group()!r} at position {match.start()}"
        if name not in _PLACEHOLDERS:
            expected = ", ".join(f"{{{known}}}" for known in _PLACEHOLDERS)
            return f"unknown placeholder {match.group()!r} (expected {expected})"
        placeholders += 1
    literal_bytes += len(template[start:].encode("utf-8", "replace"))
    if (bad := _UNUSABLE.search(template)) is not None:
        return f"{bad.group()!r} cannot be part of a tag (no commas, whitespace or controls)"
    if literal_bytes + placeholders * _MAX_VALUE > MAX_TAG_BYTES:
        return f"a tag from it could be longer than the {MAX_TAG_BYTES} bytes a tag may be"
    return None


def expand(template: str, event: Event) -> str | None:
    """The tag ``template`` names for ``event``; ``None`` when it needs ``{zone}`` and the event
    has no zone. ValueError for a template ``check_template`` refuses."""
    if (reason := check_template(template)) is not None:
        raise ValueError(f"tag template {template!r}: {reason}")
    values = {"sku": event.sku, "store": event.store_id, "zone": event.zone_id}
    if "{zone}" in template and event.zone_id is None:
        return None
    return _PIECE.sub(lambda match: values[match.group(1)] or "", template)


def plan(
    events: Iterable[Event], phases: Mapping[str, Sequence[Phase]], tags_per_call: int
) -> Plan:
    """The purges ``events`` call for under ``phases`` (by event type), coalesced: see the
    module docstring. A type without phases purges nothing."""
    by_delay: dict[int, list[tuple[Mode, list[str]]]] = {}
    for event in events:
        for phase in phases.get(event.type, ()):
            tags = [tag for tag in (expand(t, event) for t in phase.tags) if tag is not None]
            by_delay.setdefault(phase.after, []).append((phase.mode, tags))
    now = coalesce(by_delay.pop(0, []), tags_per_call)
    later = tuple(
        Later(after, purge.mode, purge.tags)
        for after in sorted(by_delay)
        for purge in coalesce(by_delay[after], tags_per_call)
    )
    return Plan(now, later)


def coalesce(purges: Iterable[tuple[Mode, Iterable[str]]], tags_per_call: int) -> tuple[Purge, ...]:
    """``purges`` as the fewest calls of at most ``tags_per_call`` tags, hard calls first.

    Tags are compared without case, the first spelling kept; a soft purge of a tag also purged
    hard is dropped. Within a mode the tags are sorted, so the calls do not depend on the order
    the purges came in (beyond which spelling of a tag came first).
    """
    if tags_per_call < 1:
        raise ValueError(f"tags_per_call must be >= 1, not {tags_per_call!r}")
    spelled: dict[Mode, dict[str, str]] = {"hard": {}, "soft": {}}
    for mode, tags in purges:
        for tag in tags:
            spelled[mode].setdefault(_fold(tag), tag)
    soft = {key: tag for key, tag in spelled["soft"].items() if key not in spelled["hard"]}
    calls: list[Purge] = []
    by_mode: tuple[tuple[Mode, dict[str, str]], ...] = (("hard", spelled["hard"]), ("soft", soft))
    for mode, chosen in by_mode:
        ordered = [chosen[key] for key in sorted(chosen)]
        calls.extend(
            Purge(mode, tuple(ordered[start : start + tags_per_call]))
            for start in range(0, len(ordered), tags_per_call)
        )
    return tuple(calls)


def _fold(tag: str) -> str:
    """A tag as Cloudflare compares it, and as ``tags`` stores it: lower case."""
    return tag.lower()
