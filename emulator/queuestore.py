"""Durable storage of every queue's messages: one SQLite table, written before ``send`` returns.

Cloudflare Queues delivers at least once: a message leaves its queue only when a consumer
acknowledges it (or it is moved to a dead letter queue, or dropped after its last retry). So a
message stays in the table while it is being delivered, and an emulator that dies mid-delivery
delivers it again after a restart on the same ``persist_to``. Which messages are in flight is
kept in memory only, for the same reason. Times are the emulator clock's seconds.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["QueueStore", "StoredMessage"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    content_type TEXT NOT NULL,
    timestamp REAL NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL,
    duplicated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (queue, visible_at);
"""


@dataclass(frozen=True)
class StoredMessage:
    """One message as stored: ``failures`` counts deliveries that ended in a retry."""

    id: str
    queue: str
    body: bytes
    content_type: str
    timestamp: float
    failures: int
    visible_at: float


class QueueStore:
    """Every queue's messages; ``path=None`` keeps them in memory."""

    def __init__(self, path: Path | None = None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(path) if path else ":memory:", isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(_SCHEMA)

    def enqueue(self, messages: list[StoredMessage]) -> None:
        """Store ``messages`` in one transaction: all of a ``sendBatch`` or none of it."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO messages (id, queue, body, content_type, timestamp, failures, "
                "visible_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (m.id, m.queue, m.body, m.content_type, m.timestamp, m.failures, m.visible_at)
                    for m in messages
                ],
            )
            self._db.execute("COMMIT")

    def due(
        self, queue: str, now: float, limit: int, exclude: frozenset[str] = frozenset()
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages of ``queue`` visible at ``now``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, queue, body, content_type, timestamp, failures, visible_at "
                "FROM messages WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq",
                (queue, now),
            ).fetchall()
        found = [StoredMessage(*row) for row in rows if row[0] not in exclude]
        return found[:limit]

    def pending(self, queue: str) -> int:
        """How many messages ``queue`` holds, visible or not."""
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM messages WHERE queue = ?", (queue,)
            ).fetchone()
        return int(count)

    def ack(self, message_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM messages WHERE id = ?", (message_id,))

    def duplicate(self, message_id: str, now: float) -> bool:
        """Keep an acknowledged message for one more delivery (at most once per message);
        False if it was duplicated already (then it is acknowledged)."""
        with self._lock:
            changed = self._db.execute(
                "UPDATE messages SET duplicated = 1, visible_at = ? "
                "WHERE id = ? AND duplicated = 0",
                (now, message_id),
            ).rowcount
            if not changed:
                self._db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
        return bool(changed)

    def retry(self, message_id: str, visible_at: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE messages SET failures = failures + 1, visible_at = ? WHERE id = ?",
                (visible_at, message_id),
            )

    def move(self, message_id: str, queue: str, now: float) -> None:
        """Hand a message to another queue (the dead letter queue) as a fresh message."""
        with self._lock:
            self._db.execute(
                "UPDATE messages SET queue = ?, failures = 0, visible_at = ?, duplicated = 0 "
                "WHERE id = ?",
                (queue, now, message_id),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
