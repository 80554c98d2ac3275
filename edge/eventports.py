"""What the event intake, the queue consumer and the admin purge need from the runtime.

The entry adapter builds an ``EventPorts`` from the Worker's ``env``: the queue producer
binding (``sendBatch``), a KV namespace for the event ids already applied and the signatures
already seen, the secrets, the purge API's address and token, and somewhere to record how long
invalidations took. Tests pass plain Python stand-ins; nothing here knows the Workers SDK.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from eventmessages import WarmMessage
from messages import EdgeRequest, EdgeResponse

__all__ = ["EventPorts", "Ledger", "Outgoing", "PurgeTarget", "Send"]


class Ledger(Protocol):
    """A KV namespace as the events need it: a value per key, kept ``ttl`` seconds."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str, ttl: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One queue message to send: a JSON body, delivered after ``delay`` seconds."""

    body: dict[str, object]
    delay: int = 0


Send = Callable[[Sequence[Outgoing]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PurgeTarget:
    """Where purges go: Cloudflare's API (``https://api.cloudflare.com/client/v4``) in
    production, the emulator's in development; the same code calls either."""

    api_base: str
    zone_id: str
    token: str


@dataclass(slots=True)
class EventPorts:
    now: Callable[[], float]
    send: Send | None = None
    """The events queue's producer; None when the Worker has no such binding."""
    ledger: Ledger | None = None
    """Event ids applied and signatures seen; None without the KV binding."""
    secrets: tuple[str, ...] = ()
    """Secrets event signatures may be made with (the current one, and the previous one while
    a rotation is under way)."""
    admin_tokens: tuple[str, ...] = ()
    """Bearer tokens ``POST /_edge/purge`` accepts."""
    purge: PurgeTarget | None = None
    fetch: Callable[[EdgeRequest], Awaitable[EdgeResponse]] | None = None
    """How the purge API is reached (the runtime's fetch)."""
    warm: Callable[[WarmMessage], Awaitable[int]] | None = None
    """Fetch a warm message's path as a shopper of its city (standing at its ``at``) would,
    storing what it stores with its tag; the status. None without a storefront URL."""
    record: Callable[[str, float], None] = field(default=lambda _kind, _seconds: None)
    """Called with ``(kind, seconds)`` for each invalidation: from the event's acceptance to
    the purge API's answer that it is applied everywhere."""
