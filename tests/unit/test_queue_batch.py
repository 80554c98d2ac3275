"""A consumer batch settles as Cloudflare Queues does."""

from datetime import datetime

import pytest

from emulator.runtime.queue_batch import MAX_DELAY_SECONDS, Message, MessageBatch, settle

NOW = datetime(2026, 1, 1)


def batch(*ids: str) -> MessageBatch:
    return MessageBatch("orders", [Message(i, {"n": i}, NOW) for i in ids])


def test_undecided_messages_are_acknowledged_when_the_handler_returns():
    result = settle(batch("a", "b"), None)
    assert (result.outcome, result.acked, dict(result.retried)) == ("ok", ("a", "b"), {})


def test_a_raising_handler_retries_what_was_not_explicitly_acknowledged():
    messages = batch("a", "b")
    messages.messages[0].ack()
    result = settle(messages, RuntimeError("boom"))
    assert (result.outcome, result.acked, dict(result.retried)) == (
        "exception",
        ("a",),
        {"b": None},
    )


def test_ack_all_does_not_protect_messages_when_the_handler_raises():
    messages = batch("a")
    messages.ackAll()
    assert dict(settle(messages, RuntimeError("boom")).retried) == {"a": None}


def test_retry_carries_its_delay():
    messages = batch("a")
    messages.messages[0].retry(delaySeconds=30)
    assert dict(settle(messages, None).retried) == {"a": 30}


def test_retry_accepts_an_options_dict():
    messages = batch("a")
    messages.messages[0].retry({"delaySeconds": 5})
    assert dict(settle(messages, None).retried) == {"a": 5}


def test_the_first_explicit_decision_on_a_message_wins():
    messages = batch("a")
    messages.messages[0].ack()
    messages.messages[0].retry()
    assert settle(messages, None).acked == ("a",)


def test_retry_all_decides_only_undecided_messages():
    messages = batch("a", "b")
    messages.messages[0].ack()
    messages.retryAll(delaySeconds=10)
    result = settle(messages, None)
    assert (result.acked, dict(result.retried)) == (("a",), {"b": 10})


def test_the_first_batch_level_call_wins():
    messages = batch("a")
    messages.ackAll()
    messages.retryAll()
    assert settle(messages, None).acked == ("a",)


@pytest.mark.parametrize("delay", [-1, MAX_DELAY_SECONDS + 1])
def test_a_delay_outside_twelve_hours_is_refused(delay):
    with pytest.raises(ValueError, match="delaySeconds"):
        batch("a").messages[0].retry(delaySeconds=delay)
