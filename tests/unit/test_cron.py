"""Cron triggers fire at their due times, on the injected clock."""

import asyncio

import pytest

from emulator.clock import FakeClock
from emulator.cron import next_due, run_crons

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def test_next_due_is_strictly_after_the_given_time():
    assert next_due("*/5 * * * *", T0) == T0 + 300


def test_next_due_is_in_utc():
    assert next_due("0 10 * * *", T0) == T0 + 10 * 3600


async def test_crons_fire_in_order_of_due_time_with_the_scheduled_time():
    clock = FakeClock(T0)
    fired: list[tuple[str, float]] = []

    async def fire(cron: str, time_ms: float) -> None:
        fired.append((cron, time_ms))
        if len(fired) == 3:
            raise asyncio.CancelledError

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    with pytest.raises(asyncio.CancelledError):
        await run_crons(("*/2 * * * *", "*/3 * * * *"), clock, fire, sleep)
    assert fired == [
        ("*/2 * * * *", (T0 + 120) * 1000),
        ("*/3 * * * *", (T0 + 180) * 1000),
        ("*/2 * * * *", (T0 + 240) * 1000),
    ]


async def test_a_failing_handler_does_not_stop_the_schedule(caplog):
    clock = FakeClock(T0)
    calls = 0

    async def fire(cron: str, time_ms: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise asyncio.CancelledError
        raise RuntimeError("cron handler failed")

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    with pytest.raises(asyncio.CancelledError):
        await run_crons(("* * * * *",), clock, fire, sleep)
    assert calls == 2
    assert "cron handler failed" in caplog.text
