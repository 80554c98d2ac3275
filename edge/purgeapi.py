"""Cloudflare's zone purge API as plain data: the request to send, and what its answer means.

``POST {api}/zones/{zone}/purge_cache`` purges hard (the next request goes to the origin);
``POST {api}/zones/{zone}/invalidate_cache`` purges soft (Cloudflare's "invalidate cached
content": entries are marked stale and revalidated), with the same body and rate limits. The
body holds one selector: ``tags``, ``files``, ``prefixes``, ``hosts`` or ``purge_everything``.

The answer is one of three things for the caller to do: nothing more (``Done``), try again
after a while (``RetryLater``: throttled, timed out or the API failing), or give up on this
call (``Refused``: the request itself is wrong, or the answer is not the API's envelope).
Cloudflare sometimes answers HTTP 200 with ``"success": false``, so the envelope decides, not
the status alone. Nothing here raises, whatever the answer; building a request checks its
parts, as a CR in a token or a ``/`` in a zone id would change what is sent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import jsonbounds
from health import parse_retry_after
from invalidation import Mode, Purge
from messages import EdgeRequest, EdgeResponse, Fields

__all__ = [
    "SELECTORS",
    "Done",
    "PurgeCall",
    "Refused",
    "RetryLater",
    "Selector",
    "call_for",
    "outcome",
    "purge_request",
]

Selector = Literal["tags", "files", "prefixes", "hosts", "purge_everything"]
SELECTORS: tuple[Selector, ...] = ("tags", "files", "prefixes", "hosts", "purge_everything")

_ENDPOINTS: dict[Mode, str] = {"hard": "purge_cache", "soft": "invalidate_cache"}
_ZONE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Cloudflare's are 32 hex digits
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")  # visible ASCII: nothing that could end the field
_API_BASE = re.compile(r"https?://[\x21-\x7e]+")
_THROTTLED_WAIT = 60  # seconds, when a 429 gives no Retry-After
_FAILED_WAIT = 5  # seconds, when a 5xx or 408 gives no Retry-After
_LONGEST_WAIT = 43_200  # Queues' longest delivery delay: 12 hours
_SHOWN_ERRORS = 5
_SHOWN_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True, slots=True)
class PurgeCall:
    """One purge API call: ``values`` for the selector, none for ``purge_everything``."""

    mode: Mode
    selector: Selector
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.mode not in _ENDPOINTS:
            raise ValueError(f"mode must be 'hard' or 'soft', not {self.mode!r}")
        if self.selector not in SELECTORS:
            raise ValueError(f"unknown selector {self.selector!r}")
        if (self.selector == "purge_everything") != (not self.values):
            raise ValueError("purge_everything takes no values; every other selector some")


@dataclass(frozen=True, slots=True)
class Done:
    """The purge was made."""


@dataclass(frozen=True, slots=True)
class RetryLater:
    """Send the call again in ``seconds`` (1 to 43,200, Queues' longest delay); ``limited``
    when the purge rate is what stopped it (a 429, or the plan's own bucket), not an outage."""

    seconds: int
    reason: str
    limited: bool = False


@dataclass(frozen=True, slots=True)
class Refused:
    """The call is not worth repeating soon: fix the request, the token or the settings."""

    reason: str


def call_for(purge: Purge) -> PurgeCall:
    """The call purging ``purge``'s tags."""
    return PurgeCall(purge.mode, "tags", purge.tags)


def purge_request(api_base: str, zone_id: str, token: str, call: PurgeCall) -> EdgeRequest:
    """The API request making ``call`` on zone ``zone_id``, authorised by the API ``token``.

    ValueError for an ``api_base`` that is not an http(s) URL, a zone id that is not one, or a
    token that could not travel in a header field.
    """
    if _API_BASE.fullmatch(api_base) is None:
        raise ValueError(f"api_base must be an http(s) URL without spaces, not {api_base!r}")
    if _ZONE_ID.fullmatch(zone_id) is None:
        raise ValueError(f"not a zone id: {zone_id!r}")
    if _TOKEN.fullmatch(token) is None:
        raise ValueError("the API token must be visible ASCII characters, without spaces")
    url = f"{api_base.rstrip('/')}/zones/{zone_id}/{_ENDPOINTS[call.mode]}"
    body: dict[str, object] = (
        {"purge_everything": True}
        if call.selector == "purge_everything"
        else {call.selector: list(call.values)}
    )
    headers = Fields([("authorization", f"Bearer {token}"), ("content-type", "application/json")])
    return EdgeRequest("POST", url, headers, jsonbounds.dump(body))


def outcome(response: EdgeResponse, now: float) -> Done | RetryLater | Refused:
    """What the purge API's ``response`` means for the call; ``now`` reads a Retry-After given
    as an HTTP-date. 429 waits for Retry-After (else 60 s), 408 and 5xx for Retry-After (else
    5 s); any other 4xx, a ``success: false`` or an answer that is not the envelope refuses.
    """
    status = response.status
    envelope = _envelope(response.body)
    errors = _errors(envelope)
    if status == 429 or status == 408 or 500 <= status <= 599:
        default = _THROTTLED_WAIT if status == 429 else _FAILED_WAIT
        wait = parse_retry_after(response.headers.get("retry-after"), now, cap=_LONGEST_WAIT)
        reason = _reason(f"HTTP {status}", errors)
        return RetryLater(_seconds(wait, default), reason, limited=status == 429)
    if not 200 <= status <= 299:
        return Refused(_reason(f"HTTP {status}", errors))
    success = envelope.get("success") if envelope is not None else None
    if not isinstance(success, bool):
        return Refused(f"HTTP {status} without the API's JSON envelope")
    if not success:
        return Refused(_reason(f"HTTP {status} with success false", errors))
    return Done()


def _seconds(wait: float | None, default: int) -> int:
    """Whole seconds to wait, 1 to ``_LONGEST_WAIT``: ``wait`` rounded up, else ``default``."""
    if wait is None or not math.isfinite(wait):
        return default
    return max(1, min(math.ceil(wait), _LONGEST_WAIT))


def _envelope(body: bytes) -> dict[str, object] | None:
    try:
        document = jsonbounds.load(body)
    except ValueError:  # not UTF-8, not JSON, or nested too deep
        return None
    return document if isinstance(document, dict) else None


def _errors(envelope: dict[str, object] | None) -> list[str]:
    """The envelope's ``errors`` as ``code message`` lines, a few and short; none if absent."""
    errors = envelope.get("errors") if envelope is not None else None
    if not isinstance(errors, list):
        return []
    shown = []
    for error in errors[:_SHOWN_ERRORS]:
        if not isinstance(error, dict):
            continue
        code, message = error.get("code"), error.get("message")
        parts = [str(code) if type(code) is int or isinstance(code, str) else ""]
        parts.append(message if isinstance(message, str) else "")
        text = _CONTROL.sub(" ", " ".join(part for part in parts if part)).strip()
        if text:
            shown.append(text[:_SHOWN_CHARS])
    return shown


def _reason(what: str, errors: list[str]) -> str:
    return f"{what}: Cloudflare errors: {'; '.join(errors)}" if errors else what
