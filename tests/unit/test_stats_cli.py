"""`popcache stats`: tables from a running emulator; one line and exit 2 when it cannot."""

import asyncio
import json
import socket

import aiohttp
import pytest
from pointworker import running

from emulator.cli import main
from emulator.statstables import stats_tables


async def popcache_stats(capsys, *args):
    """Run ``popcache stats`` (in a thread: it runs its own event loop) and capture it."""
    try:
        code = await asyncio.to_thread(main, ["stats", *args])
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("window", ["0", "3601", "soon"])
async def test_a_bad_window_is_one_line_naming_it_and_exit_2(capsys, window):
    code, _, stderr = await popcache_stats(capsys, "--window", window)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "--window" in stderr


async def test_no_emulator_at_the_url_is_one_line_and_exit_2(capsys):
    code, _, stderr = await popcache_stats(capsys, "--url", f"http://127.0.0.1:{free_port()}")
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "--url" in stderr


async def test_a_running_emulator_is_printed_as_tables(tmp_path, capsys):
    async with running(tmp_path) as emulator:
        async with (
            aiohttp.ClientSession(emulator.url) as session,
            session.get("/p?zone=north", headers={"X-Popcache-Pop": "LHR"}) as reply,
        ):
            await reply.read()
        code, stdout, _ = await popcache_stats(capsys, "--url", emulator.url, "--window", "60")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in stdout.splitlines() if line.strip()}
    assert rows["LHR"][1] == "1"
    assert rows["north"][1:] == ["1", "0", "0.0%"]
    assert "jobs" in rows


async def test_json_prints_the_stats_as_they_came(tmp_path, capsys):
    async with running(tmp_path) as emulator:
        code, stdout, _ = await popcache_stats(capsys, "--url", emulator.url, "--json")
    assert code == 0
    assert json.loads(stdout)["window"] == 600


def test_names_from_requests_are_printed_escaped():
    stats = {"zones": {"evil\x1b[2J\nzone": {"requests": 1, "errors": 0, "error_rate": 0.0}}}
    text = "\n".join(stats_tables(stats, "here"))
    assert "\x1b" not in text
    assert "evil\\x1b[2J\\nzone" in text
