"""Signed event bodies: an HMAC-SHA256 over the raw body and the time it was signed.

The header is ``Popcache-Signature: t=<unix seconds>,v1=<hex>``, where ``v1`` is
HMAC-SHA256(secret, ``"<t>." + body``) in lower-case hex. Signing the time with the body lets
the receiver refuse an old request replayed as it was (``tolerance``); several ``v1`` entries
may be sent, so a sender rotating its secret can sign with the old and the new one at once,
and the receiver may hold several secrets for the same reason. Every comparison is
constant-time (``hmac.compare_digest``) and each candidate is compared, so the time taken says
nothing about how much of a signature was right.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

__all__ = ["SIGNATURE_HEADER", "SignatureError", "sign", "verify"]

SIGNATURE_HEADER = "popcache-signature"
_MAX_HEADER = 1024  # t, plus a few signatures: anything longer is not one of ours
_TIME = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"[0-9a-f]{64}")


class SignatureError(ValueError):
    """Why a request's signature is refused; ``reason`` is one word for logs and problems."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secrets: Sequence[str], timestamp: int) -> str:
    """The ``Popcache-Signature`` value for ``body`` signed at ``timestamp`` with each secret."""
    if not secrets:
        raise ValueError("signing needs at least one secret")
    return ",".join([f"t={timestamp}", *(f"v1={_mac(s, timestamp, body)}" for s in secrets)])


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, equals, value = part.strip().partition("=")
        if not equals:
            raise SignatureError("malformed", "each part must be key=value")
        if key == "t":
            if timestamp is not None or not _TIME.fullmatch(value):
                raise SignatureError("malformed", "t must appear once, as unix seconds")
            timestamp = int(value)
        elif key == "v1":
            if not _HEX.fullmatch(value):
                raise SignatureError("malformed", "v1 must be 64 lower-case hex digits")
            signatures.append(value)
        # other keys: later schemes, ignored as a receiver of this version
    if timestamp is None or not signatures:
        raise SignatureError("malformed", "t and at least one v1 are required")
    return timestamp, signatures


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    *,
    now: float,
    tolerance: float,
) -> int:
    """The signing time of a valid ``header`` for ``body``; SignatureError otherwise.

    Refused: no header (``missing``), one that does not parse (``malformed``), a signing time
    more than ``tolerance`` seconds from ``now`` either way (``expired``: a replay, or a clock
    far off), or no signature made with any of ``secrets`` (``mismatch``).
    """
    if not secrets:
        raise SignatureError("unconfigured", "no secret is configured to check signatures with")
    if header is None or not header.strip():
        raise SignatureError("missing", f"the {SIGNATURE_HEADER} header is required")
    if len(header) > _MAX_HEADER:
        raise SignatureError("malformed", f"the header is longer than {_MAX_HEADER} characters")
    timestamp, signatures = _parse(header)
    if not abs(now - timestamp) <= tolerance:  # fails closed on a NaN clock or tolerance
        raise SignatureError(
            "expired", f"signed at {timestamp}, more than {tolerance:g} s from now"
        )
    expected = [_mac(secret, timestamp, body) for secret in secrets]
    matched = False
    for signature in signatures:
        for candidate in expected:
            matched |= hmac.compare_digest(signature, candidate)
    if not matched:
        raise SignatureError("mismatch", "no signature matches the body with a known secret")
    return timestamp
