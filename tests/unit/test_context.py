"""waitUntil work runs after the response, and its failures are logged, never lost."""

import asyncio

import pytest

from emulator.runtime.context import BackgroundTasks, ExecutionContext
from emulator.runtime.http import JsRequest


async def test_wait_until_work_runs_without_being_awaited_by_the_caller():
    background = BackgroundTasks()
    done = asyncio.Event()

    async def work() -> None:
        done.set()

    ExecutionContext(background).waitUntil(work())
    await background.drain()
    assert done.is_set()


async def test_an_exception_in_wait_until_work_is_logged_with_its_traceback(caplog):
    background = BackgroundTasks()

    async def work() -> None:
        raise ValueError("background failure")

    ExecutionContext(background).waitUntil(work())
    await background.drain()
    assert "Uncaught exception in waitUntil work" in caplog.text
    assert "ValueError: background failure" in caplog.text


def test_wait_until_rejects_what_is_not_awaitable():
    with pytest.raises(TypeError, match="expects an awaitable"):
        ExecutionContext(BackgroundTasks()).waitUntil(42)  # type: ignore[arg-type]


async def test_pass_through_keeps_the_request_as_it_was_when_asked():
    request = JsRequest("https://shop.example/", method="POST", body=b"order")
    ctx = ExecutionContext(BackgroundTasks(), request)
    ctx.passThroughOnException()
    await request.text()
    request.headers.set("x-late", "1")
    kept = ctx.pass_through_request
    assert kept is not None
    assert await kept.text() == "order"
    assert not kept.headers.has("x-late")
