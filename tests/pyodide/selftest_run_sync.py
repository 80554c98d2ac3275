"""Self-test of inside.py, run by runner.mjs inside Pyodide before edge/'s unit tests.

It covers what those tests do not use today: coroutine and async-generator fixtures, an
``async def`` test under @given, and the network guard. Its name keeps CPython's pytest from
collecting it (pytest-asyncio would drive it there; the guard exists only in Pyodide).
"""

import asyncio
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st
from inside import GUARD, NetworkUseInUnitTests

EVENTS: list[str] = []
EXAMPLES: list[int] = []


@pytest.fixture
async def coroutine_fixture():
    await asyncio.sleep(0.001)
    return "value"


@pytest.fixture
async def generator_fixture():
    EVENTS.append("setup")
    await asyncio.sleep(0.001)
    yield "resource"
    await asyncio.sleep(0.001)
    EVENTS.append("teardown")


async def test_a_coroutine_test_gets_a_coroutine_fixture(coroutine_fixture):
    await asyncio.sleep(0.001)
    assert coroutine_fixture == "value"


async def test_an_async_generator_fixture_is_set_up(generator_fixture):
    assert (generator_fixture, EVENTS) == ("resource", ["setup"])


def test_an_async_generator_fixture_is_torn_down_after_its_test():
    assert EVENTS == ["setup", "teardown"]


def test_a_sync_test_gets_a_coroutine_fixture(coroutine_fixture):
    assert coroutine_fixture == "value"


@given(st.integers())
async def test_an_async_given_test_runs_every_example(number):
    await asyncio.sleep(0)
    EXAMPLES.append(number)


def test_the_async_given_test_ran_its_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(
    "reach",
    [
        lambda: socket.create_connection(("192.0.2.1", 80), timeout=1),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
        lambda: socket.getaddrinfo("shop.example", 443),
    ],
    ids=["create_connection", "socket", "getaddrinfo"],
)
def test_the_network_is_refused_loudly(reach):
    before = len(GUARD.attempts)
    with pytest.raises(NetworkUseInUnitTests, match="must not use the network"):
        reach()
    assert len(GUARD.attempts) == before + 1
    del GUARD.attempts[before:]  # expected here; any other attempt fails the run
