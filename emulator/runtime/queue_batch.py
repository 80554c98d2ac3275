"""A queue consumer's batch: ``queue(self, batch, env, ctx)`` receives one.

Follows https://developers.cloudflare.com/queues/configuration/javascript-apis/#consumer:
``batch.queue`` and ``batch.messages``; each message has ``id``, ``timestamp``, ``body`` and
``attempts``, and ``ack()`` / ``retry(delaySeconds=)``; the batch has ``ackAll()`` and
``retryAll(delaySeconds=)``. The first explicit call on a message decides it; ``ackAll`` and
``retryAll`` decide every message not decided yet (the first of them wins). When the handler
returns, undecided messages are acknowledged; when it raises, every message not explicitly
acknowledged is retried. ``settle`` turns those rules into a :class:`QueueResult`.

``timestamp`` is a naive ``datetime``, as the SDK's ``python_from_rpc`` converts a JS ``Date``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["MAX_DELAY_SECONDS", "Message", "MessageBatch", "QueueResult", "settle"]

# Queues' longest delivery delay: 12 hours.
MAX_DELAY_SECONDS = 43_200


def _delay(options: Mapping[str, Any] | None, delay_seconds: int | None) -> int | None:
    delay = (options or {}).get("delaySeconds", delay_seconds)
    if delay is None:
        return None
    if isinstance(delay, bool) or not isinstance(delay, int | float):
        raise TypeError("delaySeconds must be a number")
    if not 0 <= delay <= MAX_DELAY_SECONDS:
        raise ValueError(f"delaySeconds must be between 0 and {MAX_DELAY_SECONDS}")
    return int(delay)


class Message:
    """One delivered message."""

    def __init__(self, id: str, body: Any, timestamp: datetime, attempts: int = 1) -> None:
        self.id = id
        self.body = body
        self.timestamp = timestamp
        self.attempts = attempts
        self.decision: tuple[str, int | None] | None = None

    def ack(self) -> None:
        if self.decision is None:
            self.decision = ("ack", None)

    def retry(
        self,
        options: Mapping[str, Any] | None = None,
        *,
        delaySeconds: int | None = None,
    ) -> None:
        delay = _delay(options, delaySeconds)
        if self.decision is None:
            self.decision = ("retry", delay)


class MessageBatch:
    """The messages one ``queue()`` call receives."""

    def __init__(self, queue: str, messages: Iterable[Message]) -> None:
        self.queue = queue
        self.messages = list(messages)
        self.batch_decision: tuple[str, int | None] | None = None

    def ackAll(self) -> None:
        if self.batch_decision is None:
            self.batch_decision = ("ack", None)

    def retryAll(
        self,
        options: Mapping[str, Any] | None = None,
        *,
        delaySeconds: int | None = None,
    ) -> None:
        delay = _delay(options, delaySeconds)
        if self.batch_decision is None:
            self.batch_decision = ("retry", delay)


@dataclass(frozen=True)
class QueueResult:
    """What became of a batch: ``outcome`` is "ok" or "exception"."""

    outcome: str
    acked: tuple[str, ...] = ()
    retried: Mapping[str, int | None] = field(default_factory=dict)
    error: BaseException | None = None


def settle(batch: MessageBatch, error: BaseException | None) -> QueueResult:
    """Apply the acknowledgement rules once the handler has returned or raised."""
    acked: list[str] = []
    retried: dict[str, int | None] = {}
    for message in batch.messages:
        decision = message.decision or batch.batch_decision
        if decision is None:
            decision = ("retry", None) if error is not None else ("ack", None)
        elif error is not None and message.decision is None:
            decision = ("retry", None)
        if decision[0] == "ack":
            acked.append(message.id)
        else:
            retried[message.id] = decision[1]
    return QueueResult("exception" if error else "ok", tuple(acked), retried, error)
