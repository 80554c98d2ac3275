"""Queue producers store durably; delivery batches, retries and dead-letters as Queues does."""

from collections.abc import Callable

import pytest

from emulator.clock import FakeClock
from emulator.queuedelivery import QueueDelivery
from emulator.queuestore import QueueStore
from emulator.runtime.queue_batch import MessageBatch, QueueResult, settle
from emulator.runtime.queues import QueueError, WorkerQueue
from emulator.wrangler import QueueConsumer

Handler = Callable[[MessageBatch], None]


class Consumer:
    """A stand-in for the worker's queue() handler: records batches, runs ``handler``."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self.batches: list[tuple[str, list[tuple[object, int]]]] = []

    async def __call__(self, batch: MessageBatch) -> QueueResult:
        self.batches.append(
            (batch.queue, [(message.body, message.attempts) for message in batch.messages])
        )
        try:
            if self.handler is not None:
                self.handler(batch)
        except Exception as exc:
            return settle(batch, exc)
        return settle(batch, None)


def setup(
    *consumers: QueueConsumer, handler: Handler | None = None, duplicates: float = 0.0
) -> tuple[WorkerQueue, QueueDelivery, Consumer, FakeClock]:
    clock = FakeClock()
    store = QueueStore()
    consumer = Consumer(handler)
    delivery = QueueDelivery(store, clock, lambda: consumers, consumer, duplicates=duplicates)
    return WorkerQueue(store, "jobs", clock), delivery, consumer, clock


# Producer limits and errors


async def test_a_message_over_128_kb_is_refused_with_the_brokers_text():
    queue, *_ = setup()
    with pytest.raises(QueueError, match=r"^Queue send failed: message length of 128001 bytes"):
        await queue.send("x" * 128_001, contentType="text")
    await queue.send("x" * 128_000, contentType="text")  # exactly at the limit


async def test_a_batch_of_more_than_100_messages_is_refused():
    queue, *_ = setup()
    with pytest.raises(QueueError, match="batch message count of 101 exceeds limit of 100"):
        await queue.sendBatch([{"body": i} for i in range(101)])


async def test_a_batch_over_256_kb_is_refused_and_stores_nothing():
    queue, delivery, *_ = setup()
    messages = [{"body": "x" * 100_000, "contentType": "text"} for _ in range(3)]
    with pytest.raises(QueueError, match=r"^Queue sendBatch failed: batch size of 300000 bytes"):
        await queue.sendBatch(messages)
    assert delivery.store.pending("jobs") == 0


async def test_delays_are_bounded_and_typed():
    queue, *_ = setup()
    with pytest.raises(QueueError, match="message delay 43201 is invalid"):
        await queue.send({"a": 1}, delaySeconds=43_201)
    with pytest.raises(TypeError):
        await queue.send({"a": 1}, delaySeconds="soon")


async def test_content_types_are_checked_as_workerd_does():
    queue, *_ = setup()
    with pytest.raises(TypeError, match="Unsupported queue message content type: xml"):
        await queue.send("a", contentType="xml")
    with pytest.raises(TypeError, match='Content Type "text" requires a value of type string'):
        await queue.send(1, contentType="text")
    with pytest.raises(TypeError, match="Message body cannot be undefined"):
        await queue.sendBatch([{"contentType": "json"}])
    with pytest.raises(TypeError, match="requires at least one message"):
        await queue.sendBatch([])
    with pytest.raises(TypeError, match="could not be cloned"):
        await queue.send({"f": object()})


async def test_bodies_roundtrip_per_content_type():
    consumer_config = QueueConsumer("jobs", max_batch_size=4)
    queue, delivery, consumer, _ = setup(consumer_config)
    await queue.sendBatch(
        [
            {"body": {"sku": "A1", "raw": b"\x00\x01"}},
            {"body": "plain", "contentType": "text"},
            {"body": b"\xff", "contentType": "bytes"},
            {"body": {"n": 1}, "contentType": "json"},
        ]
    )
    await delivery.pump()
    ((_, delivered),) = consumer.batches
    assert [body for body, _ in delivered] == [
        {"sku": "A1", "raw": b"\x00\x01"},
        "plain",
        b"\xff",
        {"n": 1},
    ]
    assert delivered[0][0].sku == "A1"  # a JS object reaches Python as a JsDict


# Durability


async def test_messages_survive_a_new_store_on_the_same_path(tmp_path):
    clock = FakeClock()
    first = QueueStore(tmp_path / "queues.sqlite3")
    await WorkerQueue(first, "jobs", clock).send({"n": 1})
    first.close()  # no delivery: a crash
    second = QueueStore(tmp_path / "queues.sqlite3")
    consumer = Consumer()
    delivery = QueueDelivery(second, clock, lambda: (QueueConsumer("jobs"),), consumer)
    await delivery.pump(flush=True)
    assert consumer.batches == [("jobs", [({"n": 1}, 1)])]
    assert second.pending("jobs") == 0


# Batching


async def test_a_full_batch_is_delivered_at_once_the_rest_after_the_timeout():
    queue, delivery, consumer, clock = setup(QueueConsumer("jobs", max_batch_size=2))
    await queue.sendBatch([{"body": i} for i in range(3)])
    await delivery.pump()
    assert consumer.batches == [("jobs", [(0, 1), (1, 1)])]
    clock.advance(4.9)
    await delivery.pump()
    assert len(consumer.batches) == 1
    clock.advance(0.1)
    await delivery.pump()
    assert consumer.batches[1] == ("jobs", [(2, 1)])


async def test_delayed_messages_wait_for_their_delay():
    queue, delivery, consumer, clock = setup(QueueConsumer("jobs", max_batch_timeout=0))
    await queue.send("later", delaySeconds=60)
    await delivery.pump()
    assert consumer.batches == []
    clock.advance(60)
    await delivery.pump()
    assert consumer.batches == [("jobs", [("later", 1)])]


# Acknowledgement, retries, dead letters


async def test_an_acknowledged_message_is_removed():
    queue, delivery, consumer, _ = setup(QueueConsumer("jobs"))
    await queue.send({"n": 1})
    await delivery.pump(flush=True)
    assert delivery.store.pending("jobs") == 0
    await delivery.pump(flush=True)
    assert len(consumer.batches) == 1


async def test_a_retry_waits_for_its_delay_and_counts_attempts():
    def handler(batch: MessageBatch) -> None:
        for message in batch.messages:
            if message.attempts == 1:
                message.retry(delaySeconds=30)

    queue, delivery, consumer, clock = setup(
        QueueConsumer("jobs", max_batch_timeout=0), handler=handler
    )
    await queue.send("m")
    await delivery.pump()
    clock.advance(29)
    await delivery.pump()
    assert len(consumer.batches) == 1
    clock.advance(1)
    await delivery.pump()
    assert consumer.batches[1] == ("jobs", [("m", 2)])
    assert delivery.store.pending("jobs") == 0


async def test_a_raising_handler_gets_the_messages_again_after_retry_delay():
    calls = {"n": 0}

    def handler(batch: MessageBatch) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("consumer crashed")

    queue, delivery, consumer, clock = setup(
        QueueConsumer("jobs", max_batch_timeout=0, retry_delay=10), handler=handler
    )
    await queue.sendBatch([{"body": "a"}, {"body": "b"}])
    await delivery.pump()
    assert delivery.store.pending("jobs") == 2  # at least once: nothing lost
    clock.advance(10)
    await delivery.pump()
    assert consumer.batches[1] == ("jobs", [("a", 2), ("b", 2)])
    assert delivery.store.pending("jobs") == 0


async def test_a_message_failing_more_than_max_retries_moves_to_the_dead_letter_queue():
    def handler(batch: MessageBatch) -> None:
        if batch.queue == "jobs":
            raise RuntimeError("always fails")

    queue, delivery, consumer, _ = setup(
        QueueConsumer("jobs", max_batch_timeout=0, max_retries=2, dead_letter_queue="dlq"),
        QueueConsumer("dlq", max_batch_timeout=0),
        handler=handler,
    )
    await queue.send("poison")
    for _ in range(3):
        await delivery.pump()
    assert [attempts for _, ((_, attempts),) in consumer.batches] == [1, 2, 3]
    await delivery.pump()
    assert consumer.batches[-1] == ("dlq", [("poison", 1)])
    assert delivery.store.pending("jobs") == delivery.store.pending("dlq") == 0


async def test_without_a_dead_letter_queue_the_message_is_dropped():
    def handler(batch: MessageBatch) -> None:
        batch.retryAll()

    queue, delivery, consumer, _ = setup(
        QueueConsumer("jobs", max_batch_timeout=0, max_retries=0), handler=handler
    )
    await queue.send("once")
    await delivery.pump()
    assert delivery.store.pending("jobs") == 0
    assert len(consumer.batches) == 1


async def test_duplicates_redeliver_an_acknowledged_message_once_with_its_id():
    ids: list[str] = []

    def handler(batch: MessageBatch) -> None:
        ids.extend(message.id for message in batch.messages)

    queue, delivery, _, _ = setup(QueueConsumer("jobs"), handler=handler, duplicates=1.0)
    await queue.send("twice")
    for _ in range(3):
        await delivery.pump(flush=True)
    assert len(ids) == 2
    assert ids[0] == ids[1]
    assert delivery.store.pending("jobs") == 0


def test_a_duplicate_rate_outside_0_to_1_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        setup(duplicates=1.5)


async def test_producer_delivery_delay_is_the_default_delay():
    clock = FakeClock()
    store = QueueStore()
    consumer = Consumer()
    delivery = QueueDelivery(
        store, clock, lambda: (QueueConsumer("jobs", max_batch_timeout=0),), consumer
    )
    queue = WorkerQueue(store, "jobs", clock, delivery_delay=5)
    await queue.send("a")
    await queue.send("b", delaySeconds=0)
    await delivery.pump()
    assert consumer.batches == [("jobs", [("b", 1)])]
    clock.advance(5)
    await delivery.pump()
    assert consumer.batches[1] == ("jobs", [("a", 1)])
