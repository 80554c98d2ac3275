"""What the origin's handlers share, kept under one typed application key."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from emulator.clock import Clock

from .knobs import Knobs

__all__ = ["STATE", "OriginState", "Sleep"]

Sleep = Callable[[float], Awaitable[None]]  # asyncio.sleep's shape: seconds in


@dataclass
class OriginState:
    """The database, the injected clock, randomness and sleep, and the current knobs."""

    conn: sqlite3.Connection
    clock: Clock
    rng: random.Random
    sleep: Sleep
    knobs: Knobs = field(default_factory=Knobs)

    def new_id(self, prefix: str) -> str:
        """An identifier from the injected generator (a demo, not a security boundary)."""
        return f"{prefix}{self.rng.getrandbits(96):024x}"


STATE = web.AppKey("popcache_origin", OriginState)
