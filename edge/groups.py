"""RFC 9875 group invalidation, at the scale of a CDN.

An origin answering an unsafe request (a checkout, a stock edit) with
``Cache-Group-Invalidation`` asks caches to invalidate the stored responses in those groups.
The edge stores groups as cache tags, and one PoP cannot reach the others' caches, so the
groups go onto the events queue as a hard purge (RFC 9111 §4.4: invalidated responses are not
reused without validation), in messages of at most ``MAX_TAGS_PER_CALL`` tags; the consumer
coalesces them with the batch's other purges.
"""

from __future__ import annotations

from eventmessages import purge_message
from eventports import EventPorts, Outgoing
from purgebucket import MAX_TAGS_PER_CALL

__all__ = ["send_groups"]


async def send_groups(ports: EventPorts, groups: tuple[str, ...]) -> None:
    """Queue the purge of ``groups``; a queue that fails is logged, never the client's error."""
    assert ports.send is not None
    now = ports.now()
    messages = [
        Outgoing(purge_message("hard", groups[start : start + MAX_TAGS_PER_CALL], now, "groups"))
        for start in range(0, len(groups), MAX_TAGS_PER_CALL)
    ]
    try:
        await ports.send(messages)
    except Exception as exc:  # the runtime's queue errors have no common type
        print(f"events: Cache-Group-Invalidation of {len(groups)} groups was not queued: {exc}")
