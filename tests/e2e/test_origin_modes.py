"""The demo origin's named modes, over HTTP and from the CLI, so a person can make it slow or
overloaded while popcache dev runs."""

from __future__ import annotations

import asyncio
import os
import random
import sys

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from emulator.clock import FakeClock
from emulator.origin import create_app, start_origin
from emulator.origin.modes import MODES


async def no_wait(seconds: float) -> None:
    return None


@pytest.fixture
async def origin(aiohttp_client: AiohttpClient) -> TestClient:
    app = create_app(None, rng=random.Random(1), clock=FakeClock(), sleep=no_wait)
    return await aiohttp_client(app)


async def put_mode(origin: TestClient, mode: object) -> tuple[int, dict[str, object]]:
    async with origin.put("/_admin/mode", json={"mode": mode}) as reply:
        return reply.status, await reply.json(content_type=None)


@pytest.mark.parametrize("mode", list(MODES))
async def test_a_mode_sets_its_knobs_and_reads_back(origin: TestClient, mode: str) -> None:
    status, answer = await put_mode(origin, mode)
    assert status == 200
    assert answer["knobs"] == MODES[mode].to_json()
    async with origin.get("/_admin/mode") as reply:
        assert (await reply.json())["mode"] == mode


async def test_overloaded_answers_429_with_retry_after_some_of_the_time(origin: TestClient) -> None:
    await put_mode(origin, "overloaded")
    answers = []
    for _ in range(20):
        async with origin.get("/api/products") as reply:
            answers.append((reply.status, reply.headers.get("Retry-After")))
    assert ("429", "5") in {(str(status), after) for status, after in answers}
    assert 200 in {status for status, _ in answers}


async def test_knobs_set_by_hand_read_back_as_a_custom_mode(origin: TestClient) -> None:
    async with origin.put("/_admin/knobs", json={"latency_ms": 5}):
        pass
    async with origin.get("/_admin/mode") as reply:
        assert (await reply.json())["mode"] == "custom"


@pytest.mark.parametrize("mode", ["sleepy", 3, None])
async def test_an_unknown_mode_is_a_400_naming_the_field(origin: TestClient, mode: object) -> None:
    status, problem = await put_mode(origin, mode)
    assert status == 400
    assert problem["field"] == "mode"


async def cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_popcache_origin_mode_switches_a_running_demo_origin() -> None:
    runner, url = await start_origin()
    try:
        code, out, _ = await cli("origin-mode", "slow", "--url", url)
        assert code == 0
        assert "is slow" in out
        code, out, _ = await cli("origin-mode", "healthy", "--url", url)
        assert "is healthy" in out
    finally:
        await runner.cleanup()


async def test_popcache_origin_mode_without_an_origin_says_so_in_one_line(
    unused_tcp_port: int,
) -> None:
    code, _, err = await cli("origin-mode", "slow", "--url", f"http://127.0.0.1:{unused_tcp_port}")
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "cannot switch the demo origin" in err


async def test_origin_mode_needs_the_demo_origin() -> None:
    code, _, err = await cli("dev", "--origin", "http://127.0.0.1:9", "--origin-mode", "slow")
    assert code == 2
    assert "--origin-mode" in err
