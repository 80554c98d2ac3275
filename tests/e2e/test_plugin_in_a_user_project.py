"""The pytest plugin as a user's own project meets it: strict asyncio mode, no popcache config,
and coverage measuring the worker's own lines (they run from their real files)."""

import json
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).parent / "workers" / "sample"

USER_TEST = """
import pytest


@pytest.mark.asyncio
async def test_kv_miss_then_hit(popcache_emulator):
    emu = await popcache_emulator({config!r})
    client = emu.client(geo=(51.5, -0.12))
    async with client.get("/kv/greeting") as response:
        assert response.status == 404
    async with client.put("/kv/greeting", data="hi") as response:
        assert response.status == 201
"""


def test_a_user_project_runs_the_plugin_under_coverage(tmp_path):
    (tmp_path / "test_user_worker.py").write_text(
        USER_TEST.format(config=str(SAMPLE / "wrangler.toml"))
    )
    data = tmp_path / ".coverage"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            f"--data-file={data}",
            f"--include={SAMPLE}/src/*",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_user_worker.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    report = tmp_path / "coverage.json"
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o", str(report)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=60,
    )
    files = json.loads(report.read_text())["files"]
    worker = next(entry for name, entry in files.items() if name.endswith("src/worker.py"))
    source = (SAMPLE / "src" / "worker.py").read_text().splitlines()
    put_line = next(i for i, line in enumerate(source, 1) if "NOTES.put(key" in line)
    assert put_line in worker["executed_lines"]
