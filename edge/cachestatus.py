"""The ``Cache-Status`` (RFC 9211) and ``Proxy-Status`` (RFC 9209) fields the edge sends.

Both are Structured Fields lists (RFC 8941); popcache adds one member, identified as
``popcache``. ``key`` is only revealed when the request asks with ``Popcache-Debug: 1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["IDENTIFIER", "CacheStatus", "proxy_status", "sf_string"]

IDENTIFIER = "popcache"
_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*")


def sf_string(value: str) -> str:
    """An sf-string (RFC 8941 §3.3.3); characters outside printable ASCII become ``?``."""
    printable = "".join(char if " " <= char <= "~" else "?" for char in value)
    return '"' + printable.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _token_or_string(value: str) -> str:
    return value if _TOKEN.fullmatch(value) else sf_string(value)


@dataclass(slots=True)
class CacheStatus:
    """One ``Cache-Status`` member (RFC 9211 §2)."""

    hit: bool = False
    fwd: str | None = None  # bypass, method, uri-miss, vary-miss, miss, request, stale
    fwd_status: int | None = None
    ttl: float | None = None
    stored: bool = False
    collapsed: bool = False
    key: str | None = None
    detail: str | None = None
    pressure: int = 0  # the back-pressure step, shown in detail when above 0

    def value(self) -> str:
        parts = [IDENTIFIER]
        if self.hit:
            parts.append("hit")
        if self.fwd is not None:
            parts.append(f"fwd={self.fwd}")
        if self.fwd_status is not None:
            parts.append(f"fwd-status={self.fwd_status}")
        if self.ttl is not None:
            parts.append(f"ttl={int(self.ttl // 1)}")
        if self.stored:
            parts.append("stored")
        if self.collapsed:
            parts.append("collapsed")
        if self.key is not None:
            parts.append(f"key={sf_string(self.key)}")
        detail = self.detail
        if self.pressure:
            step = f"backpressure-{self.pressure}"
            detail = step if detail is None else f"{detail}+{step}"
        if detail is not None:
            parts.append(f"detail={_token_or_string(detail)}")
        return "; ".join(parts)


def proxy_status(error: str, *, details: str | None = None, received: int | None = None) -> str:
    """A ``Proxy-Status`` member (RFC 9209 §2) for an error the edge answers itself."""
    parts = [IDENTIFIER, f"error={error}"]
    if received is not None:
        parts.append(f"received-status={received}")
    if details is not None:
        parts.append(f"details={sf_string(details)}")
    return "; ".join(parts)
