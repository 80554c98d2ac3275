"""Queues end to end: a worker's fetch sends over its producer binding, its queue() consumes."""

from pathlib import Path

import pytest

WORKER = Path(__file__).parent / "workers" / "queues" / "wrangler.toml"


async def result(emu, key: str) -> str | None:
    async with emu.client().get(f"/result/{key}") as response:
        return await response.text() if response.status == 200 else None


async def send(emu, key: str) -> None:
    async with emu.client().post(f"/send/{key}") as response:
        assert response.status == 202


async def test_sent_messages_are_delivered_in_batches_by_size_then_timeout(popcache_emulator):
    emu = await popcache_emulator(WORKER)
    for key in ("a", "b", "c"):
        await send(emu, key)
    delivered = await emu.pump_queues()
    assert [len(batch.acked) for batch in delivered] == [2]  # max_batch_size = 2
    assert (await result(emu, "a"), await result(emu, "c")) == ("jobs:1:1", None)
    emu.clock.advance(3)  # max_batch_timeout = 3
    await emu.pump_queues()
    assert await result(emu, "c") == "jobs:1:1"
    assert emu.queue_pending("jobs") == 0


async def test_a_poison_message_is_retried_then_dead_lettered(popcache_emulator):
    emu = await popcache_emulator(WORKER)
    await send(emu, "poison-1")
    await emu.drain()  # delivers, retries (retry_delay 0) and dead-letters what is due now
    assert await result(emu, "poison-1") == "jobs-dlq:1:1"
    assert emu.queue_pending("jobs") == emu.queue_pending("jobs-dlq") == 0


async def test_injected_duplicates_reach_the_consumer_twice(popcache_emulator):
    emu = await popcache_emulator(WORKER, queue_duplicates=1.0)
    await send(emu, "d")
    await emu.drain()
    assert await result(emu, "d") == "jobs:1:2"  # the same message, processed twice


async def test_messages_sent_before_a_crash_are_delivered_after_a_restart(
    popcache_emulator, tmp_path
):
    first = await popcache_emulator(WORKER, persist_to=tmp_path)
    await send(first, "kept")
    await first.close()  # stops without delivering, as a crash would
    assert (tmp_path / "queues.sqlite3").is_file()
    second = await popcache_emulator(WORKER, persist_to=tmp_path)
    assert second.queue_pending("jobs") == 1
    await second.drain()
    assert await result(second, "kept") == "jobs:1:1"


@pytest.mark.parametrize("rate", ["-0.1", "2"])
def test_the_cli_refuses_a_duplicate_rate_outside_0_to_1(rate, capsys):
    from emulator.cli import main

    assert main(["dev", "-c", str(WORKER), "--in-memory", "--queue-duplicates", rate]) == 2
    assert "--queue-duplicates" in capsys.readouterr().err
