"""edge/'s unit tests pass inside Pyodide, the Python of Cloudflare's Python Workers, too.

tests/pyodide/runner.mjs runs tests/unit/test_edge_*.py in Pyodide under Node (see there and
inside.py); this test fetches the pinned wheels it needs when missing, runs it, and checks
that it ran exactly what CPython collects: every test passed, and every coroutine test was
driven, not passed over. Needs `npm ci` (node_modules/pyodide, and the pinned Node 22 where
the platform has it; otherwise `node` on PATH, 20 or newer).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from harness.node import NodeMissing, jspi_command

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RUNNER = HERE / "runner.mjs"
REQUIREMENTS = HERE / "requirements.txt"
WHEELS = REPO / ".popcache" / "pyodide-wheels"
RUNNER_TIMEOUT = 300  # seconds; a run takes about 25 on 2 cores
PIP_DOWNLOAD = [
    *("-m", "pip", "download", "--only-binary=:all:", "--no-deps", "--disable-pip-version-check"),
    *("--platform", "any", "--implementation", "py", "--abi", "none", "--python-version", "3.14"),
]


def missing_wheels() -> list[str]:
    present = {path.name.lower() for path in WHEELS.glob("*-none-any.whl")}
    missing = []
    for line in REQUIREMENTS.read_text().splitlines():
        pin = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if pin:
            stem = f"{re.sub(r'[-_.]+', '_', pin[1]).lower()}-{pin[2]}-"
            if not any(name.startswith(stem) for name in present):
                missing.append(f"{pin[1]}=={pin[2]}")
    return missing


def download_wheels() -> None:
    if not missing_wheels():
        return
    command = [sys.executable, *PIP_DOWNLOAD, "-q", "-r", str(REQUIREMENTS), "-d", str(WHEELS)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or missing_wheels():
        pytest.fail(
            f"pip could not download {', '.join(missing_wheels())} into {WHEELS}:\n"
            f"{done.stderr[-3000:]}",
            pytrace=False,
        )


def node_command() -> list[str]:
    try:
        return jspi_command()
    except NodeMissing as exc:
        pytest.fail(str(exc), pytrace=False)


def test_edge_unit_tests_pass_inside_pyodide() -> None:
    if not (REPO / "node_modules" / "pyodide" / "pyodide.mjs").exists():
        pytest.fail(f"node_modules/pyodide is missing: run `npm ci` in {REPO}", pytrace=False)
    command = [*node_command(), str(RUNNER), "--wheels", str(WHEELS)]
    download_wheels()
    with subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as runner:
        try:
            # CPython's count of the same files, collected while Pyodide starts.
            counted = subprocess.run(
                [sys.executable, str(HERE / "count_tests.py")],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            stdout, stderr = runner.communicate(timeout=RUNNER_TIMEOUT)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.communicate()
            pytest.fail(f"{RUNNER.name} did not finish within {RUNNER_TIMEOUT} s", pytrace=False)

    lines = stdout.splitlines()
    if runner.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {runner.returncode}:\n"
            + "\n".join(lines[-40:])
            + f"\n{stderr[-3000:]}",
            pytrace=False,
        )
    assert counted.returncode == 0, counted.stdout[-3000:] + counted.stderr[-3000:]
    expected = json.loads(counted.stdout.splitlines()[-1])
    summary = json.loads(lines[-1])

    assert expected["collected"] > 0
    assert expected["async_tests"] > 0
    assert summary["collected"] == expected["collected"]
    assert summary["passed"] == expected["collected"]
    assert (summary["failed"], summary["errors"], summary["skipped"]) == (0, 0, 0)
    assert summary["async_tests"] == expected["async_tests"]
    assert summary["async_driven"] == expected["async_tests"]
    assert summary["network_attempts"] == []
    selftest = summary["selftest"]
    assert selftest["passed"] == selftest["collected"] > 0
    assert selftest["async_driven"] > 0
