"""`popcache` as a user runs it: one-line errors with exit code 2, a ready line, Ctrl-C, reload."""

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

SAMPLE_DIR = Path(__file__).parent / "workers" / "sample"


async def popcache(*args: str, cwd: Path | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def fails_with(*args: str, cwd: Path | None = None) -> str:
    process = await popcache(*args, cwd=cwd)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2, stderr.decode()
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


def worker(tmp_path: Path, wrangler: str, main: str = "") -> Path:
    (tmp_path / "main.py").write_text(main)
    (tmp_path / "wrangler.toml").write_text(wrangler)
    return tmp_path / "wrangler.toml"


PY = 'main = "main.py"\ncompatibility_flags = ["python_workers"]\n'


async def test_a_missing_wrangler_toml_is_one_line_naming_it(tmp_path):
    line = await fails_with("dev", "-c", str(tmp_path / "wrangler.toml"))
    assert "wrangler.toml: file not found" in line


async def test_a_malformed_wrangler_toml_is_one_line_naming_it(tmp_path):
    line = await fails_with("dev", "-c", str(worker(tmp_path, "main = [")))
    assert "wrangler.toml: not valid TOML" in line


async def test_a_main_that_does_not_exist_is_one_line(tmp_path):
    config = worker(tmp_path, PY.replace("main.py", "missing.py"))
    assert "main: missing.py does not exist" in await fails_with("dev", "-c", str(config))


async def test_a_worker_without_default_is_one_line(tmp_path):
    config = worker(tmp_path, PY, main="VALUE = 1\n")
    line = await fails_with(
        "dev", "-c", str(config), "--in-memory", "--port", "0", "--origin", "http://127.0.0.1:9"
    )
    assert "no Default entrypoint" in line


async def test_an_unknown_binding_type_is_one_line(tmp_path):
    config = worker(tmp_path, PY + '[[teleporters]]\nbinding = "T"\n')
    assert "teleporters: unknown binding type" in await fails_with("dev", "-c", str(config))


async def test_a_missing_python_workers_flag_gives_cloudflares_message(tmp_path):
    config = worker(tmp_path, 'main = "main.py"\n')
    line = await fails_with("dev", "-c", str(config))
    assert line.endswith(
        "compatibility_flags: The python_workers compatibility flag is required to use Python."
    )


async def test_an_unknown_option_is_one_line_with_exit_2():
    assert "unrecognized arguments" in await fails_with("dev", "--colour")


@pytest.mark.parametrize("option", ["--max-cache-entries", "--max-data-points"])
@pytest.mark.parametrize("value", ["0", "-3", "many", "1.5"])
async def test_a_cap_that_is_not_a_positive_whole_number_is_one_line_naming_it(option, value):
    line = await fails_with("dev", option, value)
    assert line.startswith(f"popcache: argument {option}: must be a whole number of at least 1")


async def test_a_bad_origin_url_is_one_line_naming_the_option(tmp_path):
    line = await fails_with("dev", "-c", str(SAMPLE_DIR / "wrangler.toml"), "--origin", "ftp://x")
    assert line.startswith("popcache: --origin:")


async def start_dev(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await popcache("dev", "--port", "0", "--origin-port", "0", "--in-memory", *args)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert line.startswith("popcache dev: ready on http://127.0.0.1:"), line
    return process, line.split()[4]


async def stop(process: asyncio.subprocess.Process) -> bytes:
    process.send_signal(signal.SIGINT)
    stdout, _ = await asyncio.wait_for(process.communicate(), 30)
    return stdout


async def test_dev_prints_one_ready_line_naming_url_and_pops_and_stops_on_ctrl_c():
    process, url = await start_dev()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{url}/api/products", headers={"X-Popcache-Client-Geo": "51.5,-0.12"}
            ) as response,
        ):
            assert response.status == 200
            assert response.headers["CF-Ray"].endswith("-LHR")
    finally:
        rest = await stop(process)
    assert process.returncode == 0
    assert b"popcache dev: stopped" in rest


async def test_dev_reloads_the_worker_when_its_files_change(tmp_path):
    shutil.copytree(SAMPLE_DIR, tmp_path / "sample")
    routes = tmp_path / "sample" / "src" / "worker.py"
    process, url = await start_dev("-c", str(tmp_path / "sample" / "wrangler.toml"))
    try:
        routes.write_text(routes.read_text().replace('f"{self.env.GREETING} from', 'f"hi from'))
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.decode().strip() == "popcache dev: reloaded"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert (await response.text()).startswith("hi from")
    finally:
        await stop(process)


@pytest.mark.parametrize("broken", ["def nope(:\n"])
async def test_a_failed_reload_keeps_serving_the_previous_version(tmp_path, broken):
    shutil.copytree(SAMPLE_DIR, tmp_path / "sample")
    process, url = await start_dev("-c", str(tmp_path / "sample" / "wrangler.toml"))
    try:
        (tmp_path / "sample" / "src" / "routes.py").write_text(broken)
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        assert b"reload failed" in line
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert (await response.text()).startswith("hello from")
    finally:
        await stop(process)


async def test_dev_outside_a_worker_folder_runs_the_embedded_edge_bundle(tmp_path):
    process = await popcache(
        "dev", "--port", "0", "--origin-port", "0", "--in-memory", "--no-reload", cwd=tmp_path
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    await stop(process)
    assert line.startswith("popcache dev: ready on")
    assert line.rstrip().endswith("edge/entry.py")


async def test_origin_serves_the_demo_storefront_alone_and_keeps_its_database(tmp_path):
    database = tmp_path / "origin.sqlite3"
    process = await popcache("origin", "--port", "0", "--db", str(database))
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    try:
        assert line.startswith("popcache origin: ready on http://127.0.0.1:")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{line.split()[-1]}/healthz") as response,
        ):
            assert response.status == 200
    finally:
        await stop(process)
    assert process.returncode == 0
    assert database.is_file()


async def test_dev_on_a_fresh_folder_creates_its_state_and_keeps_kv_there(tmp_path):
    process = await popcache(
        "dev",
        "-c",
        str(SAMPLE_DIR / "wrangler.toml"),
        "--port",
        "0",
        "--origin-port",
        "0",
        "--no-reload",
        cwd=tmp_path,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    try:
        assert line.startswith("popcache dev: ready on"), line
        async with (
            aiohttp.ClientSession() as session,
            session.put(f"{line.split()[4]}/kv/kept", data="on disk") as response,
        ):
            assert response.status == 201
    finally:
        await stop(process)
    state = tmp_path / ".popcache" / "state"
    assert (state / "kv.sqlite3").is_file()
    assert (state / "origin.sqlite3").is_file()
