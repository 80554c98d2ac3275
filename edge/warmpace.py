"""Each promotion's warming budget, kept by the consumer as the queue delivers.

The cron spreads a promotion's ``warm`` messages over its lead with ``delaySeconds``
(``warmplan.schedule``), but the queue may still deliver them bunched: after the consumer was
down, or when retries line up. :class:`WarmPace` is the consumer's guard: per promotion, it
remembers when the fetches of the last 60 seconds were admitted and admits no more than the
budget in any 60 s window, exactly. What it refuses, it gives a wait: each refused fetch the
earliest turn it could take behind those refused before it, so a batch sent back with those
delays comes back spread within the budget. Pure: time is passed in, never read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["Admitted", "WarmPace"]

_WINDOW = 60.0  # seconds the budget is counted over


@dataclass(frozen=True, slots=True)
class Admitted:
    """How many of the fetches asked for may go now (the first ones), and for each of the
    others, in order, the seconds until its turn."""

    count: int
    waits: tuple[float, ...]


class WarmPace:
    """The times of each promotion's fetches admitted within the last 60 s.

    A ``now`` earlier than one already admitted counts as that one, so a clock stepping back
    never lets a window hold more than the budget.
    """

    __slots__ = ("_admitted",)

    def __init__(self) -> None:
        self._admitted: dict[str, deque[float]] = {}

    def __len__(self) -> int:
        """Promotions paced so far."""
        return len(self._admitted)

    def admit(self, promotion: str, budget: int, now: float, count: int = 1) -> Admitted:
        """Admit as many of ``count`` fetches of ``promotion`` at ``now`` as keep every 60 s
        window within ``budget``, counting them; the rest wait their turns, counted as none."""
        if budget < 1:
            raise ValueError(f"budget must be at least 1, got {budget}")
        times = self._admitted.setdefault(promotion, deque())
        if times:
            now = max(now, times[-1])
        while times and now - times[0] >= _WINDOW:
            times.popleft()
        admitted = min(count, max(0, budget - len(times)))
        times.extend([now] * admitted)
        # A turn comes 60 s after the fetch ``budget`` places before it.
        turns = list(times)
        for _ in range(count - admitted):
            turns.append(turns[-budget] + _WINDOW)
        return Admitted(admitted, tuple(turn - now for turn in turns[len(times) :]))
