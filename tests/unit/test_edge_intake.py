"""POST /_edge/events: signed events are enqueued in one batch; anything else enqueues nothing."""

import asyncio
import json

import pytest
from edgeharness import EventsHarness, event, json_body
from eventports import EventPorts
from messages import EdgeRequest, Fields
from signature import sign


def run(coroutine):
    return asyncio.run(coroutine)


def test_signed_events_are_accepted_with_their_ids():
    edge = EventsHarness()
    response = run(edge.post_events([event("e1"), event("e2", "restock")]))
    assert response.status == 202
    assert json_body(response) == {"accepted": 2, "event_ids": ["e1", "e2"]}
    assert response.headers.get("cache-control") == "no-store"


def test_every_event_goes_to_the_queue_in_one_send_with_when_it_was_accepted():
    edge = EventsHarness()
    run(edge.post_events([event("e1"), event("e2")]))
    bodies = [message.body for message in edge.queue.sent]
    assert [body["event"]["event_id"] for body in bodies] == ["e1", "e2"]
    assert all(body["kind"] == "event" and body["accepted"] == edge.now for body in bodies)


def test_a_missing_signature_is_401_and_nothing_is_enqueued():
    edge = EventsHarness()
    response = run(edge.post_signed(json.dumps([event()]).encode(), None))
    assert response.status == 401
    assert json_body(response)["field"] == "popcache-signature"
    assert json_body(response)["reason"] == "missing"
    assert edge.queue.sent == []


def test_a_signature_with_another_secret_is_401():
    edge = EventsHarness()
    response = run(edge.post_events([event()], secret="not-the-secret"))
    assert (response.status, json_body(response)["reason"]) == (401, "mismatch")
    assert edge.queue.sent == []


def test_a_body_changed_after_signing_is_401():
    edge = EventsHarness()
    header = sign(json.dumps([event("e1")]).encode(), ["events-secret"], int(edge.now))
    response = run(edge.post_signed(json.dumps([event("e2")]).encode(), header))
    assert response.status == 401
    assert edge.queue.sent == []


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_signature_older_or_newer_than_the_tolerance_is_401(skew):
    edge = EventsHarness()
    response = run(edge.post_events([event()], signed_at=edge.now + skew))
    assert (response.status, json_body(response)["reason"]) == (401, "expired")


def test_the_same_signed_request_sent_again_is_a_replay():
    edge = EventsHarness()
    body = json.dumps([event()]).encode()
    header = sign(body, ["events-secret"], int(edge.now))
    assert run(edge.post_signed(body, header)).status == 202
    edge.now += 5
    replayed = run(edge.post_signed(body, header))
    assert (replayed.status, json_body(replayed)["reason"]) == (401, "replayed")
    assert len(edge.queue.sent) == 1


def test_a_request_the_queue_refused_may_be_sent_again():
    edge = EventsHarness()
    body = json.dumps([event()]).encode()
    header = sign(body, ["events-secret"], int(edge.now))
    edge.queue.failing = True
    refused = run(edge.post_signed(body, header))
    assert refused.status == 503
    assert refused.headers.get("retry-after") == "1"
    edge.queue.failing = False
    assert run(edge.post_signed(body, header)).status == 202


def test_events_are_still_taken_when_kv_is_unavailable():
    edge = EventsHarness()
    edge.ledger.failing = True
    assert run(edge.post_events([event()])).status == 202


def test_a_malformed_event_is_400_naming_its_field_and_nothing_is_enqueued():
    edge = EventsHarness()
    response = run(edge.post_events([event("e1"), event("e2", "teleported")]))
    assert response.status == 400
    assert json_body(response)["field"] == "events[1].type"
    assert edge.queue.sent == []


def test_more_events_than_allowed_is_400():
    edge = EventsHarness()
    response = run(edge.post_events([event(f"e{n}") for n in range(101)]))
    assert (response.status, json_body(response)["field"]) == (400, "body")
    assert edge.queue.sent == []


def test_a_body_over_256_kib_is_413_before_its_signature_is_checked():
    edge = EventsHarness()
    response = run(edge.post_signed(b"[" + b" " * 300_000 + b"]", None))
    assert response.status == 413


def test_events_are_only_posted():
    edge = EventsHarness()
    request = EdgeRequest("GET", "https://shop.example/_edge/events", Fields())
    response = run(edge.send(request))
    assert (response.status, response.headers.get("allow")) == (405, "POST")


def test_an_edge_without_a_queue_or_secret_answers_503():
    edge = EventsHarness()
    edge.ports = lambda: EventPorts(lambda: edge.now)
    response = run(edge.post_events([event()]))
    assert response.status == 503
    assert "not configured" in json_body(response)["detail"]
