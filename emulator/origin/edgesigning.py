"""The edge's own request signing, borrowed so what the origin signs is what the edge checks.

``edge/signature.py`` is a top-level module of the Worker bundle, importable by its own name
once ``edge/`` is on the path (``emulator.edgemodules``); one copy of the scheme means the two
sides cannot drift apart.
"""

from __future__ import annotations

from emulator.edgemodules import reach_edge_modules

__all__ = ["sign_body"]


def sign_body(body: bytes, secret: str, timestamp: int) -> tuple[str, str]:
    """The signature header's name and its value for ``body`` signed at ``timestamp``."""
    reach_edge_modules()
    from signature import SIGNATURE_HEADER, sign

    return SIGNATURE_HEADER, sign(body, [secret], timestamp)
