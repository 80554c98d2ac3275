"""Named moods of the demo origin, so a person can watch the edge cope with a bad origin.

``healthy`` is the knobs' defaults; ``slow`` answers after about two seconds, far past the hot
and warm budgets, so clients get placeholders and then hits; ``overloaded`` is slowish and
answers half of the requests 429 with ``Retry-After: 5``, so the edge steps up back-pressure
and protects the origin. ``popcache origin-mode`` and ``popcache dev --origin-mode`` set them
through ``PUT /_admin/mode`` (docs/origin.md).
"""

from __future__ import annotations

from .knobs import Knobs

__all__ = ["MODES", "mode_of"]

MODES: dict[str, Knobs] = {
    "healthy": Knobs(),
    "slow": Knobs(latency_ms=2000, jitter_ms=500),
    "overloaded": Knobs(
        latency_ms=800, jitter_ms=400, fail_rate=0.5, fail_status=429, retry_after=5
    ),
}


def mode_of(knobs: Knobs) -> str:
    """The mode whose knobs these are, or ``custom``."""
    return next((name for name, preset in MODES.items() if preset == knobs), "custom")
