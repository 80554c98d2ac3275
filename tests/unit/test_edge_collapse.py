"""The collapsing table holds only what is in flight."""

import asyncio

from collapse import Collapser


async def test_a_flight_is_found_by_its_key_until_it_lands():
    flights: Collapser[int] = Collapser()
    release = asyncio.Event()

    async def work() -> int:
        await release.wait()
        return 7

    task = flights.start("k", work())
    assert flights.flight("k") is task
    release.set()
    assert await task == 7
    assert flights.flight("k") is None
    assert len(flights) == 0


async def test_a_failed_flight_leaves_the_table_too():
    flights: Collapser[int] = Collapser()

    async def work() -> int:
        raise RuntimeError("boom")

    task = flights.start("k", work())
    await asyncio.gather(task, return_exceptions=True)
    assert len(flights) == 0
