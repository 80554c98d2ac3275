"""The edge bundle's own modules, for the emulator's tools that must read things as it does.

The bundle's modules are top-level and import each other by name, as on Cloudflare, so they
are imported with ``edge/`` on ``sys.path`` rather than as a package.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["EDGE", "reach_edge_modules"]

EDGE = Path(__file__).resolve().parent.parent / "edge"
"""popcache's edge bundle."""


def reach_edge_modules() -> None:
    """Make the bundle's modules importable by their own names."""
    if str(EDGE) not in sys.path:
        sys.path.insert(0, str(EDGE))
