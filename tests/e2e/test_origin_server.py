"""start_origin: a real server on loopback, and a database file that outlives it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from emulator.errors import ConfigError
from emulator.origin import create_app, start_origin


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_start_origin_serves_on_loopback_at_the_port_it_reports(
    http: aiohttp.ClientSession,
) -> None:
    runner, url = await start_origin()
    try:
        assert url.startswith("http://127.0.0.1:")
        assert int(url.rsplit(":", 1)[1]) > 0
        async with http.get(url + "/healthz") as response:
            assert await response.json() == {"status": "ok"}
    finally:
        await runner.cleanup()


async def test_cleanup_stops_the_server(http: aiohttp.ClientSession) -> None:
    runner, url = await start_origin()
    await runner.cleanup()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(url + "/healthz"):
            pass


async def test_a_restart_on_the_same_file_keeps_stock_changes(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    db = tmp_path / "origin.sqlite3"
    change = {"sku": "BEV-COFFEE", "store_id": "sf-mission", "qty": 77}
    runner, url = await start_origin(db_path=db)
    async with http.post(url + "/_admin/stock", json=change) as response:
        assert response.status == 200
    await runner.cleanup()
    runner, url = await start_origin(db_path=db)
    try:
        async with http.get(url + "/api/inventory/BEV-COFFEE?store_id=sf-mission") as response:
            assert (await response.json())["total_qty"] == 77
    finally:
        await runner.cleanup()


async def test_configured_latency_really_delays_the_response(http: aiohttp.ClientSession) -> None:
    runner, url = await start_origin()
    try:
        async with http.put(url + "/_admin/knobs", json={"latency_ms": 30}) as response:
            assert response.status == 200
        started = time.monotonic()
        async with http.get(url + "/healthz") as response:
            assert response.status == 200
        assert time.monotonic() - started >= 0.03
    finally:
        await runner.cleanup()


def test_an_unusable_database_path_fails_at_construction(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(ConfigError, match="a-file"):
        create_app(tmp_path / "a-file" / "origin.sqlite3")
