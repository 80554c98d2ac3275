"""``POST /_edge/events``: the body (``events.parse_events``), one queued message
(``events.event_from_json``) and the ``Popcache-Signature`` header over the body
(``signature.verify``).

As tests/unit/test_edge_hostile_bodies.py and test_edge_hostile_headers.py: ``EventError``
refuses a body or message, ``SignatureError`` (missing, malformed, expired, mismatch) a
signature.
"""

from __future__ import annotations

import json

import jsonbounds
from events import EventError, event_from_json, parse_events
from signature import SignatureError, sign, verify

from ..contract import SEPARATOR, checked, framed, one_of, text

NOW = 1_800_000_000
SECRETS = ("s3cret", "previous")
REASONS = ("missing", "malformed", "expired", "mismatch")


def _events(raw: bytes) -> None:
    refused = checked((EventError,), parse_events, raw, max_events=100)
    if isinstance(refused, EventError):
        assert refused.field.startswith(("body", "events["))


def _message(raw: bytes) -> None:
    document = checked((ValueError,), jsonbounds.load_document, raw)
    if isinstance(document, ValueError):
        return
    refused = checked((EventError,), event_from_json, document)
    if isinstance(refused, EventError):
        assert refused.field == "message"


def _signature(raw: bytes) -> None:
    header, _, body = raw.partition(SEPARATOR)
    refused = checked(
        (SignatureError,), verify, text(header), body, SECRETS, now=NOW, tolerance=300
    )
    if isinstance(refused, SignatureError):
        assert refused.reason in REASONS
    else:
        assert abs(refused - NOW) <= 300


PARSERS = (_events, _message, _signature)


fuzz_one = one_of(PARSERS)


EVENT = {
    "event_id": "e1",
    "type": "inventory.changed",
    "sku": "BEV-COFFEE",
    "store_id": "sf-mission",
    "ts": "2026-11-26T10:00:00Z",
    "zone_id": "sf",
    "qty": 5,
}
BODY = json.dumps([EVENT, EVENT | {"event_id": "e2", "ts": 1_800_000_000}]).encode()
SEEDS = (
    framed(0, BODY),
    framed(0, json.dumps([EVENT | {"ts": "2026-11-26T10:00:00.123+01:00"}]).encode()),
    framed(1, json.dumps(EVENT).encode()),
    framed(2, sign(BODY, SECRETS[:1], NOW), BODY),
    framed(2, sign(BODY, SECRETS[1:], NOW - 100) + ",v1=" + "0" * 64, BODY),
)
