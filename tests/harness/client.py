"""The CPython side of the Pyodide harness: fetch the real SDK, start ``harness.mjs``, talk to it.

``Harness`` runs one long-lived ``node tests/harness/harness.mjs`` with a bundle (a
``wrangler.toml``'s main module, its compatibility date and flags), the real
``workers-runtime-sdk`` (pinned in ``edge-requirements.txt``, vendored into ``python_modules/`` by
``popcache build``, as for a deploy) and ``node_modules/pyodide``. ``call(op,
**fields)`` sends one JSON command line and returns the one JSON line it answers (see the header
of ``harness.mjs`` for the commands); a ``{"error": ...}`` answer raises ``HarnessError``.

``HarnessUnavailable`` (one line) means a prerequisite is missing: Node (>= 20), the npm
``pyodide`` package (``npm install`` at the repo root) or the SDK (no network for pip).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
import tomllib
from pathlib import Path
from typing import Any

from emulator.build import REQUIREMENTS_FILE, SDK, VENDOR_DIR, build, read_requirements
from emulator.errors import PopcacheError

from .node import NodeMissing, jspi_command

__all__ = [
    "HARNESS_DIR",
    "LOG",
    "REPO",
    "SDK_DIR",
    "Harness",
    "HarnessError",
    "HarnessUnavailable",
    "node_command",
    "sdk_pin",
    "vendored_sdk",
]

HARNESS_DIR = Path(__file__).resolve().parent
REPO = HARNESS_DIR.parent.parent
PYODIDE_DIR = REPO / "node_modules" / "pyodide"
SDK_DIR = REPO / VENDOR_DIR
# The harness's stderr (Python's print, console.log, warnings), one file per bundle folder.
LOG = REPO / ".popcache" / "harness" / "harness.log"
# Loading Pyodide takes ~4-7 s; importing the bundle a second or two more.
START_TIMEOUT_S = 90.0
CALL_TIMEOUT_S = 60.0


class HarnessUnavailable(Exception):
    """A prerequisite of the harness is missing; the message is one line saying which."""


class HarnessError(Exception):
    """The harness answered a command with an error, or stopped answering."""


def vendored_sdk() -> Path:
    """The bundle's ``python_modules/``, as ``popcache build`` makes it for a deploy (a no-op
    when up to date): the harness loads exactly what wrangler would upload."""
    try:
        build(REPO / "wrangler.toml")
    except PopcacheError as exc:
        raise HarnessUnavailable(f"popcache build: {exc}") from None
    return SDK_DIR


def sdk_pin() -> str:
    """The pinned SDK, ``workers-runtime-sdk==<version>``, from ``edge-requirements.txt``."""
    pins = read_requirements(REPO / REQUIREMENTS_FILE)
    return next(str(pin) for pin in pins if pin.key == SDK)


def node_command() -> list[str]:
    """Node with JSPI, or HarnessUnavailable."""
    try:
        return jspi_command()
    except NodeMissing as exc:
        raise HarnessUnavailable(str(exc)) from None


def bundle_config(wrangler: Path) -> dict[str, Any]:
    """What the harness needs from a ``wrangler.toml``: main, compatibility date and flags, and
    the binding names of its ``[[kv_namespaces]]`` (each an in-memory namespace, ``kv.mjs``)."""
    raw = tomllib.loads(wrangler.read_text(encoding="utf-8"))
    return {
        "main": str((wrangler.parent / raw["main"]).resolve()),
        "compatibilityDate": raw.get("compatibility_date", "2000-01-01"),
        "compatibilityFlags": list(raw.get("compatibility_flags", [])),
        "kvNamespaces": [entry["binding"] for entry in raw.get("kv_namespaces", [])],
    }


class Harness:
    """One running ``harness.mjs``; a context manager."""

    def __init__(
        self,
        wrangler: Path,
        *,
        origin: str,
        version: dict[str, str] | None = None,
        clock: float | None = None,
    ) -> None:
        self._config: dict[str, Any] = {
            "pyodideDir": str(PYODIDE_DIR),
            "sdkDir": str(SDK_DIR),
            "origin": origin,
            "version": version,
            "clock": clock,
            **bundle_config(wrangler),
        }
        self._log = LOG.with_name(f"harness-{Path(self._config['main']).parent.name}.log")
        self._process: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.ready: dict[str, Any] = {}

    def start(self) -> Harness:
        """Spawn the harness and wait until the bundle is loaded."""
        self.spawn()
        return self.wait_ready()

    def spawn(self) -> None:
        """Start loading (several harnesses may load side by side); ``wait_ready`` next."""
        if not (PYODIDE_DIR / "pyodide.mjs").is_file():
            raise HarnessUnavailable(
                f"node_modules/pyodide is missing ({PYODIDE_DIR}): run `npm install` at the "
                "repo root"
            )
        command = node_command()
        vendored_sdk()
        self._log.parent.mkdir(parents=True, exist_ok=True)
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [*command, str(HARNESS_DIR / "harness.mjs"), json.dumps(self._config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )

    def wait_ready(self) -> Harness:
        """Wait for the ready line (HarnessUnavailable if the harness stops instead)."""
        try:
            self.ready = self._read(START_TIMEOUT_S)
        except HarnessError as exc:
            self.close()
            raise HarnessUnavailable(str(exc)) from None
        return self

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one command; its answer (``HarnessError`` for an ``error`` answer)."""
        process = self._process
        if process is None or process.stdin is None:
            raise HarnessError("the harness is not running")
        process.stdin.write(json.dumps({"op": op, **fields}).encode() + b"\n")
        process.stdin.flush()
        answer = self._read(CALL_TIMEOUT_S)
        if "error" in answer:
            raise HarnessError(f"{op}: {answer['error']}")
        return answer

    def _read(self, timeout: float) -> dict[str, Any]:
        """The next stdout line as JSON, waiting at most ``timeout`` seconds."""
        process = self._process
        assert process is not None
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise HarnessError(f"the harness did not answer within {timeout:.0f} s")
                chunk = os.read(process.stdout.fileno(), 1 << 16)
                if not chunk:
                    raise HarnessError(self._exit_line())
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _exit_line(self) -> str:
        process = self._process
        assert process is not None
        code = process.wait(timeout=10)
        stderr = self._log.read_text(errors="replace") if self._log.is_file() else ""
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        return lines[-1] if lines else f"the harness exited with code {code}"

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                assert process.stdin is not None
                process.stdin.write(b'{"op": "exit"}\n')
                process.stdin.close()
                process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> Harness:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
