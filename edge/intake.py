"""``POST /_edge/events``: signed inventory events in, one queue ``sendBatch`` out.

Order matters, so that nothing is enqueued unless everything checks out: the size, then the
signature over the raw body (before a byte of it is parsed), then the events, then whether
this exact signed request was seen before (a replay inside the signature's time window), and
only then the send. The request is remembered as seen once the send succeeded, so a sender
whose request failed can send the same one again. Answers: 202 with the accepted ids; 401
for a signature that is missing, wrong, too old or replayed; 400 naming the event field at
fault; 413 for a body over the limit; 503 when the Worker lacks the queue or the secret.
"""

from __future__ import annotations

import hashlib
import json

from eventconfig import EventSettings
from eventmessages import event_message
from eventports import EventPorts, Ledger, Outgoing
from events import EventError, parse_events
from messages import EdgeRequest, EdgeResponse, Fields
from problem import method_not_allowed, problem
from signature import SIGNATURE_HEADER, SignatureError, verify
from store import quietly

__all__ = ["EVENTS_PATH", "MAX_EVENTS_BODY", "EventsEndpoint"]

EVENTS_PATH = "/_edge/events"
MAX_EVENTS_BODY = 256 * 1024  # Queues: a sendBatch carries at most 256 KB


class EventsEndpoint:
    def __init__(self, settings: EventSettings) -> None:
        self.settings = settings

    async def handle(self, request: EdgeRequest, ports: EventPorts) -> EdgeResponse:
        if request.method != "POST":
            return method_not_allowed("events are sent with POST", "POST")
        if ports.send is None or not ports.secrets:
            missing = "queue binding" if ports.send is None else "signing secret"
            return problem(503, f"events are not configured: the Worker has no {missing}")
        body = request.body or b""
        if len(body) > MAX_EVENTS_BODY:
            return problem(413, f"the body is over {MAX_EVENTS_BODY} bytes", field="body")
        now = ports.now()
        header = request.headers.get(SIGNATURE_HEADER)
        try:
            signed = verify(header, body, ports.secrets, now=now, tolerance=self.settings.tolerance)
        except SignatureError as exc:
            return _unauthorized(exc.reason, exc.detail)
        try:
            events = parse_events(body, self.settings.max_events)
        except EventError as exc:
            return problem(400, exc.detail, field=exc.field)
        seen_key = _seen_key(signed, body)
        # KV failing must not stop stock changes: the consumer's event-id check still holds.
        if ports.ledger is not None and await _read(ports.ledger, seen_key) is not None:
            return _unauthorized("replayed", "this signed request was accepted before")
        try:
            await ports.send([Outgoing(event_message(event, now)) for event in events])
        except Exception as exc:  # the runtime's queue errors have no common type
            unavailable = problem(503, f"the events queue did not take the events: {exc}")
            unavailable.headers.set("retry-after", "1")
            return unavailable
        if ports.ledger is not None:
            # Kept past the window in which the signature's time is accepted, and never less
            # than KV's shortest expiration.
            ttl = max(60, int(2 * self.settings.tolerance) + 1)
            await quietly(ports.ledger.put(seen_key, "1", ttl))
        accepted = {"accepted": len(events), "event_ids": [event.event_id for event in events]}
        headers = Fields([("content-type", "application/json"), ("cache-control", "no-store")])
        return EdgeResponse(202, headers, json.dumps(accepted).encode())


async def _read(ledger: Ledger, key: str) -> str | None:
    try:
        return await ledger.get(key)
    except Exception:  # KV unavailable: treated as not seen
        return None


def _seen_key(signed: int, body: bytes) -> str:
    return "seen:" + hashlib.sha256(str(signed).encode() + b"." + body).hexdigest()


def _unauthorized(reason: str, detail: str) -> EdgeResponse:
    refused = problem(401, detail, field=SIGNATURE_HEADER, reason=reason)
    refused.headers.set("www-authenticate", 'Popcache-Signature realm="events"')
    return refused
